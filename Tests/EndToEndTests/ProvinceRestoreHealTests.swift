@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// A province restored from a backup is healed by its bureaus, without an operator (issue 17):
/// the register's generation changes with the restore, every agent is refused with
/// `register_restored` before anything is applied or handed out, and sends back what the
/// province had acknowledged since the backup: the bureaus' edits applied once, the province's
/// own values (a designation, a reviewer's decision) queued as recovered values. The tests that
/// restore a backup are skipped on PostgreSQL, whose register is restored with its own tools.
@Suite(.serialized) struct ProvinceRestoreHealTests {
    @Test(.enabled(if: TestBackend.isFile, Comment(rawValue: TestBackend.fileOnly)))
    func allEighteenBureausHealAProvinceRestoredFromABackup() throws {
        let regions = Regions.all.map(\.code)
        let province = try AggregatorProcess(regions: regions, name: "heal")
        defer { province.stop() }
        var bureaus: [String: AgentHandle] = [:]
        var codes: [String: [String]] = [:]
        for (n, region) in regions.enumerated() {
            let bureau = try AgentHandle(region: region, aggregator: province)
            codes[region] = try bureau.generate(5, seed: 1700 + UInt64(n))
            let synced = try bureau.agent(["sync"])
            #expect(synced.status == 0, "\(region): \(synced)")
            bureaus[region] = bureau
        }
        // The agents learnt which register they sync with.
        let stamp = try province.sql("SELECT register || '; generation=' || generation FROM register_identity")
        #expect(try bureaus["410100"]!.statusJSON()["province"]?["generation"]?.stringValue.map(stamp.hasSuffix) == true)

        // S1: the nightly backup.
        let backup = province.folder + "/s1.sqlite.gz"
        let taken = try province.cli(["backup", backup])
        #expect(taken.status == 0, "\(taken)")

        // After S1: every bureau edits two records, Zhengzhou adds one, the province designates a
        // Zhengzhou record, and a reviewer decides a Luoyang conflict with a value of their own.
        var expected: [String: [String: JSONValue]] = [:]
        for (n, region) in regions.enumerated() {
            let mine = codes[region]!
            try bureaus[region]!.edit(mine[0], ["employees": .int(Int64(1000 + n))])
            try bureaus[region]!.edit(mine[1], ["taxYuan": .int(Int64(777_000 + n))])
            expected[mine[0]] = ["employees": .int(Int64(1000 + n))]
            expected[mine[1]] = ["taxYuan": .int(Int64(777_000 + n))]
        }
        let zz = bureaus["410100"]!, ly = bureaus["410300"]!
        let added = try zz.generate(1, seed: 1799)[0]
        for region in regions { #expect(try bureaus[region]!.agent(["sync"]).status == 0) }
        let designated = codes["410100"]![2]
        let list = province.folder + "/srdi.csv"
        try "\(designated)\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try province.cli(["designations", "import", "--kind", "srdi", "--year", "2026", list]).status == 0)
        let contested = codes["410300"]![3]
        #expect(try province.cli(["records", "set", contested, #"name="省厅核定名称有限公司""#]).status == 0)
        try ly.edit(contested, ["name": "区局登记名称有限公司"])
        #expect(try ly.agent(["sync"]).status == 0)
        let asked = try openConflicts(province)
        try #require(asked.count == 1 && asked[0].field == "name", "\(asked)")
        #expect(try province.cli(["conflicts", "resolve", "\(asked[0].id)", "--value", #""省厅最终名称有限公司""#]).status == 0)
        #expect(try zz.agent(["sync"]).status == 0 && ly.agent(["sync"]).status == 0)
        #expect(try zz.readRecord(designated)["srdi"] != nil)
        #expect(try ly.readRecord(contested)["name"] == "省厅最终名称有限公司")
        let srdi = try zz.readRecord(designated)["srdi"]

        // The province's disk dies; yesterday's backup goes back.
        province.stop()
        let restored = try province.cli(["restore", backup, "--force"])
        #expect(restored.status == 0, "\(restored)")
        try province.restart()
        #expect(try province.record(codes["410100"]![0]).document["employees"] != expected[codes["410100"]![0]]!["employees"])
        #expect(try province.request(.get, "/v1/records/\(added)", token: province.reviewerToken).status == 404)

        // Every bureau syncs once, as its timer would: no operator, no reconcile.
        for region in regions {
            let synced = try bureaus[region]!.agent(["sync"])
            #expect(synced.status == 0, "\(region): \(synced)")
            #expect((synced.stdout + synced.stderr).contains("the province was restored"), "\(region): \(synced)")
        }
        // Every bureau edit made after S1 is back, once.
        for (code, fields) in expected {
            let record = try province.record(code)
            for (field, value) in fields { #expect(record.document[field] == value, "\(code) \(field)") }
        }
        #expect(try province.record(added).document["uscc"] == .string(added))
        // The lost designation and decision wait as recovered values, saying where they came from;
        // the heal opened nothing else.
        let open = try openConflicts(province)
        let recovered = open.filter { $0.kind == "recovered" }
        #expect(open.count == 2 && recovered.count == 2, "\(open)")
        let lostDesignation = recovered.first { $0.uscc == designated && $0.field == "srdi" }
        let lostDecision = recovered.first { $0.uscc == contested && $0.field == "name" }
        #expect(lostDesignation?.incoming == srdi && lostDesignation?.origin?.contains("the province's value") == true, "\(recovered)")
        #expect(lostDecision?.incoming == "省厅最终名称有限公司" && lostDecision?.origin?.contains("decision value on conflict \(asked[0].id)") == true,
                "\(recovered)")

        // A second round applies nothing again.
        let sequence = try province.sql("SELECT value FROM meta WHERE key = 'seq'")
        for region in regions { #expect(try bureaus[region]!.agent(["sync"]).status == 0) }
        #expect(try province.sql("SELECT value FROM meta WHERE key = 'seq'") == sequence)

        // A reviewer restores both with one command; the bureaus agree with the province again.
        let bulk = try province.cli(["conflicts", "resolve", "--kind", "recovered", "--take-incoming", "--note", "从区局副本恢复"])
        #expect(bulk.status == 0, "\(bulk)")
        #expect(try province.record(designated).document["srdi"] == srdi)
        #expect(try province.record(contested).document["name"] == "省厅最终名称有限公司")
        for region in regions {
            #expect(try bureaus[region]!.agent(["sync"]).status == 0)
            let verified = try bureaus[region]!.agent(["verify"])
            #expect(verified.status == 0, "\(region): \(verified)")
        }
    }

    /// The trap of a config that names another province's address (or a register set up anew):
    /// the store does not take that province for a restored one, sends nothing and says so.
    @Test func aStorePointedAtAnotherProvinceStopsAndSaysSo() throws {
        let first = try AggregatorProcess(regions: ["410100"], name: "register-a")
        defer { first.stop() }
        let second = try AggregatorProcess(regions: ["410100"], name: "register-b")
        defer { second.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: first)
        let codes = try zz.generate(3, seed: 1801)
        #expect(try zz.agent(["sync"]).status == 0)
        try zz.edit(codes[0], ["employees": 4321])
        // The config now names the other province, with a token that province knows.
        let config = try String(contentsOfFile: zz.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: first.url, with: second.url).write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        try second.bureauTokens["410100"]!.write(toFile: zz.tokenPath, atomically: true, encoding: .utf8)
        let refused = try zz.agent(["sync"])
        #expect(refused.status == 7, "\(refused)")
        #expect(refused.stderr.contains("this store synced with register") && refused.stderr.contains("check server.url"), "\(refused)")
        #expect(try second.sql("SELECT count(*) FROM records") == "0")
        #expect(try second.sql("SELECT count(*) FROM store_epochs") == "0")
    }

    /// An agent that never learnt a generation (its last sync was before register stamps) still
    /// notices a restored province: its cursor is past the last change the province numbered.
    @Test(.enabled(if: TestBackend.isFile, Comment(rawValue: TestBackend.fileOnly)))
    func aCursorPastTheProvincesLastChangeIsNoticedWithoutAGeneration() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "cursor-ahead")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(4, seed: 1802)
        #expect(try zz.agent(["sync"]).status == 0)
        let backup = province.folder + "/s1.sqlite.gz"
        #expect(try province.cli(["backup", backup]).status == 0)
        try zz.edit(codes[1], ["employees": 2468])
        #expect(try zz.agent(["sync"]).status == 0)
        province.stop()
        #expect(try province.cli(["restore", backup, "--force"]).status == 0)
        try province.restart()
        // As an agent from before register stamps left it.
        let statePath = zz.storePath + "/.esync/state.json"
        var state = try JSONValue.parse(Array(try String(contentsOfFile: statePath, encoding: .utf8).utf8)).objectValue ?? [:]
        #expect(state.removeValue(forKey: "province") != nil)
        try JSONValue.object(state).canonicalString.write(toFile: statePath, atomically: true, encoding: .utf8)
        let synced = try zz.agent(["sync"])
        #expect(synced.status == 0 && (synced.stderr + synced.stdout).contains("past change"), "\(synced)")
        #expect(try province.record(codes[1]).document["employees"] == 2468)
    }

    /// The agent killed in the middle of a heal (SIGKILL at each of its steps) heals on its next
    /// run, and the province gets each lost edit once.
    @Test(.enabled(if: TestBackend.isFile, Comment(rawValue: TestBackend.fileOnly)), arguments: ["heal.sealed", "heal.committed", "batch.renamed"])
    func aHealKilledHalfwayIsFinishedByTheNextRun(point: String) throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "heal-crash")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(6, seed: 1803)
        #expect(try zz.agent(["sync"]).status == 0)
        let backup = province.folder + "/s1.sqlite.gz"
        #expect(try province.cli(["backup", backup]).status == 0)
        for (n, code) in codes.prefix(3).enumerated() { try zz.edit(code, ["employees": .int(Int64(5000 + n))]) }
        let list = province.folder + "/srdi.csv"
        try "\(codes[5])\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try province.cli(["designations", "import", "--kind", "srdi", "--year", "2026", list]).status == 0)
        #expect(try zz.agent(["sync"]).status == 0)
        province.stop()
        #expect(try province.cli(["restore", backup, "--force"]).status == 0)
        try province.restart()

        let killed = try zz.agent(["sync"], environment: ["ESYNC_CRASH_AT": point])
        #expect(killed.status != 0, "\(point): \(killed)")
        let healed = try zz.agent(["sync"])
        #expect(healed.status == 0, "\(point): \(healed)")
        for (n, code) in codes.prefix(3).enumerated() {
            #expect(try province.record(code).document["employees"] == .int(Int64(5000 + n)), "\(point): \(code)")
            // Once: the restored register's history of the record has one revision after the backup's.
            #expect(try province.sql("SELECT count(*) FROM history WHERE uscc = '\(code)'") == "2", "\(point): \(code)")
        }
        let open = try openConflicts(province)
        #expect(open.count == 1 && open[0].kind == "recovered" && open[0].uscc == codes[5], "\(point): \(open)")
        let sequence = try province.sql("SELECT value FROM meta WHERE key = 'seq'")
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.sql("SELECT value FROM meta WHERE key = 'seq'") == sequence, "\(point)")
    }

    func openConflicts(_ province: AggregatorProcess) throws -> [ConflictView] {
        let listed = try province.cli(["conflicts", "list", "--json"])
        return try ConflictList.decode(Array(listed.stdout.utf8)).conflicts
    }
}
