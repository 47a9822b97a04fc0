// The province's merge alone, in process, against its storage floor (issue 15).
//
//   swift run -c release --static-swift-stdlib merge-bench [RECORDS_PER_REGION] [REGIONS]   (default 1000 18)
//   TMPDIR=/dev/shm …   where the databases live (default: the system's temporary folder)
//
// Creates REGIONS × RECORDS_PER_REGION records through `MergeService.apply` (change sets of
// 250, as agents send them), then changes 1–3 fields of every record and merges those change
// sets: the time and CPU time of each phase, field changes and records a second. Then the
// storage floor: the same final documents written straight into a fresh SQLite file (WAL,
// synchronous=NORMAL, as the aggregator opens it) as the current row plus one history row,
// 250 per transaction. No HTTP, no agents: what the province's merge itself costs.
import Aggregator
import EnterpriseModel
import Foundation
import GRDB
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// With `PERF_CTL=FIFO`, tells `perf record --control fifo:FIFO -D -1` when to record: the
/// merge of the 1–3 field changes alone (or with `PERF_PHASE=create`, of the creates).
///   mkfifo /tmp/ctl; PERF_CTL=/tmp/ctl perf record -D -1 --control fifo:/tmp/ctl -g -o merge.data .build/release/merge-bench
func perfControl(_ command: String, phase: String) {
    let environment = ProcessInfo.processInfo.environment
    guard (environment["PERF_PHASE"] ?? "update") == phase, let fifo = environment["PERF_CTL"] else { return }
    guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
    handle.write(Data((command + "\n").utf8))
    try? handle.close()
}

struct Phase {
    var name: String
    var records: Int
    var fieldChanges: Int
    var seconds: Double
    var cpu: Double
}

func measure(_ name: String, records: Int, fieldChanges: Int, _ body: () async throws -> Void) async rethrows -> Phase {
    let cpu0 = cpuSeconds(), t0 = Date()
    try await body()
    return Phase(name: name, records: records, fieldChanges: fieldChanges, seconds: Date().timeIntervalSince(t0), cpu: cpuSeconds() - cpu0)
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let perRegion = arguments.first ?? 1000
let regionCount = min(arguments.dropFirst().first ?? 18, Regions.all.count)
let regions = Array(Regions.all.prefix(regionCount))
let folder = NSTemporaryDirectory() + "esync-merge-bench-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }

let database = try ProvinceDatabase(path: folder + "/province.sqlite")
let merge = MergeService(database: database, guardRule: MassChangeGuard(minChanges: Int.max))
var generator = SampleGenerator(seed: 15)
var documents: [String: [JSONValue]] = [:]
for region in regions { documents[region.code] = generator.records(count: perRegion, regions: [region]).map(\.json) }

func changeSets(_ region: String, _ changes: [RecordChange], prefix: String) -> [ChangeSet] {
    stride(from: 0, to: changes.count, by: 250).map { start in
        ChangeSet(id: "\(prefix)-\(region)-\(start)", region: region, createdAt: "2026-12-05T00:00:00Z",
                  records: Array(changes[start..<min(start + 250, changes.count)]))
    }
}

/// The bodies as agents send them (canonical JSON), made beforehand.
func bodies(_ sets: [String: [ChangeSet]]) -> [String: [[UInt8]]] { sets.mapValues { $0.map { $0.encoded() } } }

func apply(_ sets: [String: [[UInt8]]]) async throws {
    // The regions' change sets interleaved, as 18 bureaus pushing at once send them; each read
    // from its body and sealed as the server does.
    let rounds = sets.values.map(\.count).max() ?? 0
    for n in 0..<rounds {
        for region in regions {
            guard let set = sets[region.code], n < set.count else { continue }
            let bureau = Principal(role: .bureau, region: region.code, name: "bureau \(region.code)")
            let received = try ChangeSet.decodeKeepingJSON(set[n])
            _ = try await merge.apply(received.value, seal: ChangeSetSeal(received: set[n], json: received.json), from: bureau, answer: .shortHashes)
        }
    }
}

var creates: [String: [ChangeSet]] = [:]
for region in regions {
    let changes = documents[region.code]!.compactMap { RecordDiff.change(uscc: $0["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: $0) }
    creates[region.code] = changeSets(region.code, changes, prefix: "create")
}
let createdFields = creates.values.joined().reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.fields.count } }
let total = regions.count * perRegion
let createBodies = bodies(creates)
perfControl("enable", phase: "create")
let created = try await measure("create", records: total, fieldChanges: createdFields) { try await apply(createBodies) }
perfControl("disable", phase: "create")

// 1–3 fields of every record, as Benchmarks/tools/change-records.py changes them.
var rng = SplitMix64(seed: 42)
var updates: [String: [ChangeSet]] = [:]
var finals: [JSONValue] = []
var changedFields = 0
for region in regions {
    var changes: [RecordChange] = []
    for document in documents[region.code]! {
        var edited = document
        let fields = ["employees", "revenueYuan", "contact.phone", "taxYuan", "rdExpenseYuan"].shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng))
        for field in fields {
            switch field {
            case "contact.phone": FieldPath.set(&edited, path: field, to: .string("0371-\(Int.random(in: 1_000_000...9_999_999, using: &rng))"))
            default: FieldPath.set(&edited, path: field, to: .int(Int64.random(in: 10...90_000_000, using: &rng)))
            }
        }
        guard let change = RecordDiff.change(uscc: document["uscc"]!.stringValue!, base: document, baseRevision: 1, working: edited) else { continue }
        changedFields += change.fields.count
        changes.append(change)
        finals.append(edited)
    }
    updates[region.code] = changeSets(region.code, changes, prefix: "update")
}
let updateBodies = bodies(updates)
perfControl("enable", phase: "update")
let updated = try await measure("1-3 fields", records: finals.count, fieldChanges: changedFields) { try await apply(updateBodies) }
perfControl("disable", phase: "update")

// The storage floor: the final documents straight into SQLite.
let floorPath = folder + "/floor.sqlite"
var configuration = Configuration()
configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
let floorPool = try DatabasePool(path: floorPath, configuration: configuration)
try floorPool.write { db in
    try db.execute(sql: """
        CREATE TABLE records (uscc TEXT PRIMARY KEY, region TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL,
                              deleted INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL, hash TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX records_region_seq ON records(region, seq);
        CREATE TABLE history (uscc TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
                              at TEXT NOT NULL, PRIMARY KEY (uscc, revision)) WITHOUT ROWID;
        """)
}
let texts = finals.map { ($0["uscc"]!.stringValue!, $0["region"]!.stringValue!, $0.canonicalString) }
let floor = try await measure("storage floor", records: texts.count, fieldChanges: changedFields) {
    var seq = 0
    for start in stride(from: 0, to: texts.count, by: 250) {
        let batch = texts[start..<min(start + 250, texts.count)]
        let first = seq
        seq += batch.count
        try await floorPool.write { db in
            let record = try db.cachedStatement(sql: """
                INSERT INTO records (uscc, region, revision, seq, doc, hash, updated_at) VALUES (?, ?, 1, ?, ?, ?, '2026-12-05T00:00:00Z')
                ON CONFLICT(uscc) DO UPDATE SET revision = revision + 1, seq = excluded.seq, doc = excluded.doc, hash = excluded.hash
                """)
            let history = try db.cachedStatement(sql: "INSERT OR REPLACE INTO history (uscc, revision, seq, doc, at) VALUES (?, 1, ?, ?, '2026-12-05T00:00:00Z')")
            for (n, (uscc, region, text)) in batch.enumerated() {
                let hash = ContentHash.of(bytes: Array(text.utf8))
                try record.execute(arguments: [uscc, region, first + n, text, hash])
                try history.execute(arguments: [uscc, first + n, text])
            }
        }
    }
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let space = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + space : space + text
}
print([pad("phase", 14, left: true), pad("records", 8), pad("field changes", 14), pad("seconds", 9), pad("CPU s", 9),
       pad("field changes/s", 16), pad("records/s", 11)].joined(separator: " "))
for phase in [created, updated, floor] {
    print([pad(phase.name, 14, left: true), pad("\(phase.records)", 8), pad("\(phase.fieldChanges)", 14),
           pad(String(format: "%.3f", phase.seconds), 9), pad(String(format: "%.3f", phase.cpu), 9),
           pad(String(format: "%.0f", Double(phase.fieldChanges) / phase.seconds), 16), pad(String(format: "%.0f", Double(phase.records) / phase.seconds), 11)]
        .joined(separator: " "))
}
let share = (Double(updated.records) / updated.seconds) / (Double(floor.records) / floor.seconds)
let rate = Double(updated.fieldChanges) / updated.seconds
print("the province merges 1-3 field changes at \(Int((share * 100).rounded())) % of its storage floor's records/s; "
      + "goal >= 50,000 field changes/s: \(rate >= 50_000 ? "holds" : "MISSED") (\(Int(rate)))")
