@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// A store restored from a backup, or made anew, is refused by the province instead of being
/// merged with gaps, and `reconcile` brings it back with no edit lost on either side.
@Suite(.serialized) struct StoreIdentityTests {
    /// `reconcile --json`: credit code → the action it plans.
    func plannedActions(_ agent: AgentHandle) throws -> [String: String] {
        let result = try agent.agent(["reconcile", "--json"])
        guard result.status == 0 else { throw HarnessError("reconcile: \(result)") }
        var actions: [String: String] = [:]
        for record in try JSONValue.parse(result.stdout)["records"]?.arrayValue ?? [] {
            actions[record["uscc"]!.stringValue!] = record["action"]!.stringValue!
        }
        return actions
    }

    func copy(_ from: String, _ to: String, in folder: String) throws {
        let result = try run("/bin/cp", ["-a", from, to], in: folder)
        guard result.status == 0 else { throw HarnessError("cp: \(result)") }
    }

    @Test func aStoreRestoredFromAnEarlierCopyIsRefusedAndReconciledWithNoEditLost() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "restored")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(8, seed: 71)
        #expect(try zz.agent(["sync"]).status == 0)
        let backup = zz.folder + "/backup"
        try copy(zz.storePath, backup, in: zz.folder)

        // Syncs after the copy: a bureau edit pushed, a province designation pulled, a new record
        // pushed. A full pull of a normal store does not trip the check.
        try zz.edit(codes[0], ["employees": 1111])
        #expect(try zz.agent(["sync"]).status == 0)
        let srdi: JSONValue = ["year": 2025, "batch": 1, "validUntil": "2028-12-31"]
        #expect(try province.cli(["records", "set", codes[1], "srdi=" + srdi.canonicalString]).status == 0)
        let added = try #require(Set(try zz.generate(1, seed: 72)).subtracting(codes).first)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try zz.agent(["pull", "--full"]).status == 0)
        #expect(try zz.agent(["sync"]).status == 0)

        // The store comes back from the copy, and the bureau edits it before anyone notices.
        try FileManager.default.removeItem(atPath: zz.storePath)
        try copy(backup, zz.storePath, in: zz.folder)
        try zz.edit(codes[2], ["employees": 2222])
        let before = try province.record(codes[2]).document["employees"]
        let refused = try zz.agent(["sync"])
        #expect(refused.status == 7, "\(refused)")
        #expect(refused.stderr.contains("store_restored") && refused.stderr.contains("esync-agent reconcile"), "\(refused)")
        #expect(try province.record(codes[2]).document["employees"] == before, "nothing is sent from a refused store")
        #expect(!FileManager.default.fileExists(atPath: zz.storePath + "/.esync/refused"), "the sealed change set stays in the outbox")

        // The dry run names each difference and what would go which way, and changes nothing.
        let dry = try zz.agent(["reconcile"])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("store_restored (cursor-behind)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("employees: here 2222"), "\(dry.stdout)")
        #expect(try plannedActions(zz) == [codes[0]: "pull", codes[1]: "pull", added: "pull", codes[2]: "push"])
        let saved = try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/reconcile")
        #expect(saved.contains { $0.hasSuffix(".txt") } && saved.contains { $0.hasSuffix(".json") }, "\(saved)")
        #expect(try zz.agent(["push"]).status == 7)

        let applied = try zz.agent(["reconcile", "--apply"])
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stdout.contains("new epoch"), "\(applied.stdout)")
        // Converged, and every edit is where it belongs: the bureau's pushed one came back, its new
        // one went out, the province's designation and the new record came down.
        for uscc in codes + [added] { #expect(try zz.readRecord(uscc) == province.record(uscc).document, "\(uscc)") }
        #expect(try zz.readRecord(codes[0])["employees"] == 1111)
        #expect(try province.record(codes[2]).document["employees"] == 2222)
        #expect(try zz.readRecord(codes[1])["srdi"] == srdi)
        let after = try zz.agent(["sync"])
        #expect(after.status == 0, "\(after)")
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
        #expect(try zz.agent(["verify"]).status == 0)
    }

    @Test func aCopyRestoredOnePushLaterIsCaughtByTheOutboxNumberItSealsAgain() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "reused")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(4, seed: 75)
        #expect(try zz.agent(["sync"]).status == 0)
        try copy(zz.storePath, zz.folder + "/backup", in: zz.folder)
        try zz.edit(codes[0], ["employees": 555])
        #expect(try zz.agent(["sync"]).status == 0)

        // The copy seals its next change set under the number the lost one was sent under.
        try FileManager.default.removeItem(atPath: zz.storePath)
        try copy(zz.folder + "/backup", zz.storePath, in: zz.folder)
        try zz.edit(codes[1], ["employees": 666])
        let refused = try zz.agent(["push"])
        #expect(refused.status == 7, "\(refused)")
        #expect(refused.stderr.contains("sequence-reused"), "\(refused)")
        #expect(try zz.agent(["reconcile"]).stdout.contains("store_restored (sequence-reused)"))
        #expect(try plannedActions(zz) == [codes[0]: "pull", codes[1]: "push"])
        #expect(try zz.agent(["reconcile", "--apply"]).status == 0)
        #expect(try province.record(codes[1]).document["employees"] == 666)
        #expect(try zz.readRecord(codes[0])["employees"] == 555)
    }

    @Test func aStoreMadeAnewWithFilesIsRefusedAndReconciledAndTheOldStoreIsThenRefused() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "recreated")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(6, seed: 73)
        #expect(try zz.agent(["sync"]).status == 0)

        // A new store for the same region, with copies of three files (one edited) and a new record.
        let fresh = try AgentHandle(region: "410100", aggregator: province, folderName: "bureau-410100-new")
        for uscc in codes.prefix(3) {
            try FileManager.default.copyItem(atPath: zz.recordPath(uscc), toPath: fresh.recordPath(uscc))
        }
        try fresh.edit(codes[2], ["employees": 3333])
        let added = try #require(Set(try fresh.generate(1, seed: 74)).subtracting(codes).first)
        let refused = try fresh.agent(["sync"])
        #expect(refused.status == 7, "\(refused)")
        #expect(refused.stderr.contains("store_recreated"), "\(refused)")
        #expect(try province.cli(["records", "get", added]).status != 0, "the new record waits until the store is reconciled")

        // Without a common version, what differs goes to the field policy; the rest comes down.
        let planned = try plannedActions(fresh)
        #expect(planned == [codes[2]: "policy", codes[3]: "pull", codes[4]: "pull", codes[5]: "pull", added: "push"], "\(planned)")
        let applied = try fresh.agent(["reconcile", "--apply"])
        #expect(applied.status == 0, "\(applied)")
        for uscc in codes + [added] { #expect(try fresh.readRecord(uscc) == province.record(uscc).document, "\(uscc)") }
        // employees: the owning bureau's value wins (Config/policy.yaml).
        #expect(try province.record(codes[2]).document["employees"] == 3333)
        #expect(try fresh.agent(["sync"]).status == 0)

        // The store it replaced is refused from now on, and can be reconciled in its turn.
        let old = try zz.agent(["sync"])
        #expect(old.status == 7, "\(old)")
        #expect(old.stderr.contains("store_restored") && old.stderr.contains("other-epoch"), "\(old)")
        #expect(try zz.agent(["reconcile", "--apply"]).status == 0)
        for uscc in codes + [added] { #expect(try zz.readRecord(uscc) == province.record(uscc).document, "\(uscc)") }
    }

    /// A second store whose config kept the example's region (410100) but holds Luoyang's token
    /// once "took over" Luoyang at the province and filled itself with Luoyang's records; the
    /// real Luoyang store was refused until reconciled. The province now refuses a store whose
    /// configured region is not its credential's, before anything is registered or handed out.
    @Test func aStoreConfiguredForAnotherRegionThanItsTokenIsRefusedBeforeItRegisters() throws {
        let province = try AggregatorProcess(regions: ["410100", "410300"], name: "wrong-region")
        defer { province.stop() }
        let luoyang = try AgentHandle(region: "410300", aggregator: province)
        let codes = try luoyang.generate(4, seed: 91)
        #expect(try luoyang.agent(["sync"]).status == 0)
        let epochBefore = try province.request(.get, "/v1/store-epoch?region=410300", token: province.reviewerToken).bodyString

        let misconfigured = try AgentHandle(region: "410100", aggregator: province, folderName: "kept-the-example", signed: false)
        try province.bureauTokens["410300"]!.write(toFile: misconfigured.folder + "/agent.token", atomically: true, encoding: .utf8)
        let pull = try misconfigured.agent(["pull"])
        #expect(pull.status == 6, "\(pull)")
        #expect(pull.stderr.contains("configured for region 410100") && pull.stderr.contains("belong to region 410300"), "\(pull)")
        let files = try FileManager.default.contentsOfDirectory(atPath: misconfigured.storePath + "/records")
        #expect(files.isEmpty, "the wrong store got \(files)")
        _ = try misconfigured.generate(1, seed: 92)
        let push = try misconfigured.agent(["sync"])
        #expect(push.status == 6 && push.stderr.contains("configured for region 410100"), "\(push)")

        // Luoyang's own store was never displaced.
        #expect(try province.request(.get, "/v1/store-epoch?region=410300", token: province.reviewerToken).bodyString == epochBefore)
        try luoyang.edit(codes[0], ["employees": 777])
        let sync = try luoyang.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        #expect(try province.record(codes[0]).document["employees"] == 777)
    }
}
