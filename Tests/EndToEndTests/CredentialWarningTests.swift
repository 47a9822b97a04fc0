#if canImport(Glibc)
import Glibc
#endif
@testable import EndToEndSupport
import Foundation
import Testing

/// The agent warns, on every run, about a credential file others can read and about a token
/// sent in clear text; it still runs (a warning, not a refusal: the operator fixes it).
@Suite(.serialized) struct CredentialWarningTests {
    let temporary = TemporaryFolder("e2e-credential-warning")

    @Test func aTokenFileOthersCanReadIsNamedWithItsModeAndTheFix() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "warn-token")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        _ = try zz.generate(2, seed: 72)

        #expect(chmod(zz.tokenPath, 0o644) == 0)
        for command in [["push"], ["pull"], ["sync"]] {
            let loose = try zz.agent(command)
            #expect(loose.status == 0, "\(command): \(loose)")
            #expect(loose.stderr.contains("warning: server.tokenFile \(zz.tokenPath) is readable by group or others (mode 0644)")
                    && loose.stderr.contains("chmod 600 \(zz.tokenPath)"), "\(command): \(loose)")
        }
        #expect(chmod(zz.tokenPath, 0o640) == 0)
        #expect(try zz.agent(["sync"]).stderr.contains("(mode 0640)"))

        #expect(chmod(zz.tokenPath, 0o600) == 0)
        let tight = try zz.agent(["sync"])
        #expect(tight.status == 0 && !tight.stderr.contains("warning"), "\(tight)")
    }

    @Test func aClientKeyOthersCanReadIsNamedToo() throws {
        let pki = try TestPKI(name: "pki-warn-key", in: temporary)
        let province = try AggregatorProcess(regions: ["410100"], name: "warn-key", config: """
            tls:
              cert: \(pki.server.cert)
              key: \(pki.server.key)
              clientCA: \(pki.ca)
            """)
        defer { province.stop() }
        let pair = try pki.client("zz-warn")
        #expect(try province.cli(["cert", "add", "--region", "410100", "--name", "zz-warn", pair.cert]).status == 0)
        let zz = try AgentHandle(region: "410100", aggregator: province, token: false,
                                 server: ["caFile": pki.ca, "clientCert": pair.cert, "clientKey": pair.key])
        #expect(chmod(pair.key, 0o604) == 0)
        let loose = try zz.agent(["pull"])
        #expect(loose.status == 0 && loose.stderr.contains("warning: server.clientKey \(pair.key) is readable by group or others (mode 0604)")
                && loose.stderr.contains("chmod 600 \(pair.key)"), "\(loose)")
        #expect(chmod(pair.key, 0o600) == 0)
        let tight = try zz.agent(["pull"])
        #expect(tight.status == 0 && !tight.stderr.contains("warning"), "\(tight)")
    }

    /// Plain HTTP to another machine: the token travels in clear text. (Which hosts count as
    /// this machine is AgentConfigWarningTests' part.)
    @Test func aTokenSentOverPlainHTTPToAnotherHostIsWarnedAbout() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "warn-http")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let remote = try zz.agent(["pull"], environment: ["ESYNC_SERVER_URL": "http://192.0.2.1:9", "ESYNC_SERVER_CONNECT_TIMEOUT_SECONDS": "1"])
        #expect(remote.status == 5, "\(remote)")
        #expect(remote.stderr.contains("warning: server.url http://192.0.2.1:9 is plain HTTP to another machine")
                && remote.stderr.contains("clear text"), "\(remote)")
        let local = try zz.agent(["pull"])
        #expect(local.status == 0 && !local.stderr.contains("warning"), "\(local)")
    }
}
