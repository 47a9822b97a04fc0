@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Two `esync-aggregator serve` on one register behind nginx (round robin), as a province runs
/// several: bureaus sync through the balancer while one instance or the other is killed with
/// SIGKILL in the middle of their pushes and started again. Nothing an instance keeps in memory
/// may matter: every edit arrives once, the records end as the bureaus hold them, every store
/// and the province agree.
///
/// `ESYNC_INSTANCE_ROUNDS` (default 6) sets the length.
@Suite(.serialized) struct InstancesTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["ESYNC_INSTANCE_ROUNDS"] ?? "") ?? 6
    static let regions = ["410100", "410200", "410300"]

    @Test func bureausSyncThroughNginxWhileInstancesAreKilledMidPush() throws {
        let first = try AggregatorProcess(regions: Self.regions, name: "instances", environment: ["ESYNC_GUARD_MIN_CHANGES": "1000000"])
        defer { first.stop() }
        let second = try AggregatorProcess(sharing: first)
        defer { second.stop() }
        let balancer = try LoadBalancer(upstreams: [first.url, second.url], folder: first.folder)
        defer { balancer.stop() }
        // Change sets of 5 records: a push is some thirty requests, so that a kill lands in one.
        let through = ["ESYNC_SERVER_URL": balancer.url, "ESYNC_SERVER_TIMEOUT_SECONDS": "10", "ESYNC_SYNC_MAX_RECORDS_PER_CHANGE_SET": "5"]

        let bureaus = try Self.regions.map { try AgentHandle(region: $0, aggregator: first) }
        var codes: [String: [String]] = [:]
        for (n, bureau) in bureaus.enumerated() {
            codes[bureau.region] = try bureau.generate(150, seed: 160 + UInt64(n))
            let initial = try bureau.agent(["sync"], environment: through)
            #expect(initial.status == 0, "\(initial)")
        }

        var edits: [String: [Int64]] = [:]
        var killed = 0, failedSyncs = 0
        for round in 0..<Self.rounds {
            for (n, bureau) in bureaus.enumerated() {
                for k in 0..<150 {
                    let uscc = codes[bureau.region]![(round * 40 + k) % 150]
                    let value = Int64(100_000 * (n + 1) + round * 1_000 + k)
                    try bureau.edit(uscc, ["employees": .int(value)])
                    edits[uscc, default: []].append(value)
                }
            }
            // Each round one instance (in turn) is killed while the pushes run.
            let victim: AggregatorProcess? = killed % 2 == 0 ? first : second
            let crash = DispatchSemaphore(value: 0)
            if let victim {
                killed += 1
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150 + 50 * round)) {
                    _ = try? victim.crashAndRestart()
                    crash.signal()
                }
            }
            let statuses = Collected([Int32](repeating: -1, count: bureaus.count))
            DispatchQueue.concurrentPerform(iterations: bureaus.count) { n in
                let status = (try? bureaus[n].agent(["sync"], environment: through))?.status ?? -2
                statuses.set(n, status)
            }
            if victim != nil { crash.wait() }
            // A push cut by the kill fails (exit 1 or 5) and is sent again by the next sync.
            #expect(statuses.values.allSatisfy { [0, 1, 5].contains($0) }, "round \(round): \(statuses.values)")
            failedSyncs += statuses.values.filter { $0 != 0 }.count
        }
        #expect(killed >= 2)
        for _ in 0..<2 {
            for bureau in bureaus { #expect(try bureau.agent(["sync"], environment: through).status == 0) }
        }

        // Every record as its bureau holds it; each edit in its history once, in order; the
        // stores and the province agree.
        for bureau in bureaus {
            #expect(try FileManager.default.contentsOfDirectory(atPath: bureau.storePath + "/.esync/outbox").isEmpty)
            for uscc in codes[bureau.region]! {
                #expect(try first.record(uscc).document == (try bureau.readRecord(uscc)), "\(uscc)")
                let arrived = try first.history(uscc).compactMap { $0.changes["employees"]?.to?.intValue }
                let made = edits[uscc] ?? []
                #expect(Set(arrived).count == arrived.count && arrived == made.filter(arrived.contains) && arrived.last == made.last,
                        "\(uscc): history \(arrived), edits \(made)")
            }
            let verify = try bureau.agent(["verify"], environment: through)
            #expect(verify.status == 0 && verify.stdout.contains("agree"), "\(verify)")
        }
        // A reviewer decides through the balancer: the login page comes from one instance and
        // the form goes to the other (login tokens and sessions live in the register), and a
        // decision posted twice (a double click, landing on both) is taken once.
        let zz = bureaus[0]
        let contested = Array(codes["410100"]!.prefix(6))
        for (n, uscc) in contested.enumerated() {
            #expect(try first.cli(["records", "set", uscc, #"name="省厅核定名称\#(n)有限公司""#, "--by", "li"]).status == 0)
            try zz.edit(uscc, ["name": .string("区局登记名称\(n)有限公司")])
        }
        #expect(try zz.agent(["sync"], environment: through).status == 0)
        let open = try ConflictList.decode(Array(try first.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts
        try #require(open.count == contested.count)
        let session = try Page.session(balancer.url, token: first.reviewerToken)
        for conflict in open {
            let form = ["decision": "take-incoming", "note": "核实无误", "csrf": session.csrf]
            let decided = try Page.post(balancer.url, "/review/conflicts/\(conflict.id)/resolve", form, cookie: session.cookie)
            #expect(decided.status == 303, "\(decided.status) \(decided.bodyString)")
            let again = try Page.post(balancer.url, "/review/conflicts/\(conflict.id)/resolve", form, cookie: session.cookie)
            #expect(again.status == 409 && again.bodyString.contains("was already decided (take-incoming by reviewer:wang)"), "\(again.status) \(again.bodyString)")
        }
        #expect(try zz.agent(["sync"], environment: through).status == 0)
        for (n, uscc) in contested.enumerated() {
            let name = JSONValue.string("区局登记名称\(n)有限公司")
            #expect(try first.record(uscc).document["name"] == name && (try zz.readRecord(uscc)["name"]) == name)
            let names = try first.history(uscc).compactMap { $0.changes["name"]?.to }
            #expect(names.filter { $0 == name }.count == 1, "\(uscc): \(names)")
        }

        // Both instances served pushes and the reviewer's pages; print what the kills did.
        let log = balancer.accessLog()
        let pushes = log.filter { $0.hasPrefix("POST /v1/changesets") }
        for (what, lines) in [("pushes", pushes), ("review pages", log.filter { $0.contains(" /review") })] {
            let served = Set(lines.compactMap { $0.split(separator: " ").last.map(String.init) })
            #expect(served.isSuperset(of: [first.url, second.url].map { $0.replacingOccurrences(of: "http://", with: "") }), "\(what) served by \(served)")
        }
        print("InstancesTests: \(pushes.count) pushes through nginx, \(pushes.filter { $0.contains(" 502 ") }.count) cut by a kill (502), \(failedSyncs) syncs failed")
    }
}
