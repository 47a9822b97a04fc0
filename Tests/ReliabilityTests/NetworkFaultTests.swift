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
        let province = try AggregatorProcess(regions: ["410100"], name: "faults")
        defer { province.stop() }
        let proxy = try FaultProxy(targetPort: Int(province.url.split(separator: ":").last!)!)
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let viaProxy = ["ESYNC_SERVER_URL": "http://127.0.0.1:\(proxy.port)", "ESYNC_SERVER_TIMEOUT_SECONDS": "5"]
        let codes = try zz.generate(5, seed: 61)
        #expect(try zz.agent(["sync"], environment: viaProxy).status == 0)

        var rng = SplitMix64(seed: 61)
        var edits: [String: [Int64]] = [:]
        var failures = 0
        for round in 0..<Self.rounds {
            let uscc = codes[round % codes.count]
            let value = Int64(10_000 + round)
            try zz.edit(uscc, ["employees": .int(value)])
            edits[uscc, default: []].append(value)
            proxy.fault = FaultProxy.Fault.allCases.randomElement(using: &rng)!
            let sync = try zz.agent([Bool.random(using: &rng) ? "sync" : "push"], environment: viaProxy)
            if sync.status != 0 { failures += 1 }
            #expect([0, 1, 5].contains(sync.status), "round \(round) with \(proxy.fault): \(sync)")
        }
        proxy.fault = .none
        for _ in 0..<2 { #expect(try zz.agent(["sync"], environment: viaProxy).status == 0) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").isEmpty)

        // Every record holds its last edit, and its history holds every edit once, in order.
        let database = province.folder + "/province.sqlite"
        for uscc in codes {
            #expect(try province.record(uscc).document["employees"] == edits[uscc].map { .int($0.last!) } ?? (try zz.readRecord(uscc)["employees"]))
            let history = try run("/usr/bin/sqlite3", [database, "SELECT json_extract(doc, '$.employees') FROM history WHERE uscc = '\(uscc)' ORDER BY revision"], in: zz.folder)
            let values = history.stdout.split(separator: "\n").compactMap { Int64($0) }
            #expect(Array(values.dropFirst()) == edits[uscc] ?? [], "\(uscc): history \(values), edits \(edits[uscc] ?? [])")
        }
        // No change set applied a record twice, and none arrived again as a new change set.
        let results = try run("/usr/bin/sqlite3", [database, "SELECT CAST(result AS TEXT) FROM changesets"], in: zz.folder)
        var applied: [String: Int] = [:], unchanged = 0
        for line in results.stdout.split(separator: "\n") {
            let result = try ChangeSetResult.decode(Array(line.utf8))
            for record in result.records {
                if record.outcome == .applied { applied[record.uscc, default: 0] += 1 }
                if record.outcome == .unchanged { unchanged += 1 }
            }
        }
        for uscc in codes { #expect(applied[uscc] == 1 + (edits[uscc]?.count ?? 0), "\(uscc) applied \(applied[uscc] ?? 0) times") }
        #expect(unchanged == 0, "an edit the province already had was sent again in a new change set")
        #expect(proxy.injected >= Self.rounds / 2, "faults injected: \(proxy.injected)")
        print("fault rounds: \(Self.rounds), faults injected: \(proxy.injected), syncs that failed and were healed: \(failures); every edit once")
    }
}
