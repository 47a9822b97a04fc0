@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The agent against a province behind a faulty network: connections reset, answers delayed,
/// cut short, or lost after the province committed. Every edit must arrive exactly once.
///
/// `ESYNC_FAULT_ROUNDS` (default 40) sets the length; a soak: `ESYNC_FAULT_ROUNDS=1000`.
@Suite(.serialized) struct NetworkFaultTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["ESYNC_FAULT_ROUNDS"] ?? "") ?? 40

    @Test func throughResetsDelaysCutAnswersAndLostAnswersEveryEditArrivesExactlyOnce() throws {
        // The mass-change guard would hold a long soak's edits (more than 50 in an hour); it is
        // not what is tested here.
        let province = try AggregatorProcess(regions: ["410100"], name: "faults", environment: ["ESYNC_GUARD_MIN_CHANGES": "1000000"])
        defer { province.stop() }
        let proxy = try FaultProxy(targetPort: Int(province.url.split(separator: ":").last!)!)
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let viaProxy = ["ESYNC_SERVER_URL": "http://127.0.0.1:\(proxy.port)", "ESYNC_SERVER_TIMEOUT_SECONDS": "5"]
        let codes = try zz.generate(5, seed: 61)
        #expect(try zz.agent(["sync"], environment: viaProxy).status == 0)

        var rng = SplitMix64(seed: 61)
        var edits: [String: [Int64]] = [:]
        var failures = 0
        var failed = Set<Int>()
        for round in 0..<Self.rounds {
            let uscc = codes[round % codes.count]
            let value = Int64(10_000 + round)
            try zz.edit(uscc, ["employees": .int(value)])
            edits[uscc, default: []].append(value)
            proxy.fault = FaultProxy.Fault.allCases.randomElement(using: &rng)!
            let sync = try zz.agent([Bool.random(using: &rng) ? "sync" : "push"], environment: viaProxy)
            if sync.status != 0 { failures += 1; failed.insert(round) }
            #expect([0, 1, 5].contains(sync.status), "round \(round) with \(proxy.fault): \(sync)")
        }
        proxy.fault = .none
        for _ in 0..<2 { #expect(try zz.agent(["sync"], environment: viaProxy).status == 0) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").isEmpty)

        // Every record holds its last edit, and its history holds the edits in order, each once.
        // An edit is left out only when every push from it to the record's next edit failed: a
        // push first sends what waits in the outbox and seals new edits only once that is
        // acknowledged (sealing on top of an unacknowledged value would conflict with itself),
        // so the bureau's next edit of the field supersedes it, as a second save before a
        // commit does in git.
        var historyCount: [String: Int] = [:], superseded = 0
        for uscc in codes {
            #expect(try province.record(uscc).document["employees"] == edits[uscc].map { .int($0.last!) } ?? (try zz.readRecord(uscc)["employees"]))
            let values = try province.history(uscc).compactMap { $0.document?["employees"]?.intValue }
            historyCount[uscc] = values.count
            let made = edits[uscc] ?? []
            let arrived = Array(values.dropFirst())
            #expect(arrived.last == made.last && arrived == made.filter(arrived.contains) && Set(arrived).count == arrived.count,
                    "\(uscc): history \(values), edits \(made)")
            for value in made where !arrived.contains(value) {
                let round = Int(value - 10_000)
                let pushesBeforeTheNextEdit = (round..<min(round + codes.count, Self.rounds))
                #expect(pushesBeforeTheNextEdit.allSatisfy(failed.contains), "\(uscc): edit \(value) (round \(round)) is missing although a push after it succeeded")
                superseded += 1
            }
        }
        // No change set applied a record twice, and none arrived again as a new change set.
        let results = try province.sql(province.isPostgres ? "SELECT convert_from(result, 'UTF8') FROM changesets" : "SELECT CAST(result AS TEXT) FROM changesets")
        var applied: [String: Int] = [:], unchanged = 0
        for line in results.split(separator: "\n") {
            let result = try ChangeSetResult.decode(Array(line.utf8))
            for record in result.records {
                if record.outcome == .applied { applied[record.uscc, default: 0] += 1 }
                if record.outcome == .unchanged { unchanged += 1 }
            }
        }
        for uscc in codes { #expect(applied[uscc] == historyCount[uscc], "\(uscc) applied \(applied[uscc] ?? 0) times for \(historyCount[uscc] ?? 0) revisions") }
        #expect(unchanged == 0, "an edit the province already had was sent again in a new change set")
        #expect(proxy.injected >= Self.rounds / 2, "faults injected: \(proxy.injected)")
        print("fault rounds: \(Self.rounds), faults injected: \(proxy.injected), syncs that failed and were healed: \(failures); every edit arrived once, \(superseded) superseded by the next edit while every push in between failed")
    }
}
