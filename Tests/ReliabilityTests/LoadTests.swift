@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// All 18 bureaus pushing at once while reviewers read: everything applied, no lock error ever
/// reaches a bureau. `ESYNC_LOAD_RECORDS` (default 1000) sets each bureau's records and edits.
@Suite(.serialized) struct LoadTests {
    static let perBureau = Int(ProcessInfo.processInfo.environment["ESYNC_LOAD_RECORDS"] ?? "") ?? 1000

    final class Timings: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Double] = []
        private var failures: [String] = []
        func add(_ seconds: Double) { lock.withLock { values.append(seconds) } }
        func fail(_ text: String) { lock.withLock { failures.append(text) } }
        var sorted: [Double] { lock.withLock { values.sorted() } }
        var problems: [String] { lock.withLock { failures } }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    @Test func eighteenBureausPushAtOnceWhileReviewersReadAndEverythingIsApplied() throws {
        let regions = Regions.all.map(\.code)
        // Every bureau changes all its records at once here: the mass-change guard must not hold them.
        let province = try AggregatorProcess(regions: regions, name: "load", environment: ["ESYNC_GUARD_MAX_CHANGE_SHARE": "1"])
        defer { province.stop() }
        let agents = try regions.map { try AgentHandle(region: $0, aggregator: province) }
        var codes: [String: [String]] = [:]
        for (n, agent) in agents.enumerated() { codes[agent.region] = try agent.generate(Self.perBureau, seed: 700 + UInt64(n)) }

        let sample = codes["410100"]![0]
        func everyone(_ label: String, _ body: @escaping @Sendable (AgentHandle) throws -> Void) -> (Double, Timings) {
            let timings = Timings()
            let reading = Timings()
            let done = Timings()
            let reviewer = Thread {
                while done.problems.isEmpty {
                    let started = Date()
                    do {
                        let queue = try province.request(.get, "/v1/conflicts?limit=50", token: province.reviewerToken)
                        if queue.status != 200 { reading.fail("queue: \(queue.status)") }
                        let record = try province.request(.get, "/v1/records/\(sample)", token: province.reviewerToken)
                        if record.status != 200 && record.status != 404 { reading.fail("record: \(record.status)") }  // 404: not pushed yet
                    } catch { reading.fail("\(error)") }
                    reading.add(Date().timeIntervalSince(started))
                }
            }
            reviewer.start()
            let started = Date()
            // One thread per bureau, all started together (not a pool the size of the cores).
            let group = DispatchGroup()
            for agent in agents {
                group.enter()
                Thread {
                    let t0 = Date()
                    do { try body(agent) } catch { timings.fail("\(agent.region): \(error)") }
                    timings.add(Date().timeIntervalSince(t0))
                    group.leave()
                }.start()
            }
            group.wait()
            let wall = Date().timeIntervalSince(started)
            done.fail("done")
            let r = reading.sorted
            print("\(label): \(agents.count) bureaus in \(String(format: "%.2f", wall)) s; per bureau p50 \(String(format: "%.2f", Self.percentile(timings.sorted, 0.5))) s, p99 \(String(format: "%.2f", Self.percentile(timings.sorted, 0.99))) s; reviewer reads \(r.count), p50 \(String(format: "%.0f", Self.percentile(r, 0.5) * 1000)) ms, p99 \(String(format: "%.0f", Self.percentile(r, 0.99) * 1000)) ms")
            #expect(reading.problems.isEmpty, "\(reading.problems.prefix(3))")
            return (wall, timings)
        }

        let (_, initial) = everyone("initial upload of \(Self.perBureau) records each") { agent in
            // A debug-build aggregator takes a few seconds per 1,000-record change set and takes
            // them one at a time: the last of 18 waits longer than the harness's 30 s timeout.
            let result = try agent.agent(["push"], environment: ["ESYNC_SERVER_TIMEOUT_SECONDS": "300"])
            if result.status != 0 { throw HarnessError("push: \(result)") }
        }
        #expect(initial.problems.isEmpty, "\(initial.problems)")
        for agent in agents {
            for (n, uscc) in codes[agent.region]!.enumerated() { try agent.edit(uscc, ["employees": .int(987_000 + Int64(n))]) }
        }
        let (_, edits) = everyone("\(Self.perBureau) changes each") { agent in
            // A debug-build aggregator takes a few seconds per 1,000-record change set and takes
            // them one at a time: the last of 18 waits longer than the harness's 30 s timeout.
            let result = try agent.agent(["push"], environment: ["ESYNC_SERVER_TIMEOUT_SECONDS": "300"])
            if result.status != 0 { throw HarnessError("push: \(result)") }
            if result.stderr.contains("locked") || result.stdout.contains("locked") { throw HarnessError("a lock error reached the bureau: \(result)") }
        }
        #expect(edits.problems.isEmpty, "\(edits.problems)")
        let count = try province.sql("SELECT COUNT(*), SUM(CASE WHEN revision = 2 THEN 1 ELSE 0 END) FROM records")
        #expect(count == "\(18 * Self.perBureau)|\(18 * Self.perBureau)", "every record created once and edited once: \(count)")
    }
}
