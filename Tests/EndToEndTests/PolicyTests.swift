@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Each conflict rule and merge operator of the field policy, through the real processes: the
/// province edits a field, the bureau edits the same field, the bureau syncs; the outcome at the
/// province, in the bureau's working copy, and in the list of automatic decisions.
@Suite(.serialized) struct PolicyTests {
    /// The built-in policy with taxes left to the province and revenue to the later edit.
    static let policy = """
        default: { authority: region, onConflict: review }
        deletes: review
        fields:
          name:            { authority: region, onConflict: review }
          employees:       { authority: region, onConflict: region }
          taxYuan:         { authority: region, onConflict: province }
          revenueYuan:     { authority: region, onConflict: latest }
          contact:         { authority: region, onConflict: latest, merge: prefer-non-empty }
          supportMeasures: { authority: region, onConflict: review, merge: union, key: [measure, date] }
          status:          { authority: region, onConflict: review, merge: forward-only, order: [active, relocated, closed] }
          updatedAt:       { authority: region, onConflict: region, merge: max }
          region:          { authority: province, onConflict: province }
          srdi:            { authority: province, onConflict: province }
        """

    func autoDecisions(_ province: AggregatorProcess) throws -> [ConflictView] {
        try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--auto", "--json"]).stdout.utf8)).conflicts
    }

    func openConflicts(_ province: AggregatorProcess) throws -> [ConflictView] {
        try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts
    }

    /// An aggregator with `policy`, a bureau of Zhengzhou with `count` records, synced once.
    func setUp(_ name: String, _ count: Int, seed: UInt64, skew: Int = 0) throws -> (AggregatorProcess, AgentHandle, [String]) {
        let province = try AggregatorProcess(regions: ["410100"], name: name, policy: Self.policy)
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let records = try zz.generate(count, seed: seed)
        let sync = try zz.agent(["sync"], clockSkew: skew)
        #expect(sync.status == 0, "\(sync)")
        return (province, zz, records)
    }

    func set(_ province: AggregatorProcess, _ uscc: String, _ assignment: String) throws {
        let result = try province.cli(["records", "set", uscc, assignment])
        #expect(result.status == 0, "\(result)")
    }

    @Test func everyRuleAndOperatorDecidesAndBothSidesConverge() throws {
        let (province, zz, r) = try setUp("policy-matrix", 8, seed: 31)
        defer { province.stop() }
        let measure = { (name: String, date: String) -> JSONValue in ["measure": .string(name), "amountYuan": 100000, "date": .string(date)] }
        let measures = try zz.readRecord(r[4])["supportMeasures"]?.arrayValue ?? []

        // The province's edits.
        try set(province, r[0], "employees=500")
        try set(province, r[1], "taxYuan=1000")
        try set(province, r[2], #"name="省厅核定名称有限公司""#)
        try set(province, r[3], #"contact.phone="""#)
        try set(province, r[3], #"contact.person="王建国""#)
        try set(province, r[4], "supportMeasures=" + JSONValue.array(measures + [measure("省级技改补助", "2026-03-01")]).canonicalString)
        try set(province, r[5], #"status="relocated""#)
        try set(province, r[6], #"updatedAt="2030-01-01T00:00:00Z""#)
        // The bureau's edits of the same fields, made without seeing the province's.
        try zz.edit(r[0], ["employees": 45])
        try zz.edit(r[1], ["taxYuan": 2000])
        try zz.edit(r[2], ["name": "区局登记名称有限公司"])
        try zz.edit(r[3], ["contact.phone": "13800000000", "contact.person": ""])
        try zz.edit(r[4], ["supportMeasures": .array(measures + [measure("市级贷款贴息", "2026-04-01")])])
        try zz.edit(r[5], ["status": "closed"])
        try zz.edit(r[6], ["updatedAt": "2026-11-01T00:00:00Z"])
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")

        func both(_ uscc: String, _ path: String) throws -> (JSONValue?, JSONValue?) {
            (FieldPath.flatten(try province.record(uscc).document)[path], FieldPath.flatten(try zz.readRecord(uscc))[path])
        }
        // region: the bureau's value; province: the province's; review: the province's for now.
        #expect(try both(r[0], "employees") == (45, 45))
        #expect(try both(r[1], "taxYuan") == (1000, 1000))
        #expect(try both(r[2], "name") == ("省厅核定名称有限公司", "区局登记名称有限公司"))
        // prefer-non-empty: the number the bureau has and the name the province has both stay.
        #expect(try both(r[3], "contact.phone") == ("13800000000", "13800000000"))
        #expect(try both(r[3], "contact.person") == ("王建国", "王建国"))
        // union: both new measures, in a list neither side sent.
        let merged = try province.record(r[4]).document["supportMeasures"]?.arrayValue?.compactMap { $0["measure"]?.stringValue } ?? []
        #expect(merged.suffix(2) == ["省级技改补助", "市级贷款贴息"] && merged.count == measures.count + 2, "\(merged)")
        #expect(try zz.readRecord(r[4])["supportMeasures"] == province.record(r[4]).document["supportMeasures"])
        // forward-only: closed is further than relocated; max: the later date.
        #expect(try both(r[5], "status") == ("closed", "closed"))
        #expect(try both(r[6], "updatedAt") == ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"))

        // Every automatic decision names its rule and keeps the value that lost.
        let auto = try autoDecisions(province)
        func decision(_ uscc: String, _ field: String) -> ConflictView? { auto.first { $0.uscc == uscc && $0.field == field } }
        #expect(decision(r[0], "employees")?.note?.contains("onConflict: region") == true && decision(r[0], "employees")?.current == 500)
        #expect(decision(r[1], "taxYuan")?.note?.contains("onConflict: province") == true && decision(r[1], "taxYuan")?.incoming == 2000)
        #expect(decision(r[3], "contact.phone")?.note?.contains("merge: prefer-non-empty") == true)
        #expect(decision(r[4], "supportMeasures")?.decision == .value && decision(r[4], "supportMeasures")?.note?.contains("union by measure+date") == true)
        #expect(decision(r[5], "status")?.note?.contains("forward-only") == true && decision(r[5], "status")?.incoming == "closed")
        #expect(decision(r[6], "updatedAt")?.note?.contains("merge: max") == true)
        #expect(try openConflicts(province).map(\.field) == ["name"])
        // Nothing left to push but the name, which waits for review and is not sent again.
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
        #expect(try zz.statusJSON()["waitingForReview"]?.arrayValue?.count == 1)

        // A status moving backwards waits for a reviewer even though nobody else changed it.
        try zz.edit(r[5], ["status": "active"])
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(r[5]).document["status"] == "closed")
        #expect(try zz.readRecord(r[5])["status"] == "active")
        let backwards = try openConflicts(province).first { $0.uscc == r[5] }
        #expect(backwards?.current == "closed" && backwards?.incoming == "active")
        // A reviewer who agrees reopens the enterprise, and the bureau's copy stays as it is.
        #expect(try province.cli(["conflicts", "resolve", "\(backwards?.id ?? 0)", "--take-incoming", "--note", "误报注销"]).status == 0)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(r[5]).document["status"] == "active")
        #expect(try zz.statusJSON()["waitingForReview"]?.arrayValue?.count == 1)
    }

    @Test func latestGoesToTheEditSealedLaterWhicheverSideItIs() throws {
        let (province, zz, r) = try setUp("policy-latest", 3, seed: 32)
        defer { province.stop() }

        // The province edits first, the bureau seals after: the bureau's value is the later one.
        try set(province, r[0], "revenueYuan=11000000")
        try zz.edit(r[0], ["revenueYuan": 12_000_000])
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(r[0]).document["revenueYuan"] == 12_000_000)

        // The bureau seals while the province is down; the province edits after that; the
        // bureau's change set arrives later but was made earlier: the province's value stands
        // and reaches the bureau.
        province.stop()
        try zz.edit(r[1], ["revenueYuan": 22_000_000])
        #expect(try zz.agent(["push"]).status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").count == 1)
        try province.restart()
        try set(province, r[1], "revenueYuan=21000000")
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(r[1]).document["revenueYuan"] == 21_000_000)
        #expect(try zz.readRecord(r[1])["revenueYuan"] == 21_000_000)
        let lost = try autoDecisions(province).first { $0.uscc == r[1] }
        #expect(lost?.incoming == 22_000_000 && lost?.note?.contains("onConflict: latest") == true, "\(String(describing: lost))")
        // The clock each value was set with is in the record's provenance.
        let provenance = try province.record(r[1]).provenance["revenueYuan"]
        #expect(provenance?.clock?.node == "province")
    }

    @Test func aBureauClockAnHourBehindStillComesAfterWhatItHasHeard() throws {
        let (province, zz, r) = try setUp("policy-skew", 2, seed: 33, skew: -3600)
        defer { province.stop() }
        // The bureau edits; the province edits the same field; the bureau pulls (keeping its own
        // value, pending) and then pushes. Its wall clock says an hour ago, but its change set
        // is sealed after it heard the province's clock, so it is the later one.
        try zz.edit(r[0], ["revenueYuan": 31_000_000])
        try set(province, r[0], "revenueYuan=30000000")
        #expect(try zz.agent(["pull"], clockSkew: -3600).status == 0)
        #expect(try zz.readRecord(r[0])["revenueYuan"] == 31_000_000)
        let push = try zz.agent(["push"], clockSkew: -3600)
        #expect(push.status == 0, "\(push)")
        #expect(try province.record(r[0]).document["revenueYuan"] == 31_000_000)
        let bureauClock = try #require(try province.record(r[0]).provenance["revenueYuan"]?.clock)
        #expect(bureauClock.node == "410100")
        #expect(bureauClock.milliseconds > HybridClock.wallMilliseconds() - 600_000, "the bureau's clock moved past the province's, not an hour back")
    }

    @Test func aBureauClockADayAheadIsCappedAndCannotDragTheProvinceAlong() throws {
        let (province, zz, r) = try setUp("policy-ahead", 2, seed: 34)
        defer { province.stop() }
        try zz.edit(r[0], ["revenueYuan": 41_000_000])
        #expect(try zz.agent(["sync"], clockSkew: 86400).status == 0)
        let now = HybridClock.wallMilliseconds()
        let kept = try #require(try province.record(r[0]).provenance["revenueYuan"]?.clock)
        #expect(kept.milliseconds <= now + 5 * 60_000 && kept.milliseconds > now, "capped at 5 minutes ahead: \(kept)")
        // A province edit made now is stamped after it, not a day ahead.
        try set(province, r[1], "revenueYuan=42000000")
        let edit = try #require(try province.record(r[1]).provenance["revenueYuan"]?.clock)
        #expect(edit > kept && edit.milliseconds <= now + 5 * 60_000 + 1000)
    }
}
