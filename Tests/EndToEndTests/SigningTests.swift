@testable import EndToEndSupport
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Signed, chained change sets between real agents and a real aggregator: each bureau store signs
/// what it seals with its own key, registered with its token; the province refuses what that key
/// did not sign, and a change set that does not follow the last one it accepted from the store.
@Suite(.serialized) struct SigningTests {
    static let region = "410100"
    static let down = ["ESYNC_SERVER_URL": "http://127.0.0.1:9"]

    func setUp(_ name: String, signed: Bool = true) throws -> (AggregatorProcess, AgentHandle) {
        let province = try AggregatorProcess(regions: [Self.region], name: name)
        return (province, try AgentHandle(region: Self.region, aggregator: province, signed: signed))
    }

    func fingerprint(_ agent: AgentHandle) throws -> String {
        let key = try agent.agent(["key", "--json"])
        return try JSONValue.parse(key.stdout)["fingerprint"]?.stringValue ?? ""
    }

    func verify(_ province: AggregatorProcess) throws -> (status: Int32, region: JSONValue?) {
        let result = try province.cli(["changesets", "verify", "--json"])
        return (result.status, try JSONValue.parse(result.stdout)["regions"]?.arrayValue?.first)
    }

    static func id(ofOutboxFile name: String) -> String { String(name.dropFirst(13).dropLast(5)) }

    @Test func signedChangeSetsAreAcceptedAndTheAuditProvesWhoAssertedEachValue() throws {
        let (province, zz) = try setUp("signed")
        defer { province.stop() }
        let key = try fingerprint(zz)
        let mode = try FileManager.default.attributesOfItem(atPath: zz.storePath + "/.esync/signing-key")[.posixPermissions] as? Int
        #expect(mode == 0o600, "the private key is for the store's owner alone")
        let codes = try zz.generate(5, seed: 71)
        #expect(try zz.agent(["sync"]).status == 0)
        try zz.edit(codes[0], ["employees": 321])
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")

        #expect(try province.cli(["token", "list"]).stdout.contains(key))
        let view = try province.record(codes[0])
        #expect(view.provenance["employees"]?.signer == key)
        #expect(view.provenance["name"]?.signer == key)
        let (status, region) = try verify(province)
        #expect(status == 0)
        #expect(region?["signed"] == 2 && region?["unsigned"] == 0 && region?["problems"]?.arrayValue?.isEmpty == true)
        #expect(region?["chainStarts"]?.arrayValue?.first?["text"]?.stringValue?.contains("key \(key) registered") == true)
        #expect(try province.cli(["changesets", "verify"]).stdout.contains("every signature and chain link verifies"))

        // The change set behind a value, as the bureau signed it.
        let changeSet = view.provenance["employees"]!.changeSet
        let show = try province.cli(["changesets", "show", changeSet])
        #expect(show.status == 0 && show.stdout.contains("signed by key \(key): the signature verifies"), "\(show)")
        #expect(show.stdout.contains("\"value\": 321"))

        // A value changed afterwards in the province's log is found.
        try province.sql(province.isPostgres ? """
            UPDATE changeset_chain SET signed = convert_to(replace(convert_from(signed, 'UTF8'), '"value":321', '"value":322'), 'UTF8') WHERE id = '\(changeSet)'
            """ : """
            UPDATE changeset_chain SET signed = CAST(replace(CAST(signed AS TEXT), '"value":321', '"value":322') AS BLOB) WHERE id = '\(changeSet)'
            """)
        let audit = try province.cli(["changesets", "verify"])
        #expect(audit.status == 1 && audit.stdout.contains("PROBLEM: \(changeSet)") && audit.stdout.contains("does not verify"), "\(audit)")
    }

    @Test func aTamperedOutboxFileIsRefusedAndNothingOfItApplied() throws {
        let (province, zz) = try setUp("tampered")
        defer { province.stop() }
        let codes = try zz.generate(3, seed: 72)
        #expect(try zz.agent(["sync"]).status == 0)
        let before = try province.record(codes[0])
        try zz.edit(codes[0], ["employees": 77])
        #expect(try zz.agent(["push"], environment: Self.down).status == 5)
        let files = try zz.outboxFiles()
        #expect(files.count == 1)
        let path = zz.outboxPath + "/" + files[0]
        let sealed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(sealed.contains(#""value":77"#))
        try sealed.replacingOccurrences(of: #""value":77"#, with: #""value":78"#).write(toFile: path, atomically: true, encoding: .utf8)

        let push = try zz.agent(["push"])
        #expect(push.status == 6, "\(push)")
        #expect(push.stderr.contains("change set \(Self.id(ofOutboxFile: files[0]))") && push.stderr.contains("signature does not verify"), "\(push)")
        #expect(push.stderr.contains("the outbox file was changed after it was sealed"), "\(push)")
        #expect(try province.record(codes[0]) == before)
        #expect(try zz.outboxFiles() == files, "the refused file stays for the operator")

        // Set aside, the file leaves a gap the province refuses too, until an operator who has
        // looked lets the store's chain start again; the edit, still in the working copy, goes out anew.
        try FileManager.default.removeItem(atPath: path)
        let gap = try zz.agent(["push"])
        #expect(gap.status == 6 && gap.stderr.contains("never received"), "\(gap)")
        #expect(try province.record(codes[0]) == before)
        let reset = try province.cli(["token", "key", "--selector", province.selector(Self.region), "--reset-chain", "--note", "tampered outbox file set aside"])
        #expect(reset.status == 0, "\(reset)")
        #expect(try zz.agent(["push"]).status == 0)
        #expect(try province.record(codes[0]).document["employees"] == 77)
        let (status, region) = try verify(province)
        #expect(status == 0 && region?["chainStarts"]?.arrayValue?.last?["text"]?.stringValue?.contains("tampered outbox file set aside") == true)
    }

    @Test func aChangeSetSignedByAnotherKeyIsRefused() throws {
        let (province, zz) = try setUp("otherkey")
        defer { province.stop() }
        let key = try fingerprint(zz)
        let codes = try zz.generate(3, seed: 73)
        #expect(try zz.agent(["sync"]).status == 0)
        let before = try province.record(codes[0])

        // A copy of the bureau's folder with its token but without its key: a new key is made
        // on first use, and the province refuses what it signs.
        let copy = province.folder + "/copy-of-410100"
        try FileManager.default.copyItem(atPath: zz.folder, toPath: copy)
        try FileManager.default.removeItem(atPath: copy + "/store/.esync/signing-key")
        let file = copy + "/store/records/\(codes[0]).json"
        var document = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        FieldPath.set(&document, path: "employees", to: 5)
        try Data(document.prettyBytes()).write(to: URL(fileURLWithPath: file))
        let push = try run(Binaries.agent, ["push", "--config", copy + "/agent.yaml"], in: copy)
        #expect(push.status == 6, "\(push)")
        #expect(push.stderr.contains("this store had no signing key: created"), "\(push)")
        #expect(push.stderr.contains("does not verify with key \(key)") && push.stderr.contains("names key"), "\(push)")
        #expect(try province.record(codes[0]) == before)

        // The store that holds the registered key goes on.
        try zz.edit(codes[1], ["employees": 6])
        #expect(try zz.agent(["push"]).status == 0)
        #expect(try province.record(codes[1]).document["employees"] == 6)
    }

    @Test func aReCreatedStoreIsAcceptedOnceItsNewKeyIsRegistered() throws {
        let (province, zz) = try setUp("recreated")
        defer { province.stop() }
        let codes = try zz.generate(3, seed: 74)
        #expect(try zz.agent(["sync"]).status == 0)
        try FileManager.default.removeItem(atPath: zz.storePath)
        #expect(try zz.agent(["init"]).status == 0)
        #expect(try zz.agent(["pull"]).status == 0)
        try zz.edit(codes[0], ["employees": 55])
        let refused = try zz.agent(["push"])
        #expect(refused.status == 6 && refused.stderr.contains("register it"), "\(refused)")
        let register = try province.cli(["token", "key", "--selector", province.selector(Self.region), "@" + zz.publicKeyPath])
        #expect(register.status == 0 && register.stdout.contains("registered"), "\(register)")
        #expect(try zz.agent(["push"]).status == 0)
        #expect(try province.record(codes[0]).document["employees"] == 55)
        let (status, region) = try verify(province)
        #expect(status == 0 && region?["chainStarts"]?.arrayValue?.count == 2)
    }

    @Test func aGapInTheChainIsRefusedUntilAnOperatorResetsIt() throws {
        let (province, zz) = try setUp("gap")
        defer { province.stop() }
        let codes = try zz.generate(3, seed: 77)
        #expect(try zz.agent(["sync"]).status == 0)
        for (n, uscc) in codes.enumerated() { try zz.edit(uscc, ["employees": .int(Int64(601 + n))]) }
        let sealed = try zz.agent(["push"], environment: Self.down.merging(["ESYNC_SYNC_MAX_RECORDS_PER_CHANGE_SET": "1"]) { $1 })
        #expect(sealed.status == 5, "\(sealed)")
        let files = try zz.outboxFiles()
        #expect(files.count == 3)
        try FileManager.default.removeItem(atPath: zz.outboxPath + "/" + files[1])

        let push = try zz.agent(["push"])
        #expect(push.status == 6, "\(push)")
        #expect(push.stderr.contains("change set \(Self.id(ofOutboxFile: files[2]))") && push.stderr.contains("never received"), "\(push)")
        #expect(try province.record(codes[0]).document["employees"] == 601)
        #expect(try province.record(codes[2]).revision == 1, "nothing after the gap is applied")

        #expect(try province.cli(["token", "key", "--selector", province.selector(Self.region), "--reset-chain"]).status == 0)
        let again = try zz.agent(["push"])
        #expect(again.status == 0, "\(again)")
        for (n, uscc) in codes.enumerated() { #expect(try province.record(uscc).document["employees"] == .int(Int64(601 + n))) }
        #expect(try verify(province).status == 0)
    }

    @Test func aStoreRestoredFromABackupIsRefusedAsAFork() throws {
        let (province, zz) = try setUp("fork")
        defer { province.stop() }
        let codes = try zz.generate(3, seed: 78)
        #expect(try zz.agent(["sync"]).status == 0)
        let backup = zz.folder + "/store-backup"
        try FileManager.default.copyItem(atPath: zz.storePath, toPath: backup)
        try zz.edit(codes[0], ["employees": 701])
        #expect(try zz.agent(["push"]).status == 0)

        try FileManager.default.removeItem(atPath: zz.storePath)
        try FileManager.default.moveItem(atPath: backup, toPath: zz.storePath)
        try zz.edit(codes[1], ["employees": 702])
        // The store's identity catches it first (exit 7, see StoreIdentityTests); without the
        // identity headers (an agent from before them) the chain refuses the fork.
        let push = try zz.agent(["push"])
        #expect(push.status == 7 && push.stderr.contains("store_restored"), "\(push)")
        #expect(try province.record(codes[1]).revision == 1)
        let outbox = try #require(try zz.outboxFiles().last)
        let sealed = try Array(Data(contentsOf: URL(fileURLWithPath: zz.outboxPath + "/" + outbox)))
        let bare = try CurlClient().perform(HTTPRequest(method: .post, url: province.url + "/v1/changesets",
                                                        headers: [("Authorization", "Bearer " + province.bureauTokens["410100"]!)], body: sealed))
        #expect(bare.status == 409 && bare.bodyString.contains("broken_chain") && bare.bodyString.contains("restored from a backup"), "\(bare.status) \(bare.bodyString)")
        #expect(try province.record(codes[1]).revision == 1)

        // Reconciled: the old outbox set aside, the edit sent again following the province's
        // chain head, and the chain still verifies.
        let reconciled = try zz.agent(["reconcile", "--apply"])
        #expect(reconciled.status == 0, "\(reconciled)")
        #expect(try province.record(codes[1]).document["employees"] == 702)
        #expect(try province.record(codes[0]).document["employees"] == 701)
        #expect(try verify(province).status == 0)
    }

    @Test func aReplayAfterALostAnswerIsAppliedOnceAndTheChainGoesOn() throws {
        let (province, zz) = try setUp("lostanswer")
        defer { province.stop() }
        let proxy = try FaultProxy(targetPort: Int(province.url.split(separator: ":").last!)!)
        let viaProxy = ["ESYNC_SERVER_URL": "http://127.0.0.1:\(proxy.port)", "ESYNC_SERVER_TIMEOUT_SECONDS": "5"]
        let codes = try zz.generate(3, seed: 75)
        #expect(try zz.agent(["sync"], environment: viaProxy).status == 0)
        try zz.edit(codes[0], ["employees": 501])
        proxy.fault = .loseAnswer
        let lost = try zz.agent(["push"], environment: viaProxy)
        #expect(lost.status != 0, "\(lost)")
        proxy.fault = .none
        let replay = try zz.agent(["push"], environment: viaProxy)
        #expect(replay.status == 0 && replay.stderr.contains("(replayed)"), "\(replay)")
        try zz.edit(codes[1], ["employees": 502])
        #expect(try zz.agent(["push"], environment: viaProxy).status == 0)
        #expect(try province.record(codes[0]).revision == 2)
        #expect(try province.record(codes[1]).document["employees"] == 502)
        let (status, region) = try verify(province)
        #expect(status == 0 && region?["signed"] == 3, "\(String(describing: region))")
    }

    @Test func aChangeSetRefusedWholeIsSetAsideAndTheNextOneFollowsWhatTheProvinceKept() throws {
        let province = try AggregatorProcess(regions: [Self.region, "410200"], name: "setaside")
        defer { province.stop() }
        let zz = try AgentHandle(region: Self.region, aggregator: province)
        let kf = try AgentHandle(region: "410200", aggregator: province)
        let codes = try zz.generate(2, seed: 79)
        #expect(try zz.agent(["sync"]).status == 0)
        try zz.edit(codes[0], ["employees": 801])
        try zz.edit(codes[1], ["employees": 802])
        #expect(try zz.agent(["push"], environment: Self.down.merging(["ESYNC_SYNC_MAX_RECORDS_PER_CHANGE_SET": "1"]) { $1 }).status == 5)
        let files = try zz.outboxFiles()
        #expect(files.count == 2)
        // Kaifeng happens to use the first one's id: the province refuses it whole (409).
        var taken = ChangeSet(id: Self.id(ofOutboxFile: files[0]), region: "410200", createdAt: "now", records: [])
        try taken.sign(after: "", with: kf.signingKey())
        #expect(try province.request(.post, "/v1/changesets", token: province.bureauTokens["410200"], body: taken.encoded()).status == 200)

        let push = try zz.agent(["push"])
        #expect(push.status == 3, "\(push)")
        #expect(push.stdout.contains("was used by another region"), "\(push)")
        #expect(try province.record(codes[0]).revision == 1)
        #expect(try province.record(codes[1]).document["employees"] == 802, "signed again after the refused one, it follows what the province kept")
        #expect(try verify(province).status == 0)
    }

    @Test func aStoreFromBeforeSigningGetsAKeyAndSignsWhatWaitsInItsOutbox() throws {
        let (province, zz) = try setUp("upgrade", signed: false)
        defer { province.stop() }
        let codes = try zz.generate(2, seed: 80)
        #expect(try zz.agent(["sync"]).status == 0)
        try zz.edit(codes[0], ["employees": 901])
        #expect(try zz.agent(["push"], environment: Self.down).status == 5)
        // As an agent from before signing left them: no key, an unsigned change set in the outbox.
        for file in ["signing-key", "signing-key.pub"] { try FileManager.default.removeItem(atPath: zz.storePath + "/.esync/" + file) }
        let path = zz.outboxPath + "/" + (try zz.outboxFiles())[0]
        guard case .object(var members) = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) else { Issue.record("not an object"); return }
        for member in ["previous", "signer", "signature"] { members[member] = nil }
        try Data(JSONValue.object(members).canonicalBytes()).write(to: URL(fileURLWithPath: path))

        let push = try zz.agent(["push"])
        #expect(push.status == 0, "\(push)")
        #expect(push.stderr.contains("this store had no signing key: created") && push.stderr.contains("signed the change sets sealed before"), "\(push)")
        #expect(try province.record(codes[0]).document["employees"] == 901)
        // Once the operator registers the new key, the store's change sets must carry it.
        #expect(try province.cli(["token", "key", "--selector", province.selector(Self.region), "@" + zz.publicKeyPath]).status == 0)
        try zz.edit(codes[1], ["employees": 902])
        #expect(try zz.agent(["push"]).status == 0)
        let (status, region) = try verify(province)
        #expect(status == 0 && region?["signed"] == 1 && region?["unsigned"] == 2, "\(String(describing: region))")
    }

    @Test func aTokenWithoutAKeyKeepsWorkingUnsigned() throws {
        let (province, zz) = try setUp("unsigned", signed: false)
        defer { province.stop() }
        let codes = try zz.generate(3, seed: 76)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(codes[0]).provenance["name"]?.signer == nil)
        #expect(try province.cli(["token", "list"]).stdout.contains("none (unsigned)"))
        let (status, region) = try verify(province)
        #expect(status == 0 && region?["unsigned"] == 1 && region?["signed"] == 0)
    }

    /// A change set sent after another (`ESync-After`, an agent with two in flight) that the
    /// province refused is refused too, as out of order, before its own checks: nothing applied.
    @Test func aChangeSetSentAfterARefusedOneIsRefusedAsOutOfOrder() throws {
        let (province, zz) = try setUp("after")
        defer { province.stop() }
        let codes = try zz.generate(1, seed: 81)
        #expect(try zz.agent(["sync"]).status == 0)
        let token = province.bureauTokens[Self.region]
        // Not signed, in a region that signs: refused.
        let first = ChangeSet(id: "first-unsigned", region: Self.region, createdAt: "now", records: [])
        #expect(try province.request(.post, "/v1/changesets", token: token, body: first.encoded()).status == 401)
        let second = ChangeSet(id: "second", region: Self.region, createdAt: "now", records: [])
        let refused = try province.request(.post, "/v1/changesets", token: token, body: second.encoded(),
                                           headers: [(ChangeSetAfter.header, first.id)])
        #expect(refused.status == 409 && refused.bodyString.contains(#""error":"out_of_order""#), "\(refused.bodyString)")
        #expect(refused.bodyString.contains("first-unsigned") && refused.bodyString.contains("did not apply"))
        let itself = try province.request(.post, "/v1/changesets", token: token, body: second.encoded(),
                                          headers: [(ChangeSetAfter.header, second.id)])
        #expect(itself.status == 400)
        #expect(try province.sql("SELECT COUNT(*) FROM changesets WHERE id IN ('first-unsigned', 'second')") == "0")
        let metrics = try province.request(.get, "/metrics").bodyString
        #expect(metrics.contains(#"esync_changesets_total{result="out_of_order"} 1"#), "\(metrics)")
        #expect(try province.record(codes[0]).revision == 1)
    }
}
