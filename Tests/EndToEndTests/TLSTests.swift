import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The aggregator over HTTPS: certificates made by `openssl` for each test, real
/// `esync-aggregator serve` with HummingbirdTLS, real agents through libcurl.
@Suite(.serialized) struct TLSTests {
    static let zhengzhou = "410100"
    static let kaifeng = "410200"

    /// An aggregator serving HTTPS with the test CA's server certificate; with `clientCA`, it
    /// asks for client certificates signed by that CA.
    func province(_ pki: TestPKI, name: String, clientCA: Bool = true) throws -> AggregatorProcess {
        let province = try AggregatorProcess(regions: [Self.zhengzhou, Self.kaifeng], name: name, config: """
            tls:
              cert: \(pki.server.cert)
              key: \(pki.server.key)
            \(clientCA ? "  clientCA: \(pki.ca)" : "")
            """)
        province.clientOptions = CurlOptions(caFile: pki.ca)
        return province
    }

    @Test func aBureauSyncsOverHTTPSWithItsTokenAndTheProvincesCA() throws {
        let pki = try TestPKI(name: "pki-token")
        let province = try province(pki, name: "tls-token", clientCA: false)
        defer { province.stop() }
        #expect(province.url.hasPrefix("https://"))
        let zz = try AgentHandle(region: Self.zhengzhou, aggregator: province, server: ["caFile": pki.ca])
        let codes = try zz.generate(5, seed: 61)
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        #expect(try province.record(codes[0]).provenance["name"]?.source == "region:410100")
        // Plain HTTP to the HTTPS port gets no answer a client could mistake for one.
        let plain = try? CurlClient().perform(HTTPRequest(url: province.url.replacingOccurrences(of: "https:", with: "http:") + "/healthz"))
        #expect(plain == nil || plain?.status != 200)
    }

    @Test func anAgentThatTrustsTheWrongCAFailsClearlyAndPushesNothing() throws {
        let pki = try TestPKI(name: "pki-wrong-ca")
        let province = try province(pki, name: "tls-wrong-ca")
        defer { province.stop() }
        let zz = try AgentHandle(region: Self.zhengzhou, aggregator: province, server: ["caFile": pki.otherCA])
        let codes = try zz.generate(3, seed: 64)
        let push = try zz.agent(["push"])
        #expect(push.status == 1, "\(push)")
        #expect(push.stderr.contains(province.url), "\(push)")
        #expect(push.stderr.contains("certificate") && push.stderr.contains("server.caFile"), "\(push)")
        #expect(try province.request(.get, "/v1/records/\(codes[0])", token: province.reviewerToken).status == 404)

        // A missing CA file is named before anything is sent.
        let missing = try zz.agent(["push"], environment: ["ESYNC_SERVER_CA_FILE": pki.folder + "/nowhere.pem"])
        #expect(missing.status == 2 && missing.stderr.contains("server.caFile") && missing.stderr.contains("nowhere.pem"), "\(missing)")
    }

    @Test func verificationIsOffOnlyWhenTheConfigSaysSoInWords() throws {
        let pki = try TestPKI(name: "pki-insecure")
        let province = try AggregatorProcess(regions: [Self.zhengzhou], name: "tls-insecure", config: """
            tls:
              cert: \(pki.selfSigned.cert)
              key: \(pki.selfSigned.key)
            """)
        defer { province.stop() }
        let zz = try AgentHandle(region: Self.zhengzhou, aggregator: province)
        let codes = try zz.generate(2, seed: 70)
        // The self-signed certificate is refused by default …
        let checked = try zz.agent(["push"])
        #expect(checked.status == 1 && checked.stderr.contains("certificate"), "\(checked)")
        // … any other word is a configuration error naming the key …
        for word in ["off", "false", "disabled", "no"] {
            let typo = try zz.agent(["push"], environment: ["ESYNC_SERVER_TLS_VERIFICATION": word])
            #expect(typo.status == 2 && typo.stderr.contains("server.tlsVerification") && typo.stderr.contains("\"\(word)\""), "\(typo)")
        }
        // … and only the words disabled-insecure turn the check off, with a warning on every run.
        for _ in 0..<2 {
            let insecure = try zz.agent(["sync"], environment: ["ESYNC_SERVER_TLS_VERIFICATION": "disabled-insecure"])
            #expect(insecure.status == 0, "\(insecure)")
            #expect(insecure.stderr.contains("warning: server.tlsVerification is disabled-insecure"), "\(insecure)")
        }
        province.clientOptions = CurlOptions(insecureSkipVerify: true)
        #expect(try province.record(codes[0]).revision == 1)
    }

    @Test func aMissingOrWrongServerCertificateStopsServeNamingTheFile() throws {
        let pki = try TestPKI(name: "pki-startup")
        let folder = try temporaryFolder("tls-startup")
        func serve(_ tls: String) throws -> ProcessResult {
            try "listen: { host: 127.0.0.1, port: 0 }\ndatabase: { path: province.sqlite }\n\(tls)".write(toFile: folder + "/aggregator.yaml", atomically: true, encoding: .utf8)
            return try run(Binaries.aggregator, ["serve", "--config", folder + "/aggregator.yaml"], in: folder, killAfter: 20)
        }
        let missing = try serve("tls: { cert: \(folder)/absent.pem, key: \(pki.server.key) }")
        #expect(missing.status == 2 && missing.stderr.contains("tls.cert") && missing.stderr.contains("absent.pem"), "\(missing)")
        let mismatched = try serve("tls: { cert: \(pki.server.cert), key: \(pki.selfSigned.key) }")
        #expect(mismatched.status == 2 && mismatched.stderr.contains("tls.key") && mismatched.stderr.contains("self-signed.key"), "\(mismatched)")
        let notPEM = try serve("tls: { cert: \(pki.server.cert), key: \(pki.server.key), clientCA: \(pki.folder)/server.ext }")
        #expect(notPEM.status == 2 && notPEM.stderr.contains("tls.clientCA") && notPEM.stderr.contains("server.ext"), "\(notPEM)")
        let halfConfigured = try serve("tls: { cert: \(pki.server.cert) }")
        #expect(halfConfigured.status == 2 && halfConfigured.stderr.contains("tls.key is missing"), "\(halfConfigured)")
    }
}
