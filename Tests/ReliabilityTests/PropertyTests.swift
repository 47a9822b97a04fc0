@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Random interleavings of bureau edits, province edits, pushes, pulls, agents killed mid-sync,
/// the aggregator killed and restarted, and reviewers' decisions, through the real processes.
/// After a final settling sync: every bureau's store equals the province's records of its region,
/// and every edit anyone made is in the current record, in its history or in the review queue.
///
/// `ESYNC_PROPERTY_SEEDS=1,2,3` and `ESYNC_PROPERTY_STEPS=40` (the defaults) choose the runs; a
/// longer soak: `ESYNC_PROPERTY_SEEDS=$(seq -s, 100 120) ESYNC_PROPERTY_STEPS=200 swift test --filter PropertyTests`.
@Suite(.serialized) struct PropertyTests {
    typealias Edit = RandomHistory.Edit

    static let seeds: [UInt64] = (ProcessInfo.processInfo.environment["ESYNC_PROPERTY_SEEDS"] ?? "1,2,3")
        .split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
    static let steps = Int(ProcessInfo.processInfo.environment["ESYNC_PROPERTY_STEPS"] ?? "") ?? 40

    /// Rows as JSON objects: sqlite3's `-json`, or psql's `json_agg` of the same query.
    func rows(_ province: AggregatorProcess, _ query: String) throws -> [JSONValue] {
        guard province.isPostgres else { return try sqlite(province.folder + "/province.sqlite", query.replacingOccurrences(of: "NOT deleted", with: "deleted = 0")) }
        let text = try province.sql("SELECT coalesce(json_agg(q), '[]') FROM (\(query)) q")
        return try JSONValue.parse(text).arrayValue ?? []
    }

    func sqlite(_ database: String, _ query: String) throws -> [JSONValue] {
        let result = try run("/usr/bin/sqlite3", ["-json", database, query], in: NSTemporaryDirectory())
        guard result.status == 0 else { throw HarnessError("sqlite3: \(result)") }
        return result.stdout.isEmpty ? [] : try JSONValue.parse(result.stdout).arrayValue ?? []
    }

    func openConflicts(_ province: AggregatorProcess) throws -> [ConflictView] {
        try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts
    }

    @Test(arguments: seeds) func randomInterleavingsConvergeAndLoseNoEdit(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let regions = ["410100", "410300"]
        let province = try AggregatorProcess(regions: regions, name: "property-\(seed)")
        defer { province.stop() }
        var agents: [String: AgentHandle] = [:]
        var records: [String: [String]] = [:]
        for (n, region) in regions.enumerated() {
            let agent = try AgentHandle(region: region, aggregator: province)
            records[region] = try agent.generate(5, seed: seed &* 10 &+ UInt64(n))
            #expect(try agent.agent(["sync"]).status == 0)
            agents[region] = agent
        }
        var edits: [Edit] = []
        var unpushed: [String: [String: Int]] = [:]  // region → "uscc field" → edit not yet pushed
        var trace: [String] = []
        var kills = 0, crashes = 0, decisions = 0

        for step in 0..<Self.steps {
            let region = regions.randomElement(using: &rng)!
            let agent = agents[region]!
            let uscc = records[region]!.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<100, using: &rng)
            switch roll {
            case 0..<30:
                let (field, value) = RandomHistory.bureauChange(&rng)
                try agent.edit(uscc, [field: value])
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
                    let candidate = RandomHistory.provinceChange(&rng)
                    if parts[1] != "littleGiant" {
                        target = String(parts[0])
                        field = String(parts[1])
                        value = field == candidate.0 ? candidate.1 : RandomHistory.bureauChange(&rng).1
                        if field == "status" || field == "contact.phone" || field == "name" || field == "employees" || field == "revenueYuan" || field == "taxYuan" {
                            // a value of the field's own kind
                            var probe = RandomHistory.bureauChange(&rng)
                            while probe.0 != field { probe = RandomHistory.bureauChange(&rng) }
                            value = probe.1
                        }
                    }
                }
                let uscc = target
                let set = try province.cli(["records", "set", uscc, "\(field)=\(value.canonicalString)", "--by", "editor"])
                #expect(set.status == 0, "step \(step): \(set)")
                edits.append(Edit(uscc: uscc, field: field, value: value, by: "reviewer:editor"))
                trace.append("\(step) province edits \(uscc) \(field)")
            case 45..<70:
                let command = ["push", "pull", "sync"].randomElement(using: &rng)!
                let result = try agent.agent([command])
                #expect([0, 3].contains(result.status), "step \(step) \(command) \(region): \(result)")
                if command != "pull" && [0, 3].contains(result.status) { unpushed[region] = nil }
                trace.append("\(step) \(command) \(region) → \(result.status)")
            case 70..<80:
                let after = Double.random(in: 0.01...0.4, using: &rng)
                let result = try agent.agent(["sync"], killAfter: after)
                if result.status == 137 { kills += 1 } else if result.status == 0 { unpushed[region] = nil }
                trace.append("\(step) sync \(region) killed after \(Int(after * 1000)) ms → \(result.status)")
            case 80..<93:
                guard let conflict = try openConflicts(province).randomElement(using: &rng) else { continue }
                var arguments = ["conflicts", "resolve", "\(conflict.id)", "--by", "wang"]
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: arguments.append("--keep-current")
                case 1: arguments.append("--take-incoming")
                default:
                    if conflict.kind == "field", let value = conflict.incoming ?? conflict.current {
                        arguments += ["--value", value.canonicalString]
                        edits.append(Edit(uscc: conflict.uscc, field: conflict.field, value: value, by: "reviewer:wang"))
                    } else {
                        arguments.append("--keep-current")
                    }
                }
                let decided = try province.cli(arguments)
                #expect(decided.status == 0, "step \(step): \(decided)")
                decisions += 1
                trace.append("\(step) decide \(conflict.id) \(arguments[4])")
            default:
                try province.crashAndRestart()
                crashes += 1
                trace.append("\(step) aggregator killed and restarted")
            }
        }

        // Settle: every bureau syncs, reviewers decide what is still open, until nothing is.
        for _ in 0..<5 {
            for region in regions { _ = try agents[region]!.agent(["sync"]); _ = try agents[region]!.agent(["sync"]) }
            let open = try openConflicts(province)
            if open.isEmpty { break }
            for conflict in open {
                #expect(try province.cli(["conflicts", "resolve", "\(conflict.id)", Bool.random(using: &rng) ? "--keep-current" : "--take-incoming"]).status == 0)
                decisions += 1
            }
        }
        let context = "seed \(seed), \(kills) agents killed mid-sync, \(crashes) aggregator crashes, \(decisions) decisions\n" + trace.joined(separator: "\n")
        #expect(try openConflicts(province).isEmpty, "\(context)")

        // Every replica equals the province for its region.
        for region in regions {
            let agent = agents[region]!
            #expect(try agent.agent(["diff"]).stdout.contains("nothing to push"), "\(region)\n\(context)")
            let held = try rows(province, "SELECT uscc, doc FROM records WHERE region = '\(region)' AND NOT deleted")
            let files = try FileManager.default.contentsOfDirectory(atPath: agent.storePath + "/records").filter { $0.hasSuffix(".json") }
            #expect(files.count == held.count, "\(region): \(files.count) files, the province holds \(held.count)\n\(context)")
            for row in held {
                let uscc = row["uscc"]!.stringValue!
                let theirs = try JSONValue.parse(row["doc"]!.stringValue!)
                #expect(try agent.readRecord(uscc) == theirs, "\(uscc) differs between bureau \(region) and the province\n\(context)")
            }
        }

        // Every edit is in the current record, in history, or in the conflicts (decided or not).
        var seen: [String: [[String: JSONValue]]] = [:]
        for uscc in Set(edits.map(\.uscc)) {
            seen[uscc] = try province.history(uscc).compactMap { $0.document.map(FieldPath.flatten) }
        }
        var queued: [String: [JSONValue?]] = [:]
        for row in try rows(province, "SELECT uscc, field, incoming, current, value FROM conflicts") {
            let key = row["uscc"]!.stringValue! + " " + row["field"]!.stringValue!
            for column in ["incoming", "current", "value"] {
                queued[key, default: []].append(try row[column]?.stringValue.map { try JSONValue.parse($0) })
            }
        }
        let lost = RandomHistory.lost(edits, history: seen, queued: queued)
        #expect(lost.isEmpty, "edits found nowhere: \(lost)\n\(context)")
        let kinds = try rows(province, "SELECT status, COUNT(*) AS n FROM conflicts GROUP BY status")
            .map { "\($0["n"]?.intValue ?? 0) \($0["status"]?.stringValue ?? "?")" }.joined(separator: ", ")
        print("property run seed \(seed): \(Self.steps) steps, \(edits.count) edits (\(edits.filter(\.superseded).count) superseded before a push), \(kills) agents killed mid-sync, \(crashes) aggregator crashes, \(decisions) reviewer decisions; conflicts: \(kinds.isEmpty ? "none" : kinds); converged, nothing lost")
        #expect(edits.count > Self.steps / 5, "the run made edits: \(edits.count)")
    }
}
