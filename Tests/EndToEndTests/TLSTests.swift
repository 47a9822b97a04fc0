@testable import EndToEndSupport
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The aggregator over HTTPS and bureaus signing in by client certificate: certificates made by
/// `openssl` for each test, real `esync-aggregator serve` with HummingbirdTLS, real agents
/// through libcurl.
@Suite(.serialized) struct TLSTests {
    let temporary = TemporaryFolder("e2e-tls")
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

    /// Registers a client certificate for `region` with `esync-aggregator cert add`.
    func register(_ pair: TestPKI.Pair, region: String, on province: AggregatorProcess) throws {
        let added = try province.cli(["cert", "add", "--region", region, "--name", "agent-\(region)", pair.cert])
        #expect(added.status == 0, "\(added)")
    }

    /// A request that signs in by certificate only.
    func request(_ province: AggregatorProcess, _ method: HTTPMethod, _ path: String, as pair: TestPKI.Pair, body: [UInt8]? = nil) throws -> HTTPResponse {
        let client = try CurlClient(options: CurlOptions(caFile: province.clientOptions.caFile, clientCert: pair.cert, clientKey: pair.key))
        return try client.perform(HTTPRequest(method: method, url: province.url + path, body: body))
    }

    /// A bureau that signs in by a new certificate of the province CA, registered for its region.
    func registeredAgent(_ name: String, _ region: String, _ pki: TestPKI, on province: AggregatorProcess) throws -> (AgentHandle, TestPKI.Pair) {
        let pair = try pki.client(name)
        try register(pair, region: region, on: province)
        return (try certificateAgent(region, pair, pki, on: province), pair)
    }

    func certificateAgent(_ region: String, _ pair: TestPKI.Pair, _ pki: TestPKI, on province: AggregatorProcess, folder: String? = nil) throws -> AgentHandle {
        try AgentHandle(region: region, aggregator: province, token: false,
                        server: ["caFile": pki.ca, "clientCert": pair.cert, "clientKey": pair.key], folderName: folder)
    }

    @Test func aBureauSyncsOverHTTPSWithItsTokenAndTheProvincesCA() throws {
        let pki = try TestPKI(name: "pki-token", in: temporary)
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

    @Test func aBureauWithARegisteredCertificateSyncsWithoutAToken() throws {
        let pki = try TestPKI(name: "pki-cert", in: temporary)
        let province = try province(pki, name: "tls-cert")
        defer { province.stop() }
        let (zz, _) = try registeredAgent("zz-agent", Self.zhengzhou, pki, on: province)
        #expect(!FileManager.default.fileExists(atPath: zz.folder + "/agent.token"))
        let codes = try zz.generate(4, seed: 62)
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        let view = try province.record(codes[0])
        #expect(view.provenance["name"]?.source == "region:410100")
        #expect(view.document == (try zz.readRecord(codes[0])))

        // A token still works on the same server, and `cert list` names the certificate.
        let withToken = try AgentHandle(region: Self.kaifeng, aggregator: province, server: ["caFile": pki.ca])
        _ = try withToken.generate(2, seed: 63)
        #expect(try withToken.agent(["sync"]).status == 0)
        let listed = try province.cli(["cert", "list"])
        #expect(listed.status == 0 && listed.stdout.contains("agent-410100") && listed.stdout.contains("CN=zz-agent"), "\(listed)")
    }

    /// Once a region has a registered signing key, neither a client certificate nor a second
    /// token of the region (neither with a key of its own) may push unsigned or sign with a key
    /// the province does not know; a certificate registers its store's key with `cert key`.
    @Test func aCertificateOrASecondTokenCannotSkipTheRegionsSigningKey() throws {
        let pki = try TestPKI(name: "pki-signing", in: temporary)
        let province = try province(pki, name: "tls-signing")
        defer { province.stop() }
        let signed = try AgentHandle(region: Self.zhengzhou, aggregator: province, server: ["caFile": pki.ca])
        let codes = try signed.generate(3, seed: 64)
        #expect(try signed.agent(["sync"]).status == 0)
        let before = try province.record(codes[0])
        func message(_ response: HTTPResponse) -> String { (try? JSONValue.parse(response.body))?["message"]?.stringValue ?? response.bodyString }
        func unsigned(_ id: String) -> [UInt8] {
            ChangeSet(id: id, region: Self.zhengzhou, createdAt: "2026-12-05T00:00:00Z",
                      records: [RecordChange(uscc: codes[0], op: .update, fields: ["employees": FieldChange(expected: before.document["employees"], value: .int(1))],
                                             baseRevision: before.revision)]).encoded()
        }

        // A certificate of the region, registered, without a key of its own.
        let pair = try pki.client("zz-cert-agent")
        let added = try province.cli(["cert", "add", "--region", Self.zhengzhou, "--name", "zz-cert", pair.cert])
        let fingerprint = try #require(added.stdout.split(separator: "\n").last.map { String($0.dropFirst("sha256 ".count)) }, "\(added)")
        let byCertificate = try request(province, .post, "/v1/changesets", as: pair, body: unsigned("unsigned-by-certificate"))
        #expect(byCertificate.status == 401 && message(byCertificate).contains("is not signed") && message(byCertificate).contains("region 410100 has signing keys registered"),
                "\(byCertificate.status) \(message(byCertificate))")

        // A second token of the region, without a key.
        let second = try province.token(["--region", Self.zhengzhou])
        let byToken = try province.request(.post, "/v1/changesets", token: second, body: unsigned("unsigned-by-second-token"))
        #expect(byToken.status == 401 && message(byToken).contains("is not signed"), "\(byToken.status) \(message(byToken))")
        #expect(try province.record(codes[0]) == before, "nothing of the unsigned change sets applied")

        // The certificate's own store signs with a key nobody registered: refused, naming it.
        let certificateAgent = try certificateAgent(Self.zhengzhou, pair, pki, on: province, folder: "zz-by-certificate")
        #expect(try certificateAgent.agent(["pull"]).status == 0)
        try certificateAgent.edit(codes[1], ["employees": 4321])
        let refused = try certificateAgent.agent(["push"])
        #expect(refused.status == 6 && refused.stderr.contains("is not registered for region 410100"), "\(refused)")

        // Registered with `cert key`, the same push goes through and the audit holds.
        let key = try province.cli(["cert", "key", fingerprint, "@" + certificateAgent.publicKeyPath])
        #expect(key.status == 0 && key.stdout.contains("zz-cert"), "\(key)")
        let pushed = try certificateAgent.agent(["push"])
        #expect(pushed.status == 0, "\(pushed)")
        #expect(try province.record(codes[1]).document["employees"] == 4321)
        let audit = try province.cli(["changesets", "verify", "--json"])
        #expect(audit.status == 0, "\(audit)")
    }

    @Test func anAgentThatTrustsTheWrongCAFailsClearlyAndPushesNothing() throws {
        let pki = try TestPKI(name: "pki-wrong-ca", in: temporary)
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

    @Test func anUnregisteredOrForeignCertificateIsRefused() throws {
        let pki = try TestPKI(name: "pki-unregistered", in: temporary)
        let province = try province(pki, name: "tls-unregistered")
        defer { province.stop() }
        // Signed by the province CA but never registered: 401 naming the certificate.
        let stranger = try pki.client("stranger")
        let refused = try request(province, .get, "/v1/changes?since=0", as: stranger)
        #expect(refused.status == 401)
        #expect(refused.bodyString.contains("CN=stranger") && refused.bodyString.contains("not registered"), "\(refused.bodyString)")
        let zz = try certificateAgent(Self.zhengzhou, stranger, pki, on: province)
        _ = try zz.generate(2, seed: 65)
        let push = try zz.agent(["push"])
        #expect(push.status == 6 && push.stderr.contains("not registered"), "\(push)")

        // Signed by another CA: the handshake itself fails, and the agent says so.
        let forged = try pki.client("forged", issuer: "other-ca")
        let outsider = try certificateAgent(Self.zhengzhou, forged, pki, on: province, folder: "outsider")
        _ = try outsider.generate(2, seed: 66)
        let handshake = try outsider.agent(["push"])
        #expect(handshake.status == 6, "\(handshake)")
        #expect(handshake.stderr.contains(province.url) && handshake.stderr.contains("server.clientCert"), "\(handshake)")
    }

    @Test func aRevokedCertificateStopsAtOnce() throws {
        let pki = try TestPKI(name: "pki-revoke", in: temporary)
        let province = try province(pki, name: "tls-revoke")
        defer { province.stop() }
        let (zz, pair) = try registeredAgent("zz-revoked", Self.zhengzhou, pki, on: province)
        let codes = try zz.generate(2, seed: 67)
        #expect(try zz.agent(["sync"]).status == 0)

        let fingerprint = try JSONValue.parse(try province.cli(["cert", "list", "--json"]).stdout).arrayValue?.first?["fingerprint"]?.stringValue ?? ""
        let revoked = try province.cli(["cert", "revoke", String(fingerprint.prefix(16))])
        #expect(revoked.status == 0, "\(revoked)")
        #expect(try province.cli(["cert", "revoke", fingerprint]).status == 4)
        #expect(try province.cli(["cert", "add", "--region", Self.zhengzhou, "--name", "again", pair.cert]).status == 1, "a revoked certificate stays revoked")

        try zz.edit(codes[0], ["employees": 4321])
        let push = try zz.agent(["push"])
        #expect(push.status == 6 && push.stderr.contains("revoked"), "\(push)")
        #expect(try province.record(codes[0]).document["employees"] != 4321)
    }

    @Test func aCertificateOfOneRegionCannotWriteAnotherRegionsRecords() throws {
        let pki = try TestPKI(name: "pki-regions", in: temporary)
        let province = try province(pki, name: "tls-regions")
        defer { province.stop() }
        let kf = try AgentHandle(region: Self.kaifeng, aggregator: province, server: ["caFile": pki.ca])
        let uscc = try kf.generate(2, seed: 68)[0]
        #expect(try kf.agent(["sync"]).status == 0)
        let before = try province.record(uscc)
        let zzPair = try pki.client("zz-only")
        try register(zzPair, region: Self.zhengzhou, on: province)

        // Zhengzhou's certificate edits a Kaifeng record: 403, nothing changes; it may not read it either.
        var edited = before.document
        FieldPath.set(&edited, path: "employees", to: 1)
        let change = RecordDiff.change(uscc: uscc, base: before.document, baseRevision: 1, working: edited)!
        let body = try JSONEncoder().encode(ChangeSet(id: "zz-cert-tries", region: Self.zhengzhou, createdAt: "now", records: [change]))
        let response = try request(province, .post, "/v1/changesets", as: zzPair, body: Array(body))
        #expect(response.status == 403 && response.bodyString.contains(uscc), "\(response.bodyString)")
        #expect(try province.record(uscc) == before)
        #expect(try request(province, .get, "/v1/records/\(uscc)", as: zzPair).status == 403)

        // An agent of Kaifeng's region presenting Zhengzhou's certificate is refused whole.
        let impostor = try certificateAgent(Self.kaifeng, zzPair, pki, on: province, folder: "impostor")
        let codes = try impostor.generate(2, seed: 69)
        let push = try impostor.agent(["push"])
        #expect(push.status == 3 && push.stdout.contains("403 forbidden") && push.stdout.contains("belong to region 410100"), "\(push)")
        #expect(try province.request(.get, "/v1/records/\(codes[0])", token: province.reviewerToken).status == 404)
    }

    @Test func verificationIsOffOnlyWhenTheConfigSaysSoInWords() throws {
        let pki = try TestPKI(name: "pki-insecure", in: temporary)
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

    /// TLS 1.0 and 1.1 (SHA-1 handshake MACs, CBC ciphers only; deprecated by RFC 8996) end in a
    /// handshake failure from the server; 1.2 and 1.3 connect. `SECLEVEL=0` lets the local
    /// openssl offer the old versions, so that a refusal is the server's, not the client's.
    @Test func onlyTLS12AndNewerAreAccepted() throws {
        let pki = try TestPKI(name: "pki-versions", in: temporary)
        let province = try province(pki, name: "tls-versions", clientCA: false)
        defer { province.stop() }
        let port = String(province.url.split(separator: ":").last ?? "")
        func handshake(_ version: String) throws -> ProcessResult {
            try run("/usr/bin/openssl", ["s_client", version, "-cipher", "DEFAULT@SECLEVEL=0", "-brief", "-connect", "127.0.0.1:" + port],
                    in: pki.folder, killAfter: 20)
        }
        for old in ["-tls1", "-tls1_1"] {
            let refused = try handshake(old)
            #expect(refused.status != 0 && !refused.stderr.contains("CONNECTION ESTABLISHED"), "\(old): \(refused)")
        }
        for current in ["-tls1_2", "-tls1_3"] {
            let accepted = try handshake(current)
            #expect(accepted.status == 0 && accepted.stderr.contains("CONNECTION ESTABLISHED"), "\(current): \(accepted)")
        }
    }

    @Test func aMissingOrWrongServerCertificateStopsServeNamingTheFile() throws {
        let pki = try TestPKI(name: "pki-startup", in: temporary)
        let folder = try temporary.subfolder("tls-startup")
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
