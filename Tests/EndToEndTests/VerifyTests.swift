@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// `esync-agent verify`: the audit of agreement between a bureau's base and the province.
@Suite(.serialized) struct VerifyTests {
    @Test func verifyAgreesOnASyncedStoreAndNamesExactlyTheRecordsChangedBehindItsBack() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "verify")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(12, seed: 81)
        #expect(try zz.agent(["sync"]).status == 0)
        // A name both sides changed waits for review: the base keeps the old name on purpose,
        // and the store still agrees with the province.
        #expect(try province.cli(["records", "set", codes[5], #"name="省里改的名字有限公司""#]).status == 0)
        try zz.edit(codes[5], ["name": "市里改的名字有限公司"])
        #expect(try zz.agent(["sync"]).stdout.contains("1 field waits for review"))

        let agree = try zz.agent(["verify"])
        #expect(agree.status == 0, "\(agree)")
        #expect(agree.stdout.contains("agree: 12 records in 256 buckets (1 request)"), "\(agree.stdout)")

        // Behind the agent's back: a document edited in SQL, a province edit not yet pulled, a
        // record deleted in SQL, and a base file lost at the bureau.
        try province.tamperEmployees(codes[0], 4)
        #expect(try province.cli(["records", "set", codes[1], "employees=5"]).status == 0)
        try province.sql("DELETE FROM records WHERE uscc = '\(codes[2])'")
        try zz.baseLog.drop(codes[3])

        let differ = try zz.agent(["verify", "--json"])
        #expect(differ.status == 1, "\(differ)")
        let report = try JSONValue.parse(differ.stdout)
        var kinds: [String: String] = [:]
        for d in report["differences"]?.arrayValue ?? [] { kinds[d["uscc"]!.stringValue!] = d["kind"]!.stringValue! }
        #expect(kinds == [codes[0]: "different", codes[1]: "newer-at-province", codes[2]: "missing-at-province", codes[3]: "missing-here"], "\(kinds)")
        let buckets = report["differingBuckets"]?.intValue ?? 0
        #expect(buckets >= 1 && buckets <= 4 && report["requests"]?.intValue == 1 + buckets, "\(report)")
        let text = try zz.agent(["verify"])
        #expect(text.status == 1)
        for uscc in codes.prefix(4) { #expect(text.stdout.contains(uscc), "\(text.stdout)") }
        #expect(text.stdout.contains("4 records DIFFER"), "\(text.stdout)")
        #expect(try zz.agent(["status"]).stdout.contains("last verify: "), "the outcome is kept for status")
    }
}
