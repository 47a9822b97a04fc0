@testable import Agent
@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The convergence property of `ReliabilityTests/PropertyTests` in process: random interleavings
/// of bureau edits, province edits, pushes, pulls, syncs stopped part way, the province restarted
/// and reviewers' decisions, with the agent's real engine and the province's real router and
/// database, no process and no socket. After a final settling sync every bureau's store equals
/// the province's records of its region, and every edit anyone made is in the current record, in
/// its history or in a conflict. A run takes milliseconds per step, so CI runs hundreds of seeds;
/// the end-to-end suite keeps what only real processes show (a kill at any instant, libcurl).
///
/// `ESYNC_INPROCESS_SEEDS=N` (default 200) seeds from `ESYNC_INPROCESS_FIRST_SEED` (default 1),
/// `ESYNC_PROPERTY_STEPS` steps each (default 40).
@Suite struct ConvergencePropertyTests {
    typealias Edit = RandomHistory.Edit

    static let environment = ProcessInfo.processInfo.environment
    static let seeds: [UInt64] = {
        let first = UInt64(environment["ESYNC_INPROCESS_FIRST_SEED"] ?? "") ?? 1
        let count = UInt64(environment["ESYNC_INPROCESS_SEEDS"] ?? "") ?? 200
        return Array(first..<first + count)
    }()
    static let steps = Int(environment["ESYNC_PROPERTY_STEPS"] ?? "") ?? 40

    /// A value of `field`'s own kind.
    static func value(of field: String, _ rng: inout SplitMix64) -> JSONValue {
        var probe = RandomHistory.bureauChange(&rng)
        while probe.0 != field { probe = RandomHistory.bureauChange(&rng) }
        return probe.1
    }

    @Test(arguments: seeds) func randomInterleavingsConvergeAndLoseNoEdit(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let regions = ["410100", "410300"]
        let province = try await InProcessProvince(regions: regions, name: "property-\(seed)")
        defer { province.removeFolder() }
        var bureaus: [String: InProcessBureau] = [:]
        var records: [String: [String]] = [:]
        for (n, region) in regions.enumerated() {
            let bureau = try InProcessBureau(region: region, token: province.tokens[region]!, folder: province.folder + "/bureau-\(region)")
            records[region] = try bureau.generate(5, seed: seed &* 10 &+ UInt64(n))
            let outcome = try await province.withAPI { bureau.run("sync", on: $0) }
            #expect(outcome == .clean)
            bureaus[region] = bureau
        }
        var edits: [Edit] = []
        var unpushed: [String: [String: Int]] = [:]  // region → "uscc field" → edit not yet pushed
        var trace: [String] = []
        var stops = 0, restarts = 0, decisions = 0

        for step in 0..<Self.steps {
            let region = regions.randomElement(using: &rng)!
            let bureau = bureaus[region]!
            let uscc = records[region]!.randomElement(using: &rng)!
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<30:
                let (field, value) = RandomHistory.bureauChange(&rng)
                try bureau.edit(uscc, field, value)
                let key = uscc + " " + field
                if let earlier = unpushed[region]?[key] { edits[earlier].superseded = true }
                edits.append(Edit(uscc: uscc, field: field, value: value, by: "region:\(region)"))
                unpushed[region, default: [:]][key] = edits.count - 1
                trace.append("\(step) bureau \(region) edits \(uscc) \(field)")
            case 30..<45:
                var (field, value) = RandomHistory.provinceChange(&rng)
                var target = uscc
                // Half the time the province edits what a bureau has just edited and not yet
                // pushed: the concurrent edits that make conflicts.
                if Bool.random(using: &rng), let pending = unpushed[region]?.keys.sorted().randomElement(using: &rng) {
                    let parts = pending.split(separator: " ")
                    if parts[1] != "littleGiant" {
                        target = String(parts[0])
                        field = String(parts[1])
                        value = Self.value(of: field, &rng)
                    }
                }
                try await province.set(target, field, value)
                edits.append(Edit(uscc: target, field: field, value: value, by: "reviewer:editor"))
                trace.append("\(step) province edits \(target) \(field)")
            case 45..<70:
                let command = ["push", "pull", "sync"].randomElement(using: &rng)!
                let outcome = try await province.withAPI { bureau.run(command, on: $0) }
                #expect(outcome.isDone, "seed \(seed) step \(step) \(command) \(region): \(outcome)")
                if command != "pull" && outcome.isDone { unpushed[region] = nil }
                trace.append("\(step) \(command) \(region) → \(outcome)")
            case 70..<80:
                let stopAfter = Int.random(in: 1...2, using: &rng)
                let outcome = try await province.withAPI { bureau.run("sync", on: $0, stopAfter: stopAfter) }
                if outcome == .clean { unpushed[region] = nil } else { stops += 1 }
                trace.append("\(step) sync \(region) stopped at safe point \(stopAfter) → \(outcome)")
            case 80..<93:
                guard let conflict = try await province.openConflicts().randomElement(using: &rng) else { continue }
                let resolution: Resolution
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: resolution = Resolution(decision: .keepCurrent)
                case 1: resolution = Resolution(decision: .takeIncoming)
                default:
                    if conflict.kind == "field", let value = conflict.incoming ?? conflict.current {
                        resolution = Resolution(decision: .value, value: value)
                        edits.append(Edit(uscc: conflict.uscc, field: conflict.field, value: value, by: "reviewer:wang"))
                    } else {
                        resolution = Resolution(decision: .keepCurrent)
                    }
                }
                try await province.resolve(conflict.id, resolution)
                decisions += 1
                trace.append("\(step) decide \(conflict.id) \(resolution.decision.rawValue)")
            default:
                try province.restart()
                restarts += 1
                trace.append("\(step) province restarted")
            }
        }

        // Settle: every bureau syncs, reviewers decide what is still open, until nothing is.
        for _ in 0..<5 {
            for region in regions {
                let bureau = bureaus[region]!
                _ = try await province.withAPI { router in (bureau.run("sync", on: router), bureau.run("sync", on: router)) }
            }
            let open = try await province.openConflicts()
            if open.isEmpty { break }
            for conflict in open {
                try await province.resolve(conflict.id, Resolution(decision: Bool.random(using: &rng) ? .keepCurrent : .takeIncoming))
                decisions += 1
            }
        }
        let context = "seed \(seed), \(stops) syncs stopped part way, \(restarts) province restarts, \(decisions) decisions\n" + trace.joined(separator: "\n")
        #expect(try await province.openConflicts().isEmpty, "\(context)")

        // Every replica equals the province for its region.
        for region in regions {
            let bureau = bureaus[region]!
            #expect(try bureau.pendingChanges().isEmpty, "\(region) has changes to push\n\(context)")
            let held = try await province.records(of: region)
            let files = try bureau.recordFiles()
            #expect(Set(files) == Set(held.keys), "\(region): \(files.count) files, the province holds \(held.count)\n\(context)")
            for (uscc, theirs) in held {
                #expect(try bureau.readRecord(uscc) == theirs, "\(uscc) differs between bureau \(region) and the province\n\(context)")
            }
        }

        // Every edit is in the current record, in history, or in the conflicts (decided or not).
        var seen: [String: [[String: JSONValue]]] = [:]
        for uscc in Set(edits.map(\.uscc)) {
            seen[uscc] = try await province.history(uscc).map(FieldPath.flatten)
        }
        var queued: [String: [JSONValue?]] = [:]
        for conflict in try await province.allConflicts() {
            queued[conflict.uscc + " " + conflict.field, default: []] += [conflict.incoming, conflict.current, conflict.value]
        }
        let lost = RandomHistory.lost(edits, history: seen, queued: queued)
        #expect(lost.isEmpty, "edits found nowhere: \(lost)\n\(context)")
        #expect(edits.count > Self.steps / 5, "the run made edits: \(edits.count)")
        let conflicts = try await province.allConflicts()
        print("in-process property run seed \(seed): \(Self.steps) steps, \(edits.count) edits, \(stops) syncs stopped part way, \(restarts) province restarts, \(decisions) reviewer decisions, \(conflicts.count) conflicts; converged, nothing lost")
    }
}
