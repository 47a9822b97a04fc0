@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The agent killed by SIGKILL at every named step of a sync that writes (`CrashPoint.all`, and a
/// batch cut after its first and third file), with bureau edits to push and province edits to
/// pull each time. The next sync must converge: every bureau edit in the province's history
/// exactly once, every province edit in the bureau's file, the outbox empty, nothing left to send.
@Suite(.serialized) struct CrashPointTests {
    static let points = ["seal.written", "push.answered", "batch.renamed:1", "batch.renamed:3", "bases.appended", "push.integrated",
                         "pull.fetched", "pull.committed", "pull.committed:2", "bases.appended:3", "state.saved", "state.saved:3"]

    @Test func killedAtEveryStepOfASyncTheNextSyncConvergesWithNothingLostOrDoubled() throws {
        // The mass-change guard would hold the edits of later rounds (50 in an hour); it is not
        // what is tested here.
        let province = try AggregatorProcess(regions: ["410100"], name: "crash-points", environment: ["ESYNC_GUARD_MIN_CHANGES": "1000000"])
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(40, seed: 91)
        #expect(try zz.agent(["sync"]).status == 0)
        // Small pages, so that a pull has several and a crash can fall between two of them.
        let small = ["ESYNC_SYNC_PAGE_SIZE": "4"]
        let bureauSide = Array(codes[0..<20]), provinceSide = Array(codes[20...])
        var bureauEdits: [String: [Int64]] = [:]
        var provinceValue: [String: Int64] = [:]
        var killed = 0

        for (round, point) in Self.points.enumerated() {
            // Five bureau edits and six province edits, on different records.
            for i in 0..<5 {
                let uscc = bureauSide[(round * 5 + i) % bureauSide.count]
                let value = Int64(100_000 + round * 10 + i)
                try zz.edit(uscc, ["employees": .int(value)])
                bureauEdits[uscc, default: []].append(value)
            }
            for i in 0..<6 {
                let uscc = provinceSide[(round * 6 + i) % provinceSide.count]
                let value = Int64(900_000 + round * 10 + i)
                let set = try province.cli(["records", "set", uscc, "employees=\(value)", "--by", "editor"])
                #expect(set.status == 0, "\(set)")
                provinceValue[uscc] = value
            }
            let crash = try zz.agent(["sync"], environment: small.merging(["ESYNC_CRASH_AT": point]) { $1 })
            #expect(crash.status == 137 && crash.stderr.contains("crash point"), "\(point) was not reached: \(crash)")
            if crash.status == 137 { killed += 1 }
            let again = try zz.agent(["sync"], environment: small)
            #expect(again.status == 0, "after a kill at \(point): \(again)")

            // Converged: the bureau's files are the province's records, nothing waits.
            for uscc in codes {
                let mine = try zz.readRecord(uscc)
                #expect(try province.record(uscc).document == mine, "\(uscc) differs after a kill at \(point)")
            }
            for (uscc, value) in provinceValue {
                #expect(try zz.readRecord(uscc)["employees"] == .int(value), "\(uscc): the province's edit is missing after a kill at \(point)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").isEmpty, "outbox after \(point)")
            let diff = try zz.agent(["diff"])
            #expect(diff.status == 0 && diff.stdout.contains("nothing to push"), "diff after \(point): \(diff)")
            // The killed run's temporaries are gone.
            let left = FileManager.default.enumerator(atPath: zz.storePath)?.compactMap { $0 as? String }.filter { $0.contains(".tmp-") } ?? []
            #expect(left.isEmpty, "temporaries after \(point): \(left)")
        }

        // Every bureau edit is in the history once, in the order it was made.
        for (uscc, values) in bureauEdits {
            let seen = try province.history(uscc).compactMap { $0.document?["employees"]?.intValue }.filter { $0 >= 100_000 && $0 < 900_000 }
            #expect(seen == values, "\(uscc): history \(seen), edits \(values)")
        }
        #expect(killed == Self.points.count)
        print("crash points: \(Self.points.count) kills at \(Self.points.joined(separator: ", ")); \(bureauEdits.values.map(\.count).reduce(0, +)) bureau edits and \(Self.points.count * 6) province edits converged, each once")
    }

    /// The aggregator killed inside the transaction of a change set (its records written) and
    /// after committing one but before answering: the first applies nothing, the second is
    /// answered as a replay when the agent sends it again; each edit lands once.
    @Test func theAggregatorKilledMidTransactionOrBeforeAnsweringAppliesEachChangeSetWholeAndOnce() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "crash-province")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(12, seed: 92)
        #expect(try zz.agent(["sync"]).status == 0)
        func sql(_ query: String) throws -> String { try province.sql(query) }
        let timeout = ["ESYNC_SERVER_TIMEOUT_SECONDS": "5"]

        for (round, point) in ["merge.written", "merge.committed"].enumerated() {
            let changeSetsBefore = try sql("SELECT COUNT(*) FROM changesets")
            let historyBefore = try sql("SELECT COUNT(*) FROM history")
            for (i, uscc) in codes.enumerated() { try zz.edit(uscc, ["employees": .int(Int64(50_000 + round * 100 + i))]) }
            province.environment = ["ESYNC_CRASH_AT": point]
            try province.restart()
            let push = try zz.agent(["push"], environment: timeout)
            #expect(push.status != 0, "the push should fail with the province gone at \(point): \(push)")
            #expect(try String(contentsOfFile: province.folder + "/serve.log", encoding: .utf8).contains("crash point \(point)"), "\(point) not reached")
            if point == "merge.written" {
                // Rolled back whole: no change set, no history, no half of the records.
                #expect(try sql("SELECT COUNT(*) FROM changesets") == changeSetsBefore)
                #expect(try sql("SELECT COUNT(*) FROM history") == historyBefore)
            } else {
                // Committed: the change set is there although the agent never heard.
                #expect(Int(try sql("SELECT COUNT(*) FROM changesets"))! == Int(changeSetsBefore)! + 1)
            }
            province.environment = [:]
            try province.restart()
            let again = try zz.agent(["sync"], environment: timeout)
            #expect(again.status == 0, "\(again)")
            if point != "merge.written" { #expect(again.stderr.contains("(replayed)"), "\(again)") }
            for (i, uscc) in codes.enumerated() {
                #expect(try province.record(uscc).document["employees"] == .int(Int64(50_000 + round * 100 + i)))
                let once = try province.history(uscc).filter { $0.changes["employees"]?.to == .int(Int64(50_000 + round * 100 + i)) }.count
                #expect(once == 1, "\(uscc) after \(point): \(once) revisions with the edit")
            }
        }
    }

    /// The aggregator killed inside the transaction of the fourth change set of a push, while
    /// the fifth, sent after it before its answer (two in flight), waits for its turn: the
    /// three before stay, nothing of the fourth or fifth is applied, and once the province is
    /// back the push goes on from the outbox, each change set once and in the order sealed.
    @Test func theAggregatorKilledWithTwoChangeSetsInFlightLosesNeitherNorAppliesThemTwice() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "crash-flights")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(30, seed: 93)
        #expect(try zz.agent(["sync"]).status == 0)
        let changeSetsBefore = Int(try province.sql("SELECT COUNT(*) FROM changesets"))!
        for (i, uscc) in codes.enumerated() { try zz.edit(uscc, ["employees": .int(Int64(70_000 + i))]) }
        province.environment = ["ESYNC_CRASH_AT": "merge.written:4"]
        try province.restart()
        let environment = ["ESYNC_SERVER_TIMEOUT_SECONDS": "5", "ESYNC_SYNC_MAX_RECORDS_PER_CHANGE_SET": "3"]
        let push = try zz.agent(["push"], environment: environment)
        #expect(push.status != 0, "the push should fail with the province gone: \(push)")
        #expect(try String(contentsOfFile: province.folder + "/serve.log", encoding: .utf8).contains("crash point merge.written"))
        #expect(Int(try province.sql("SELECT COUNT(*) FROM changesets"))! == changeSetsBefore + 3)
        // The fourth and the ones after it wait in the outbox; so may the third, whose answer the
        // province may not have sent before it was killed (it is answered as a replay).
        let waiting = try zz.outboxFiles()
        #expect(waiting.count == 7 || waiting.count == 8, "\(waiting) \(push)")
        province.environment = [:]
        try province.restart()
        let again = try zz.agent(["sync"], environment: environment)
        #expect(again.status == 0, "\(again)")
        #expect(Int(try province.sql("SELECT COUNT(*) FROM changesets"))! == changeSetsBefore + 10)
        for (i, uscc) in codes.enumerated() {
            let edits = try province.history(uscc).filter { $0.changes["employees"]?.to == .int(Int64(70_000 + i)) }.count
            #expect(edits == 1, "\(uscc): \(edits) revisions with the edit")
        }
        // In the order sealed: the change feed has the records in the order they were sent.
        let page = try ChangePage.decode(province.request(.get, "/v1/changes?since=0&limit=100", token: province.bureauTokens["410100"]).body)
        #expect(page.records.map(\.uscc) == codes.sorted(), "\(page.records.map(\.uscc))")
        #expect(try zz.outboxFiles().isEmpty)
        #expect(try province.cli(["changesets", "verify"]).status == 0)
    }
}
