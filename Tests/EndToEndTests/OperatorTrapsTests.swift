@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Traps a bureau operator fell into on an ordinary day: each lost or blocked work.
@Suite(.serialized) struct OperatorTrapsTests {
    func deleteConflicts(_ province: AggregatorProcess, status: String) throws -> [ConflictView] {
        try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--kind", "delete", "--status", status, "--json"]).stdout.utf8)).conflicts
    }

    /// Deleting a file and syncing raises a delete request; restoring the file used to leave
    /// the request in the province's queue, and approving it later deleted the restored record
    /// from the bureau. Restoring the file withdraws the request, and the queue shows it.
    @Test func restoringADeletedFileWithdrawsItsDeleteRequest() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "withdraw")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(3, seed: 81)
        #expect(try zz.agent(["sync"]).status == 0)

        try FileManager.default.removeItem(atPath: zz.recordPath(codes[0]))
        #expect(try zz.agent(["sync"]).status == 0)
        let asked = try deleteConflicts(province, status: "open")
        try #require(asked.count == 1 && asked[0].uscc == codes[0])

        // Restored as the README says: the acknowledged base, put back.
        let base = try zz.agent(["record", "get", "--base", codes[0]])
        try #require(base.status == 0, "\(base)")
        let restored = zz.folder + "/restored.json"
        try base.stdout.write(toFile: restored, atomically: true, encoding: .utf8)
        #expect(try zz.agent(["record", "put", restored]).status == 0)
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0 && sync.stdout.contains("delete request withdrawn"), "\(sync)")

        #expect(try deleteConflicts(province, status: "open").isEmpty)
        let withdrawn = try deleteConflicts(province, status: "withdrawn")
        #expect(withdrawn.count == 1 && withdrawn.first?.resolvedBy == "region:410100", "\(withdrawn)")
        // Nothing is left for a reviewer to approve, and the record stays on both sides.
        let approve = try province.cli(["conflicts", "resolve", "\(asked[0].id)", "--take-incoming"])
        #expect(approve.status != 0, "\(approve)")
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: zz.recordPath(codes[0])))
        #expect(try province.record(codes[0]).deleted == false)
        let status = try zz.statusJSON()
        #expect(status["deleteRequests"]?.arrayValue?.isEmpty == true, "\(status)")
    }

    /// A request decided before the bureau restored the file: the file is never deleted behind
    /// the bureau's back, and the pull says so.
    @Test func aDeleteApprovedAfterTheFileWasRestoredLeavesTheFileAndSaysSo() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "approved-restored")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(2, seed: 82)
        #expect(try zz.agent(["sync"]).status == 0)
        try FileManager.default.removeItem(atPath: zz.recordPath(codes[0]))
        #expect(try zz.agent(["push"]).status == 0)
        let asked = try deleteConflicts(province, status: "open")
        try #require(asked.count == 1)
        // Restored exactly as acknowledged (the base, put back), not yet pushed.
        let base = try zz.agent(["record", "get", "--base", codes[0]])
        try base.stdout.write(toFile: zz.folder + "/restored.json", atomically: true, encoding: .utf8)
        #expect(try zz.agent(["record", "put", zz.folder + "/restored.json"]).status == 0)
        #expect(try province.cli(["conflicts", "resolve", "\(asked[0].id)", "--take-incoming"]).status == 0)
        let pull = try zz.agent(["pull"])
        #expect(pull.status == 0 && (pull.stdout + pull.stderr).contains("its file was restored since: the file stays"), "\(pull.stdout) \(pull.stderr)")
        #expect(FileManager.default.fileExists(atPath: zz.recordPath(codes[0])))
    }

    /// `mv CODE.json other.json` used to send a delete request for CODE and report other.json
    /// invalid. A file whose name is not its credit code is an invalid file and nothing else.
    @Test func aRenamedFileIsAnInvalidFileNotADeletion() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "renamed")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(3, seed: 83)
        #expect(try zz.agent(["sync"]).status == 0)
        try FileManager.default.moveItem(atPath: zz.recordPath(codes[0]), toPath: zz.storePath + "/records/other.json")

        let status = try zz.agent(["status"])
        #expect(!status.stdout.contains("delete request") || status.stdout.contains("0 delete requests"), "\(status)")
        #expect(status.stdout.contains("other.json") && status.stdout.contains("rename it back to \(codes[0]).json"), "\(status)")
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 3 && sync.stdout.contains("other.json"), "\(sync)")
        #expect(try deleteConflicts(province, status: "all").isEmpty, "a delete request was raised")
        #expect(try province.record(codes[0]).deleted == false)

        try FileManager.default.moveItem(atPath: zz.storePath + "/records/other.json", toPath: zz.recordPath(codes[0]))
        let back = try zz.agent(["sync"])
        #expect(back.status == 0 && !back.stdout.contains("other.json"), "\(back)")
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
    }

    /// A reviewer's token in the agent's tokenFile used to get a 400 about `?region=`.
    @Test func aReviewersTokenInTheAgentIsNamedAsSuch() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "reviewer-token")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province, folderName: "wrong-token", signed: false)
        try province.reviewerToken.write(toFile: zz.folder + "/agent.token", atomically: true, encoding: .utf8)
        for command in [["pull"], ["sync"]] {
            let result = try zz.agent(command)
            #expect(result.status == 6, "\(command): \(result)")
            #expect(result.stderr.contains("reviewer wang, not a bureau's") && result.stderr.contains("token add --region"), "\(command): \(result)")
        }
    }

    /// The agent holds its token, so it names the token's selector in the registration command
    /// it prints; the province takes any unambiguous prefix of it.
    @Test func theAgentPrintsItsTokensSelectorAndAPrefixRegistersTheKey() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "selector")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province, signed: false)
        let key = try zz.agent(["key"])
        let selector = province.selector("410100")
        #expect(key.status == 0 && key.stdout.contains("token key --selector \(selector) "), "\(key)")
        #expect(!key.stdout.contains(province.bureauTokens["410100"]!), "the token itself is printed")
        let registered = try province.cli(["token", "key", "--selector", String(selector.prefix(6)), "@" + zz.publicKeyPath])
        #expect(registered.status == 0 && registered.stdout.contains(selector), "\(registered)")
        _ = try zz.generate(1, seed: 84)
        #expect(try zz.agent(["sync"]).status == 0)
        let verify = try province.cli(["changesets", "verify", "--json"])
        let signed = try JSONValue.parse(verify.stdout)["regions"]?.arrayValue?.first?["signed"]
        #expect(verify.status == 0 && signed == 1, "\(verify)")
    }

    /// `--json` on push, pull and sync, and on their errors; the curl reason said once; a
    /// change sealed while the province was away is counted once by `status`; `diff` names
    /// new records.
    @Test func syncSpeaksJSONAndStatusCountsASealedChangeOnce() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "json")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(2, seed: 85)
        let diff = try zz.agent(["diff"])
        let name = try zz.readRecord(codes[0])["name"]!.stringValue!
        #expect(diff.stdout.contains("+ \(codes[0]) \(name) new record"), "\(diff)")

        let sync = try zz.agent(["sync", "--json"])
        let answer = try JSONValue.parse(sync.stdout)
        #expect(sync.status == 0 && answer["push"]?["recordsSent"] == 2 && answer["pull"]?["cursor"] != nil && answer["exitCode"] == 0, "\(sync)")

        // The province away: the edit is sealed, the push fails, and the error is JSON too.
        province.stop()
        try zz.edit(codes[0], ["employees": 4242])
        let push = try zz.agent(["push", "--json"])
        #expect(push.status == 5, "\(push)")
        let error = try JSONValue.parse(push.stdout)["error"]
        #expect(error?["exitCode"] == 5 && error?["message"]?.stringValue?.contains("cannot reach") == true, "\(push)")
        #expect(push.stderr.components(separatedBy: "Couldn't connect to server").count <= 2, "the reason twice: \(push.stderr)")
        let status = try zz.agent(["status"])
        #expect(status.stdout.contains("nothing to push") && status.stdout.contains("outbox: 1 sealed change set (1 record)"), "\(status)")
        let json = try zz.statusJSON()
        #expect(json["updates"]?.arrayValue?.isEmpty == true && json["outboxRecords"] == 1, "\(json)")

        // Edited again after sealing: that is something to push as well.
        try zz.edit(codes[0], ["employees": 4343])
        #expect(try zz.statusJSON()["updates"]?.arrayValue?.count == 1)
        try province.restart()
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(codes[0]).document["employees"] == 4343)
    }

    /// The aggregator logs its stop as the agent's daemon does: the signal, then "stopped".
    @Test func theAggregatorLogsItsStop() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "stop-log")
        #expect(try province.request(.get, "/healthz").status == 200)
        province.stop()
        #expect(province.terminationStatus == 0)
        let log = try String(contentsOfFile: province.folder + "/serve.log", encoding: .utf8)
        let stopping = log.range(of: "signal 15: stopping"), stopped = log.range(of: "] stopped")
        #expect(stopping != nil && stopped != nil && stopping!.lowerBound < stopped!.lowerBound, "\(log)")
    }
}
