@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The register on a PostgreSQL primary with a synchronous hot standby (two clusters on
/// loopback), two aggregator instances configured with both hosts (`database.url` with two):
/// the primary is killed with SIGKILL while the 18 bureaus push, the standby is promoted, and
/// the instances find it by themselves. Every change set an agent had acknowledged before the
/// kill is in the promoted database, those that were not are sent again and applied once, and
/// every bureau syncs again within 30 s of the promotion (issue 17). Meanwhile the instances
/// answer 503 (`register_unavailable`), which the agents take as "try again".
///
/// `ESYNC_FAILOVER_ROUNDS` (default 4) sets how many rounds of edits each bureau makes at least.
@Suite(.serialized) struct FailoverTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["ESYNC_FAILOVER_ROUNDS"] ?? "") ?? 4
    static let perRound = 3

    @Test(.enabled(if: PostgresCluster.installed, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
    func aPromotedStandbyHasEveryAcknowledgedChangeSetAndTheBureausSyncAgain() throws {
        let primary = try PostgresCluster(role: .primary)
        let standby = try PostgresCluster(role: .standby(of: primary))
        try primary.psql("postgres", "CREATE DATABASE esync_failover")
        let url = "postgresql://esync@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/esync_failover"
        let regions = Regions.all.map(\.code)
        let first = try AggregatorProcess(regions: regions, name: "failover", environment: ["ESYNC_GUARD_MIN_CHANGES": "1000000"], databaseURL: url)
        defer { first.stop() }
        let second = try AggregatorProcess(sharing: first)
        defer { second.stop() }
        // Both the instances keep connections to the primary; neither knows a failover is coming.
        #expect(try standby.psql("esync_failover", "SELECT pg_is_in_recovery()") == "t")

        let bureaus = try regions.map { try AgentHandle(region: $0, aggregator: first) }
        var generated: [[String]] = []
        for (n, bureau) in bureaus.enumerated() {
            generated.append(try bureau.generate(12, seed: 1900 + UInt64(n)))
            let initial = try bureau.agent(["sync"], environment: instance(n, first, second))
            try #require(initial.status == 0, "\(bureau.region): \(initial)")
        }

        // Every bureau edits records of its own, a few a round, and syncs until that succeeds
        // before its next round (so every value must arrive, in order); half go through each
        // instance. A bureau goes on until it has made `rounds` rounds and synced once after the
        // promotion.
        let codes = generated
        let synced = Collected([Int](repeating: 0, count: bureaus.count))
        let lastFailure = Collected([String](repeating: "", count: bureaus.count))
        let backAfterPromotion = Collected([Double?](repeating: nil, count: bureaus.count))
        let promotedAt = Collected([Date?]([nil]))
        let failedSyncs = Collected([Int](repeating: 0, count: bureaus.count))
        let made = Collected([[String: [Int64]]](repeating: [:], count: bureaus.count))
        let outage = Collected([""])
        let killAndPromote = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            // Once every bureau has synced a round, in the middle of the next ones.
            let latest = Date().addingTimeInterval(120)
            while synced.values.min()! < 1 && Date() < latest { usleep(10_000) }
            do {
                try primary.kill()
                sleep(2)
                // No host takes writes: the instances answer 503, saying why and when to retry.
                do {
                    let refused = try first.request(.get, "/v1/records/\(codes[0][0])", token: first.reviewerToken)
                    outage.set(0, "\(refused.status) Retry-After: \(refused.header("Retry-After") ?? "none") \(refused.bodyString)")
                } catch {
                    outage.set(0, "\(error)")
                }
                try standby.promote()
                promotedAt.set(0, Date())
            } catch {
                outage.set(0, "failover: \(error)")
            }
            killAndPromote.signal()
        }
        // A thread each (concurrentPerform would run only as many at once as there are cores,
        // and the kill waits for every bureau).
        let allDone = DispatchGroup()
        for n in bureaus.indices {
            allDone.enter()
            Thread.detachNewThread {
                defer { allDone.leave() }
                let bureau = bureaus[n]
                let deadline = Date().addingTimeInterval(240)
                var round = 0
                while Date() < deadline && (round < Self.rounds || backAfterPromotion.values[n] == nil) {
                    var values = made.values[n]
                    for k in 0..<Self.perRound {
                        let uscc = codes[n][(round * Self.perRound + k) % codes[n].count]
                        let value = Int64(10_000 * (n + 1) + round * 10 + k)
                        guard (try? bureau.edit(uscc, ["employees": .int(value)])) != nil else { continue }
                        values[uscc, default: []].append(value)
                    }
                    made.set(n, values)
                    while Date() < deadline {
                        let result = try? bureau.agent(["sync"], environment: instance(n, first, second))
                        if result?.status == 0 {
                            synced.set(n, synced.values[n] + 1)
                            if let promoted = promotedAt.values[0], backAfterPromotion.values[n] == nil {
                                backAfterPromotion.set(n, Date().timeIntervalSince(promoted))
                            }
                            break
                        }
                        // A province that cannot reach its register answers 503: exit 5, try again.
                        failedSyncs.set(n, failedSyncs.values[n] + 1)
                        lastFailure.set(n, result.map { "exit \($0.status): \($0.stderr.suffix(300))" } ?? "did not run")
                        usleep(300_000)
                    }
                    round += 1
                }
            }
        }
        allDone.wait()
        killAndPromote.wait()
        try #require(promotedAt.values[0] != nil, "\(outage.values[0])")
        #expect(try standby.psql("esync_failover", "SELECT pg_is_in_recovery()") == "f")
        #expect(outage.values[0].hasPrefix("503 Retry-After: 5 ") && outage.values[0].contains("register_unavailable"), "\(outage.values[0])")
        #expect(synced.values.allSatisfy { $0 >= Self.rounds }, "syncs: \(synced.values); last failures: \(lastFailure.values)")
        #expect(failedSyncs.values.reduce(0, +) > 0, "the kill landed while no bureau was syncing")
        // Every bureau synced again soon after the promotion.
        for (n, seconds) in backAfterPromotion.values.enumerated() {
            let after = try #require(seconds, "\(regions[n]) never synced after the promotion: \(lastFailure.values[n])")
            #expect(after <= 30, "\(regions[n]) synced again \(after) s after the promotion; \(failedSyncs.values[n]) syncs refused, the last: \(lastFailure.values[n])")
        }
        let slowest = backAfterPromotion.values.compactMap { $0 }.max() ?? 0
        if slowest > 30 {
            // What the instances said meanwhile (both append to one log).
            let log = (try? String(contentsOfFile: first.folder + "/serve.log", encoding: .utf8)) ?? ""
            let said = log.split(separator: "\n").filter { !$0.contains(" info ") }.suffix(80).joined(separator: "\n")
            print("FailoverTests: promoted at \(promotedAt.values[0].map { "\($0)" } ?? "?"); the instances' log, warnings and errors:\n\(said)")
        }

        // A last sync each, then every record as its bureau holds it, each edit in the promoted
        // register's history once and in order: nothing acknowledged lost, nothing applied twice.
        for (n, bureau) in bureaus.enumerated() {
            let last = try bureau.agent(["sync"], environment: instance(n, first, second))
            #expect(last.status == 0, "\(last)")
            #expect(try bureau.outboxFiles().isEmpty)
            for uscc in codes[n] {
                #expect(try first.record(uscc).document == (try bureau.readRecord(uscc)), "\(uscc)")
                let arrived = try first.history(uscc).compactMap { $0.changes["employees"]?.to?.intValue }
                #expect(arrived == made.values[n][uscc] ?? [], "\(uscc): arrived \(arrived), made \(made.values[n][uscc] ?? [])")
            }
            let verify = try bureau.agent(["verify"], environment: instance(n, first, second))
            #expect(verify.status == 0 && verify.stdout.contains("agree"), "\(verify)")
        }
        // A failover is not a restore: the register's generation did not change, nobody healed.
        #expect(try ConflictList.decode(Array(try first.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts.isEmpty)
        print("FailoverTests: \(failedSyncs.values.reduce(0, +)) syncs refused while the register failed over; every bureau back \(String(format: "%.1f", slowest)) s after the promotion at most")
    }

    /// Even bureaus sync through the first instance, odd ones through the second.
    private func instance(_ n: Int, _ first: AggregatorProcess, _ second: AggregatorProcess) -> [String: String] {
        ["ESYNC_SERVER_URL": n % 2 == 0 ? first.url : second.url, "ESYNC_SERVER_TIMEOUT_SECONDS": "10"]
    }
}
