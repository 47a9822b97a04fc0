@testable import EndToEndSupport
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// A rule's decision on `employees` of a record both sides edited, re-opened: a number field
/// for a reviewer to decide.
func reopenedNumberConflict(_ province: AggregatorProcess, _ zz: AgentHandle, _ uscc: String) throws -> Int64 {
    #expect(try province.cli(["records", "set", uscc, "employees=101"]).status == 0)
    try zz.edit(uscc, ["employees": 201])
    #expect(try zz.agent(["sync"]).status == 0)
    let auto = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--auto", "--json"]).stdout.utf8)).conflicts
    let id = try #require(auto.first { $0.field == "employees" }?.id)
    #expect(try province.cli(["conflicts", "reopen", "\(id)"]).status == 0)
    return id
}

/// The province's review of conflicts, and its decisions reaching the bureau.
@Suite(.serialized) struct ReviewTests {
    func conflicted(_ name: String) throws -> (AggregatorProcess, AgentHandle, String, Int64) {
        let province = try AggregatorProcess(regions: ["410100"], name: name)
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let uscc = try zz.generate(3, seed: 20)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.cli(["records", "set", uscc, #"name="省厅核定名称有限公司""#]).status == 0)
        try zz.edit(uscc, ["name": "区局登记名称有限公司"])
        #expect(try zz.agent(["sync"]).status == 0)
        let listed = try province.cli(["conflicts", "list", "--json"])
        let conflicts = try ConflictList.decode(Array(listed.stdout.utf8)).conflicts
        try #require(conflicts.count == 1)
        #expect(conflicts[0].field == "name" && conflicts[0].incoming == "区局登记名称有限公司" && conflicts[0].current == "省厅核定名称有限公司")
        return (province, zz, uscc, conflicts[0].id)
    }

    @Test func keepCurrentReachesTheBureauOnItsNextPull() throws {
        let (province, zz, uscc, id) = try conflicted("keep")
        defer { province.stop() }
        let table = try province.cli(["conflicts", "list"])
        #expect(table.stdout.contains("区局登记名称有限公司") && table.stdout.contains("郑州市"))
        let decided = try province.cli(["conflicts", "resolve", "\(id)", "--keep-current", "--note", "以营业执照为准", "--by", "wang"])
        #expect(decided.status == 0, "\(decided)")
        let pull = try zz.agent(["pull"])
        #expect(pull.stdout.contains("the province decided (keep-current)"), "\(pull)")
        #expect(try zz.readRecord(uscc)["name"] == "省厅核定名称有限公司")
        #expect(try zz.statusJSON()["waitingForReview"]?.arrayValue?.isEmpty == true)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
        let shown = try province.cli(["conflicts", "show", "\(id)"])
        #expect(shown.stdout.contains("keep-current by reviewer:wang") && shown.stdout.contains("以营业执照为准"))
        #expect(try province.cli(["conflicts", "resolve", "\(id)", "--take-incoming"]).status == 1)
    }

    @Test func takeIncomingOverHTTPGivesTheProvinceTheBureausValue() throws {
        let (province, zz, uscc, id) = try conflicted("take")
        defer { province.stop() }
        let body = Resolution(decision: .takeIncoming, note: "核实无误").encoded()
        let response = try province.request(.post, "/v1/conflicts/\(id)/resolution", token: province.reviewerToken, body: body)
        #expect(response.status == 200, "\(response.bodyString)")
        #expect(try province.request(.post, "/v1/conflicts/\(id)/resolution", token: province.bureauTokens["410100"], body: body).status == 403)
        #expect(try province.record(uscc).document["name"] == "区局登记名称有限公司")
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try zz.readRecord(uscc)["name"] == "区局登记名称有限公司")
        #expect(try zz.statusJSON()["waitingForReview"]?.arrayValue?.isEmpty == true)
    }

    @Test func aDecisionDoesNotOverwriteANewerLocalEdit() throws {
        let (province, zz, uscc, id) = try conflicted("newer")
        defer { province.stop() }
        try zz.edit(uscc, ["name": "区局再次更正名称有限公司"])
        #expect(try province.cli(["conflicts", "resolve", "\(id)", "--value", #""省厅最终名称有限公司""#]).status == 0)
        #expect(try zz.agent(["pull"]).status == 0)
        #expect(try zz.readRecord(uscc)["name"] == "区局再次更正名称有限公司")
        // The new edit goes out against the decided value and applies.
        #expect(try zz.agent(["push"]).status == 0)
        #expect(try province.record(uscc).document["name"] == "区局再次更正名称有限公司")
    }

    /// `--value` is typed as the field takes it: a name as it is, a count as digits; text for a
    /// number field is refused naming the whole character it stopped at.
    @Test func aNewValueOnTheCommandLineIsTypedAsTheFieldTakesIt() throws {
        let (province, zz, uscc, id) = try conflicted("typed")
        defer { province.stop() }
        let employees = try reopenedNumberConflict(province, zz, uscc)

        let refused = try province.cli(["conflicts", "resolve", "\(employees)", "--value", "洛阳"])
        #expect(refused.status == 2 && refused.stderr.contains("whole number") && refused.stderr.contains("'洛'") && !refused.stderr.contains("æ"), "\(refused)")
        #expect(try province.cli(["conflicts", "resolve", "\(employees)", "--value", "120"]).status == 0)
        #expect(try province.record(uscc).document["employees"] == 120)
        let decided = try province.cli(["conflicts", "resolve", "\(id)", "--value", "洛阳新名称有限公司", "--note", "以营业执照为准"])
        #expect(decided.status == 0, "\(decided)")
        #expect(try province.record(uscc).document["name"] == "洛阳新名称有限公司")
        #expect(try zz.agent(["pull"]).status == 0)
        #expect(try zz.readRecord(uscc)["name"] == "洛阳新名称有限公司")
        let help = try province.cli(["conflicts", "resolve", "--help"])
        #expect(help.stdout.contains("text as it is for a text field"))
    }

    /// The queue on the command line names each enterprise; a delete request shows what it is
    /// about, not content hashes, and is not offered `--value`; a region that is not one of
    /// the 18 is refused as by every other command.
    @Test func theQueueOnTheCommandLineNamesEnterprisesAndShowsNoHashes() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "queue-cli")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let uscc = try zz.generate(3, seed: 22)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        let name = try #require(try zz.readRecord(uscc)["name"]?.stringValue)
        try FileManager.default.removeItem(atPath: zz.recordPath(uscc))
        #expect(try zz.agent(["push"]).status == 0)
        let conflict = try #require(try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts.first)
        let hash = try #require(conflict.current?.stringValue)
        let list = try province.cli(["conflicts", "list"])
        #expect(list.status == 0 && list.stdout.contains(name), "\(list)")
        #expect(!list.stdout.contains(String(hash.prefix(12))), "\(list)")
        let show = try province.cli(["conflicts", "show", "\(conflict.id)"])
        #expect(show.status == 0 && show.stdout.contains(name) && show.stdout.contains("--keep-current"), "\(show)")
        #expect(!show.stdout.contains(String(hash.prefix(12))) && !show.stdout.contains("--value"), "\(show)")
        for arguments in [["conflicts", "list", "--region", "999999"], ["conflicts", "resolve", "--region", "999999", "--keep-current"]] {
            let refused = try province.cli(arguments)
            #expect(refused.status == 2 && refused.stderr.contains("not one of the 18 regions"), "\(arguments): \(refused)")
        }
    }

    @Test func aRefusedDeleteBringsTheRecordBackAndAnApprovedOneRemovesIt() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "deletes")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(4, seed: 21)
        #expect(try zz.agent(["sync"]).status == 0)
        try FileManager.default.removeItem(atPath: zz.recordPath(codes[0]))
        try FileManager.default.removeItem(atPath: zz.recordPath(codes[1]))
        #expect(try zz.agent(["push"]).stdout.contains("2 delete requests"))
        let list = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--kind", "delete", "--json"]).stdout.utf8)).conflicts
        let byRecord = Dictionary(uniqueKeysWithValues: list.map { ($0.uscc, $0.id) })
        #expect(try province.cli(["conflicts", "resolve", "\(byRecord[codes[0]]!)", "--keep-current", "--note", "企业仍在经营"]).status == 0)
        #expect(try province.cli(["conflicts", "resolve", "\(byRecord[codes[1]]!)", "--take-incoming", "--note", "企业已注销"]).status == 0)
        let pull = try zz.agent(["pull"])
        #expect(pull.status == 0, "\(pull)")
        // Both decisions are reported with their notes, the approved one too (its record is gone).
        #expect(pull.stdout.contains("delete request: keep-current") && pull.stdout.contains("企业仍在经营"), "\(pull)")
        #expect(pull.stdout.contains("delete request: take-incoming") && pull.stdout.contains("企业已注销"), "\(pull)")
        #expect(FileManager.default.fileExists(atPath: zz.recordPath(codes[0])))
        #expect(!FileManager.default.fileExists(atPath: zz.recordPath(codes[1])))
        #expect(try province.record(codes[1]).deleted)
        let status = try zz.statusJSON()
        #expect(status["held"]?.arrayValue?.isEmpty == true)
        #expect(status["deleteRequests"]?.arrayValue?.isEmpty == true)
    }
}

extension ReviewTests {
    @Test func aBureauSettingADesignationGetsTheProvincesValueBackAndTheAttemptIsListed() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "authority")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let uscc = try zz.generate(2, seed: 22)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        let before = try province.record(uscc).document["littleGiant"]
        try zz.edit(uscc, ["littleGiant": ["year": 2026, "batch": 7], "employees": 77])
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        #expect(try province.record(uscc).document["littleGiant"] == before)
        #expect(try province.record(uscc).document["employees"] == 77)
        #expect(try zz.readRecord(uscc)["littleGiant"] == before)
        #expect(try zz.readRecord(uscc)["employees"] == 77)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
        let auto = try province.cli(["conflicts", "list", "--auto"])
        #expect(auto.stdout.contains("littleGiant") && auto.stdout.contains("authority: province"), "\(auto)")
    }
}

extension ReviewTests {
    @Test func aPublishedListDesignatesItsEnterprisesAndReachesTheBureau() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "designations")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(5, seed: 23)
        #expect(try zz.agent(["sync"]).status == 0)
        let wrong = String(codes[3].dropLast()) + (codes[3].last == "0" ? "1" : "0")
        let list = province.folder + "/srdi-2025-2.csv"
        try "统一社会信用代码,企业名称\n\(codes[0]),甲\n\(codes[1]),乙\n# 第二页\n\(wrong),丙\n91410100556930377C,丁\n".write(toFile: list, atomically: true, encoding: .utf8)
        let imported = try province.cli(["designations", "import", "--kind", "srdi", "--year", "2025", "--batch", "2", list, "--by", "wang"])
        #expect(imported.status == 3, "\(imported)")
        #expect(imported.stdout.contains("2 designated"))
        #expect(imported.stdout.contains("srdi-2025-2.csv:5") && imported.stdout.contains("srdi-2025-2.csv:6"))
        let expected: JSONValue = ["year": 2025, "batch": 2, "validUntil": "2027-12-31"]
        #expect(try province.record(codes[0]).document["srdi"] == expected)
        #expect(try province.record(codes[0]).provenance["srdi.year"]?.source == "reviewer:wang")
        #expect(try zz.agent(["pull"]).status == 0)
        #expect(try zz.readRecord(codes[1])["srdi"] == expected)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
    }
}

extension ReviewTests {
    func guarded(_ name: String) throws -> (AggregatorProcess, AgentHandle, [String]) {
        let province = try AggregatorProcess(regions: ["410100"], name: name, environment: ["ESYNC_GUARD_MIN_CHANGES": "5"])
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(20, seed: 24)
        #expect(try zz.agent(["sync"]).status == 0)
        // A bad import clobbers half of the store's records.
        for uscc in codes.prefix(10) { try zz.edit(uscc, ["employees": 0]) }
        let push = try zz.agent(["push"])
        #expect(push.status == 3, "\(push)")
        #expect(push.stdout.contains("10 of the region's 20 records") && push.stdout.contains("mass-change guard"))
        return (province, zz, codes)
    }

    /// Times on the command line are Beijing time, as on the review pages, and say so: no bare
    /// UTC time that reads eight hours wrong.
    @Test func timesOnTheCommandLineAreBeijingTimeWithTheirZone() throws {
        let (province, zz, codes) = try guarded("times")
        defer { province.stop() }
        #expect(try province.cli(["records", "set", codes[15], #"name="省厅核定名称有限公司""#]).status == 0)
        try zz.edit(codes[15], ["name": "区局登记名称有限公司"])
        #expect(try zz.agent(["sync"]).status == 3)
        let conflict = try #require(try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts.first)
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let beijing = formatter.string(from: try Date(conflict.createdAt, strategy: .iso8601)) + "+08:00"
        let list = try province.cli(["conflicts", "list"])
        #expect(list.stdout.contains(beijing), "\(beijing)\n\(list)")
        for arguments in [["conflicts", "list"], ["conflicts", "show", "\(conflict.id)"], ["changesets", "list"], ["regions"]] {
            let shown = try province.cli(arguments)
            #expect(shown.status == 0 && shown.stdout.contains("+08:00") && !Self.hasBareTime(shown.stdout), "\(arguments): \(shown)")
        }
        let status = try zz.agent(["status"])
        #expect(status.stdout.contains("+08:00") && !Self.hasBareTime(status.stdout), "\(status)")
    }

    /// An ISO 8601 time as stored (`2026-05-01T06:03`), which a reader takes for local time.
    static func hasBareTime(_ text: String) -> Bool {
        text.range(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d"#, options: .regularExpression) != nil
    }

    @Test func aMassChangeIsHeldWholeAndAppliedOnceApproved() throws {
        let (province, zz, codes) = try guarded("guard-approve")
        defer { province.stop() }
        #expect(try province.record(codes[0]).revision == 1)
        // An ordinary edit elsewhere still goes through while the big one waits.
        try zz.edit(codes[15], ["employees": 15])
        let other = try zz.agent(["push"])
        #expect(try province.record(codes[15]).revision == 2, "\(other)")
        #expect(try zz.statusJSON()["held"]?.arrayValue?.count == 10)
        let list = try province.cli(["changesets", "list"])
        #expect(list.stdout.contains("10 of 20") && list.stdout.contains("employees ×10"), "\(list)")
        let id = try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox")[0].dropFirst(13).dropLast(5)
        #expect(try province.cli(["changesets", "approve", String(id), "--note", "年报更正"]).status == 0)
        #expect(try zz.agent(["push"]).status == 0)
        for uscc in codes.prefix(10) { #expect(try province.record(uscc).document["employees"] == 0) }
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
    }

    @Test func aRefusedMassChangeTellsTheBureauWhy() throws {
        let (province, zz, codes) = try guarded("guard-refuse")
        defer { province.stop() }
        let id = try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox")[0].dropFirst(13).dropLast(5)
        #expect(try province.cli(["changesets", "refuse", String(id), "--note", "导入文件有误"]).status == 0)
        let push = try zz.agent(["push"])
        #expect(push.status == 3)
        #expect(push.stdout.contains("导入文件有误"))
        #expect(try province.record(codes[0]).revision == 1)
        #expect(try zz.readRecord(codes[0])["employees"] == 0)  // nothing the bureau typed is lost
    }
}

extension ReviewTests {
    @Test func anApprovedTransferMovesTheRecordToItsNewBureau() throws {
        let province = try AggregatorProcess(regions: ["410100", "410200"], name: "transfer")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let kf = try AgentHandle(region: "410200", aggregator: province)
        let uscc = try zz.generate(3, seed: 25)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try kf.agent(["sync"]).status == 0)

        // The enterprise moved from Zhengzhou to Kaifeng's 龙亭区.
        try zz.edit(uscc, ["region": "410200", "county": "410202"])
        let asked = try zz.agent(["sync"])
        #expect(asked.status == 0, "\(asked)")
        #expect(try province.record(uscc).region == "410100")
        #expect(try zz.statusJSON()["held"]?.arrayValue?.first?["reason"]?.stringValue?.contains("transfer") == true)
        let list = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--kind", "transfer", "--json"]).stdout.utf8)).conflicts
        try #require(list.count == 1)
        #expect(list[0].incoming == "410200")

        #expect(try province.cli(["conflicts", "resolve", "\(list[0].id)", "--take-incoming", "--note", "企业迁址"]).status == 0)
        let moved = try province.record(uscc)
        #expect(moved.region == "410200" && moved.document["county"] == "410202")
        #expect(try zz.agent(["pull"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: zz.recordPath(uscc)))
        #expect(try province.request(.get, "/v1/records/\(uscc)", token: province.bureauTokens["410100"]).status == 403)
        #expect(try kf.agent(["pull"]).status == 0)
        #expect(try kf.readRecord(uscc)["region"] == "410200")
        #expect(try kf.readRecord(uscc)["county"] == "410202")
        // The new owner edits it like any of its own.
        try kf.edit(uscc, ["employees": 88])
        #expect(try kf.agent(["sync"]).status == 0)
        #expect(try province.record(uscc).document["employees"] == 88)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
    }
}

extension ReviewTests {
    @Test func theProvinceSeesEachBureausLastSyncAndTheQuietOnesAsStale() throws {
        let (province, zz, _, _) = try conflicted("regions")
        defer { province.stop() }
        _ = zz
        let listed = try province.cli(["regions", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let rows = try JSONValue.parse(listed.stdout).arrayValue ?? []
        #expect(rows.count == 18)
        let zhengzhou = try #require(rows.first { $0["region"] == "410100" })
        #expect(zhengzhou["records"] == 3 && zhengzhou["openConflicts"] == 1 && zhengzhou["stale"] == false)
        #expect(zhengzhou["agent"]?.stringValue?.hasPrefix("esync-agent/") == true)
        #expect(zhengzhou["lastPullAt"] != nil)
        #expect(rows.first { $0["region"] == "410200" }?["stale"] == true)
        let table = try province.cli(["regions"])
        #expect(table.stdout.contains("郑州市") && table.stdout.contains("STALE") && table.stdout.contains("17 stale"))
    }
}

extension ReviewTests {
    @Test func aBulkDecisionOverAFilterDecidesEachAndABureauCannotReadTheQueue() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "bulk")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = Array(try zz.generate(4, seed: 24).prefix(3))
        #expect(try zz.agent(["sync"]).status == 0)
        for (n, uscc) in codes.enumerated() {
            #expect(try province.cli(["records", "set", uscc, #"name="省厅名称\#(n)有限公司""#]).status == 0)
            try zz.edit(uscc, ["name": .string("区局名称\(n)有限公司")])
        }
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try zz.statusJSON()["waitingForReview"]?.arrayValue?.count == 3)

        #expect(try province.cli(["conflicts", "resolve", "--take-incoming"]).status == 2)  // no id, no filter
        let dry = try province.cli(["conflicts", "resolve", "--field", "name", "--take-incoming", "--dry-run"])
        #expect(dry.stdout.contains("3 open conflicts match; nothing decided"), "\(dry)")
        let old = try province.cli(["conflicts", "resolve", "--field", "name", "--older-than", "1h", "--take-incoming"])
        #expect(old.stdout.contains("0 of 0 conflicts decided"), "\(old)")
        #expect(try province.cli(["conflicts", "list", "--older-than", "1h"]).stdout.contains("no open conflicts"))
        #expect(try province.cli(["conflicts", "list", "--older-than", "1 fortnight"]).status != 0)

        // The queue is the reviewers'; a bureau may only look up its own conflicts one by one.
        let queue = try province.request(.get, "/v1/conflicts", token: province.bureauTokens["410100"])
        #expect(queue.status == 403, "\(queue.bodyString)")
        let mine = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts
        #expect(try province.request(.get, "/v1/conflicts/\(mine[0].id)", token: province.bureauTokens["410100"]).status == 200)
        #expect(try province.request(.get, "/v1/conflicts?olderThan=1h", token: province.reviewerToken).bodyString.contains(#""conflicts":[]"#))

        let bulk = try province.cli(["conflicts", "resolve", "--field", "name", "--take-incoming", "--note", "以区局登记为准", "--by", "li"])
        #expect(bulk.status == 0 && bulk.stdout.contains("3 of 3 conflicts decided"), "\(bulk)")
        for (n, uscc) in codes.enumerated() {
            #expect(try province.record(uscc).document["name"] == .string("区局名称\(n)有限公司"))
        }
        let again = try province.cli(["conflicts", "resolve", "--all-open", "--keep-current"])
        #expect(again.stdout.contains("0 of 0"), "\(again)")
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try zz.statusJSON()["waitingForReview"]?.arrayValue?.isEmpty == true)
        let decided = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--status", "resolved", "--json"]).stdout.utf8)).conflicts
        #expect(decided.count == 3 && decided.allSatisfy { $0.resolvedBy == "reviewer:li" && $0.note == "以区局登记为准" })
    }
}
