@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import GRDB
import SyncCore
import Testing

/// A province's register written by the first aggregator, opened by today's: every migration
/// runs over real data, and what the first version stored is read back by today's code. A
/// migration renamed, reordered or changed after it shipped shows here, not in a province.
@Suite struct MigrationTests {
    /// Every migration that has shipped, in order. A new one is added at the end, here and in
    /// `SQLiteRegister.migrator`; one that is here keeps its name and place for good.
    static let shipped = [
        "v1", "v2-resolutions", "v3-reopen", "v4-held", "v5-transfers", "v6-guard-window", "v7-region-activity",
        "v8-last-source", "v9-clocks", "v10-review-sessions", "v11-token-selectors", "v12-report-facts",
        "v13-report-totals", "v14-client-certificates", "v15-changeset-signatures", "v16-store-epochs",
        "v17-changeset-push", "v18-certificate-keys", "v19-facts-in-swift", "v20-history-deltas", "v21-register-identity",
        "v22-provenance-from-history", "v23-history-in-write-order",
        "v24-recent-changes-from-the-index",
    ]

    let temporary = TemporaryFolder("migration")
    var folder: String { temporary.path }
    var path: String { folder + "/province.sqlite" }
    let zhengzhou = Principal(role: .bureau, region: "410100", name: "bureau 410100")
    let reviewer = Principal(role: .reviewer, region: nil, name: "wang")

    @Test func theMigrationsAreTheShippedOnesInTheirOrder() {
        #expect(SQLiteRegister.migrator.migrations == Self.shipped)
    }

    @Test func aFirstVersionRegisterIsReadableByTodaysCodeAfterEveryMigration() async throws {
        let v1 = try FirstVersionRegister(path: path)
        let database = try ProvinceDatabase(path: path)
        #expect(try await database.pool.read { db in try SQLiteRegister.migrator.completedMigrations(db) } == Self.shipped)
        // v21 gave the register an identity: never restored, a 32-digit id, a 16-digit generation.
        let identity = try await database.read { try $0.registerIdentity() }
        #expect(identity.restores == 0 && identity.register.count == 32 && identity.generation.count == 16 && identity.restoredAt == nil)
        let merge = MergeService(database: database)

        // Records, with the provenance and history the first version wrote.
        let a = try await merge.record(v1.a.uscc, for: reviewer)
        #expect(a.document == v1.a.edited && a.revision == 2 && a.seq == 3 && a.region == "410100" && !a.deleted)
        #expect(a.provenance["employees"]?.source == "reviewer:wang" && a.provenance["employees"]?.revision == 2)
        #expect(a.provenance["name"]?.source == "region:410100" && a.provenance["name"]?.changeSet == "cs-1")
        #expect(try await merge.record(v1.c.uscc, for: reviewer).document == v1.c.created)

        // The change feed as a bureau pulls it, region by region, in sequence order.
        let zhengzhouFeed = try await merge.changes(region: "410100", since: 0, limit: 10, requester: zhengzhou.source)
        #expect(zhengzhouFeed.records.map(\.seq) == [2, 3] && zhengzhouFeed.cursor == 3 && !zhengzhouFeed.more)
        #expect(zhengzhouFeed.records.map(\.document) == [v1.b.created, v1.a.edited])
        #expect(zhengzhouFeed.records.map(\.hash) == [ContentHash.of(v1.b.created), ContentHash.of(v1.a.edited)])
        #expect(try await merge.changes(region: "410200", since: 0, limit: 10, requester: "region:410200").records.map(\.document) == [v1.c.created])
        // A pull with no requester (`own=1`: the agent's reconcile and set-up from the province;
        // a reviewer) gets every document, those last written before v8-last-source (which
        // have no `last_source`) too: none is an echo.
        let own = try await merge.changes(region: "410100", since: 0, limit: 10)
        #expect(own.records.map(\.document) == [v1.b.created, v1.a.edited] && own.records.allSatisfy { !$0.echo })

        // The history, converted to changes by v20, rebuilds every revision's document.
        let history = try await merge.history(v1.a.uscc, for: reviewer)
        #expect(history.map(\.op) == ["create", "update"] && history.map(\.document) == [v1.a.created, v1.a.edited])
        #expect(history.last?.changes == ["employees": RecordRevision.Change(from: v1.a.created["employees"], to: v1.a.edited["employees"])])
        #expect(history.map(\.source) == ["region:410100", "reviewer:wang"] && history.map(\.seq) == [1, 3])
        // v23 keeps it in the order it was written, found by record through a unique index.
        let (written, unique) = try await database.pool.read { db in
            (try Int64.fetchAll(db, sql: "SELECT seq FROM history ORDER BY rowid"),
             try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('history') WHERE \"unique\" ORDER BY name"))
        }
        #expect(written == written.sorted() && written.count == 4 && unique == ["history_record"])
        // The migrations ran with temporary files; the writer keeps them in memory again after.
        #expect(try await database.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 2)

        // The token authenticates (found by its hash: it has no selector).
        let bureau = try #require(try await TokenStore(database: database).authenticate(v1.bureauToken))
        #expect(bureau.role == .bureau && bureau.region == "410100" && bureau.name == "bureau 410100")

        // A change set sent again gets its stored result, with the records as they are now.
        let again = ChangeSet(id: "cs-1", region: "410100", createdAt: "2026-03-02T08:00:00Z",
                              records: [RecordDiff.change(uscc: v1.a.uscc, base: nil, baseRevision: nil, working: v1.a.created)!])
        let replayed = try await merge.apply(again, from: bureau)
        #expect(replayed.replayed && replayed.records.map(\.outcome) == [.applied, .applied])
        #expect(replayed.records.first?.revision == 2 && replayed.records.first?.document == v1.a.edited)

        // The report's figures, filled from the first version's records by v12 and v13.
        let report = try await ProgressReport.build(year: 2026, targets: ReportTargets(), database: database)
        #expect(report.province.records == 3)
        #expect(report.regions.first { $0.region == "410100" }?.records == 2 && report.regions.first { $0.region == "410200" }?.records == 1)
        #expect(report.province.sizeClasses == ["micro": 1, "small": 1, "medium": 1, "large": 0, "unknown": 0])
        #expect(report.province.statuses == ["active": 2, "closed": 1, "relocated": 0])
        #expect(report.province.holders == ProgressReport.Counts(aboveScale: 1, srdi: 2, littleGiant: 1))
        #expect(report.province.added == ProgressReport.Counts(aboveScale: 0, srdi: 1, littleGiant: 0))
        #expect(report.months.first { $0.month == "2026-03" }?.added.srdi == 1)
        #expect(report.province.warnings == ProgressReport.Warnings(revenueWithoutAboveScale: 1, sizeClassMismatch: 1))
        #expect(Set(report.warningSamples.map(\.uscc)) == [v1.b.uscc])
        #expect(report.province.supportMeasures == 3 && report.province.supportAmountYuan == 1_500_000)
        #expect(report.measures.map(\.measure) == ["技术改造补助", "贷款贴息"])
        #expect(report.measures.last.map { [$0.count, $0.countInYear] } == [2, 2])

        // The open conflict shows to its bureau and is decided by today's code; the new
        // revision takes the next number of the first version's change sequence.
        let conflict = try await ConflictService(database: database).show(v1.conflictId, for: zhengzhou)
        #expect(conflict.isOpen && conflict.uscc == v1.b.uscc && conflict.field == "employees" && conflict.changeSet == "cs-2")
        #expect(conflict.expected == .int(140) && conflict.current == .int(150) && conflict.incoming == .int(160))
        let decided = try await ConflictService(database: database).resolve(v1.conflictId, Resolution(decision: .takeIncoming), by: reviewer)
        #expect(decided.decision == .takeIncoming && decided.revision == 2)
        let b = try await merge.record(v1.b.uscc, for: reviewer)
        #expect(b.document["employees"] == .int(160) && b.revision == 2 && b.seq == 5)
    }

    /// `database migrate` (and every test's open) migrates: at the latest version that must
    /// write nothing.
    @Test func migratingADatabaseAtTheLatestVersionChangesNothing() async throws {
        let database = try ProvinceDatabase(path: path)
        let schema = "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name"
        let (before, version, changes) = try await database.pool.write { db in
            (try String.fetchAll(db, sql: schema), try Int.fetchOne(db, sql: "PRAGMA schema_version"), db.totalChangesCount)
        }
        try SQLiteRegister.migrator.migrate(database.pool)
        _ = try ProvinceDatabase(path: path)
        let (after, versionAfter, changesAfter, completed) = try await database.pool.write { db in
            (try String.fetchAll(db, sql: schema), try Int.fetchOne(db, sql: "PRAGMA schema_version"), db.totalChangesCount,
             try SQLiteRegister.migrator.completedMigrations(db))
        }
        #expect(after == before && versionAfter == version && changesAfter == changes)
        #expect(completed == Self.shipped)
    }

    /// Since v19 the writer computes the report's facts in Swift (`RecordFacts`); until then
    /// v13's triggers computed them in SQL, and they did for every record stored before. Both
    /// must agree, on ordinary records and on odd ones (numbers as text, text where numbers
    /// belong, reals, missing members), facts and totals alike.
    @Test func theFactsInSwiftAreWhatTheFrozenTriggersComputed() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try SQLiteRegister.migrator.migrate(queue, upTo: "v18-certificate-keys")
        var generator = SampleGenerator(seed: 7)
        var documents: [JSONValue] = generator.records(count: 60, regions: [Regions.region(code: "410100")!]).map(\.json)
        let odd: [[String: JSONValue]] = [
            [:],
            ["employees": "300", "revenueYuan": "25000000", "sizeClass": "small", "industry": "C1311"],
            ["employees": 1200.0, "revenueYuan": 4.5e8, "sizeClass": "medium", "industry": "D4411"],
            ["employees": 12.5, "revenueYuan": "lots", "sizeClass": "micro", "industry": "B0610"],
            ["employees": "abc", "revenueYuan": 100, "sizeClass": 3, "industry": "", "status": .null],
            ["employees": true, "revenueYuan": 30_000_000, "industry": "c1311", "aboveDesignatedSize": ["since": "2024-05"]],
            ["revenueYuan": 30_000_000, "industry": "C1311", "srdi": ["year": "2025"], "littleGiant": ["year": 2024.0]],
            ["name": ["zh": "名"], "status": "closed", "supportMeasures": [
                ["measure": "贷款贴息", "date": "2025-03-01", "amountYuan": 1000], ["measure": .null, "date": 2024, "amountYuan": 12.75],
                ["date": "20", "amountYuan": "9"], .string("odd")]],
            ["supportMeasures": .array([]), "srdi": .null, "sizeClass": .null],
            ["supportMeasures": ["measure": "x"], "industry": "A0111", "employees": 5000, "revenueYuan": 900_000_000, "sizeClass": "large"],
        ]
        for (n, members) in odd.enumerated() {
            var document = JSONValue.object(["uscc": .string("ODD\(n)"), "region": "410100"])
            for (key, value) in members { FieldPath.set(&document, path: key, to: value) }
            documents.append(document)
        }
        let all = documents
        let (swift, delta) = try await queue.write { db in
            var swift: [String: RecordFacts] = [:]
            var delta = FactsDelta()
            for (n, document) in all.enumerated() {
                let uscc = document["uscc"]?.stringValue ?? "X\(n)"
                let deleted = n % 9 == 4
                try db.execute(sql: "INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at) VALUES (?, '410100', 1, ?, ?, ?, '', '')",
                               arguments: [uscc, n + 1, deleted, document.canonicalString])
                let facts = RecordFacts(uscc: uscc, region: "410100", deleted: deleted, document: document)
                swift[uscc] = facts
                delta.replace(nil, with: facts)
            }
            return (swift, delta)
        }
        try await queue.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT * FROM record_facts") {
                let uscc: String = row["uscc"]
                let facts = try #require(swift[uscc])
                let columns: [DatabaseValue] = row.columnNames.map { row[$0] }
                let computed: [DatabaseValue] = facts.row
                #expect(columns == computed, "\(uscc): SQL \(columns), Swift \(computed)")
            }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record_facts") == all.count)
            var totals: [RecordFacts.TotalsKey: RecordFacts.Totals] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM report_totals WHERE records != 0") {
                totals[RecordFacts.TotalsKey(region: row["region"], sizeClass: row["size_class"], status: row["status"])] =
                    RecordFacts.Totals(records: row["records"], aboveScale: row["above_scale"], srdi: row["srdi"], littleGiant: row["little_giant"],
                                       revenueWarnings: row["revenue_warnings"], sizeWarnings: row["size_warnings"])
            }
            #expect(totals == delta.totals)
            var measures: [RecordFacts.MeasureKey: RecordFacts.MeasureTotals] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT region, measure, year, count, CAST(amount_yuan AS INTEGER) AS amount FROM measure_totals WHERE count != 0") {
                measures[RecordFacts.MeasureKey(region: row["region"], measure: row["measure"], year: row["year"])] =
                    RecordFacts.MeasureTotals(count: row["count"], amountYuan: row["amount"])
            }
            #expect(measures == delta.measures)
        }
    }
}

/// A register at version 1, written row by row as the first aggregator's `StoredRecord.write`,
/// `ConflictQueue.park`, `MergeService.apply` and `TokenStore.add` wrote it (commit 8c42284).
/// Two records of 410100, one of them edited by the province since, one of 410200; an open
/// conflict; two applied change sets; a bureau's token.
struct FirstVersionRegister {
    struct Record {
        var uscc: String
        var created: JSONValue
        var edited: JSONValue
    }

    let a: Record, b: Record, c: Record
    let bureauToken = "esync_" + String(repeating: "0123456789abcdef", count: 4)
    let conflictId: Int64 = 1

    init(path: String) throws {
        var generator = SampleGenerator(seed: 15)
        func record(_ region: String, _ shape: (inout EnterpriseRecord) -> Void) -> JSONValue {
            var record = generator.next(region: Regions.region(code: region))
            record.aboveDesignatedSize = nil
            record.srdi = nil
            record.littleGiant = nil
            shape(&record)
            return record.json
        }
        // Small and consistent; SRDI of 2026; one measure.
        let a1 = record("410100") {
            $0.industry = "C3484"; $0.sizeClass = .small; $0.employees = 50; $0.revenueYuan = 10_000_000; $0.status = .active
            $0.srdi = Designation(year: 2026, batch: 1, validUntil: "2028-12-31")
            $0.supportMeasures = [SupportMeasure(measure: "贷款贴息", amountYuan: 300_000, date: "2026-03-15")]
        }
        var a2 = a1
        FieldPath.set(&a2, path: "employees", to: .int(60))
        // Both warnings: industrial revenue over 20 million without the flag; 150 people and
        // 30 million yuan are small, not micro.
        let b1 = record("410100") {
            $0.industry = "C3484"; $0.sizeClass = .micro; $0.employees = 150; $0.revenueYuan = 30_000_000; $0.status = .active
            $0.supportMeasures = []
        }
        // Closed; all three designations held, none new in 2026; two measures.
        let c1 = record("410200") {
            $0.industry = "C3491"; $0.sizeClass = .medium; $0.employees = 400; $0.revenueYuan = 50_000_000; $0.status = .closed
            $0.aboveDesignatedSize = AboveDesignatedSize(since: "2019-06")
            $0.srdi = Designation(year: 2021, batch: 1, validUntil: "2023-12-31")
            $0.littleGiant = Designation(year: 2023, batch: 5, validUntil: "2026-06-30")
            $0.supportMeasures = [SupportMeasure(measure: "技术改造补助", amountYuan: 1_000_000, date: "2025-05-20"),
                                  SupportMeasure(measure: "贷款贴息", amountYuan: 200_000, date: "2026-01-10")]
        }
        a = Record(uscc: a1["uscc"]?.stringValue ?? "", created: a1, edited: a2)
        b = Record(uscc: b1["uscc"]?.stringValue ?? "", created: b1, edited: b1)
        c = Record(uscc: c1["uscc"]?.stringValue ?? "", created: c1, edited: c1)

        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try SQLiteRegister.migrator.migrate(queue, upTo: "v1")
        try queue.write { [a, b, c, bureauToken] db in
            let all = { (doc: JSONValue) in FieldPath.flatten(doc).keys.sorted() }
            try Self.write(db, a.uscc, "410100", revision: 1, a.created, fields: all(a.created), source: "region:410100", changeSet: "cs-1", at: "2026-03-02T08:00:00Z")
            try Self.write(db, b.uscc, "410100", revision: 1, b.created, fields: all(b.created), source: "region:410100", changeSet: "cs-1", at: "2026-03-02T08:00:00Z")
            try Self.changeSet(db, "cs-1", "410100", at: "2026-03-02T08:00:00Z", [
                ["uscc": .string(a.uscc), "outcome": "applied", "revision": .int(1), "document": a.created, "applied": .array(all(a.created).map(JSONValue.string)), "conflicts": []],
                ["uscc": .string(b.uscc), "outcome": "applied", "revision": .int(1), "document": b.created, "applied": .array(all(b.created).map(JSONValue.string)), "conflicts": []],
            ])
            try Self.write(db, a.uscc, "410100", revision: 2, a.edited, fields: ["employees"], source: "reviewer:wang",
                           changeSet: "edit-5f0c7a2e-2b51-4d7e-9c43-1f7e0d3a6b10", at: "2026-03-20T09:30:00Z")
            try Self.write(db, c.uscc, "410200", revision: 1, c.created, fields: all(c.created), source: "region:410200", changeSet: "kf-1", at: "2026-03-21T10:00:00Z")
            try Self.changeSet(db, "kf-1", "410200", at: "2026-03-21T10:00:00Z", [
                ["uscc": .string(c.uscc), "outcome": "applied", "revision": .int(1), "document": c.created, "applied": .array(all(c.created).map(JSONValue.string)), "conflicts": []],
            ])
            // The bureau, whose base said 140, sends 160; the province holds 150.
            try db.execute(sql: """
                INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [b.uscc, "410100", "employees", "field", "140", "150", "160", "region:410100", "cs-2", "2026-03-22T11:00:00Z"])
            try Self.changeSet(db, "cs-2", "410100", at: "2026-03-22T11:00:00Z", [
                ["uscc": .string(b.uscc), "outcome": "conflict", "revision": .int(1), "document": b.created, "applied": [],
                 "conflicts": [["field": "employees", "conflictId": .int(1)]]],
            ])
            try db.execute(sql: "INSERT INTO tokens (hash, role, region, name, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [ContentHash.of(bytes: Array(bureauToken.utf8)), "bureau", "410100", "bureau 410100", "2026-03-01T07:00:00Z"])
        }
        try queue.close()
    }

    /// `StoredRecord.write` of version 1: the record, a provenance row per changed field, and
    /// a history row, at the next number of the change sequence.
    static func write(_ db: Database, _ uscc: String, _ region: String, revision: Int64, _ document: JSONValue, fields: [String],
                      source: String, changeSet: String, at: String) throws {
        let seq = try Int64.fetchOne(db, sql: "UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value")
        let text = document.canonicalString
        try db.execute(sql: """
            INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)
            ON CONFLICT(uscc) DO UPDATE SET region = excluded.region, revision = excluded.revision, seq = excluded.seq,
                deleted = 0, doc = excluded.doc, hash = excluded.hash, updated_at = excluded.updated_at
            """, arguments: [uscc, region, revision, seq, text, ContentHash.of(bytes: Array(text.utf8)), at])
        for field in fields {
            try db.execute(sql: "INSERT OR REPLACE INTO provenance (uscc, field, source, changeset, at, revision) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [uscc, field, source, changeSet, at, revision])
        }
        try db.execute(sql: "INSERT INTO history (uscc, revision, seq, doc, source, changeset, at, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [uscc, revision, seq, text, source, changeSet, at, JSONValue.array(fields.map(JSONValue.string)).canonicalString])
    }

    /// `MergeService.apply` of version 1 kept the whole result as JSON, documents included.
    static func changeSet(_ db: Database, _ id: String, _ region: String, at: String, _ records: [JSONValue]) throws {
        let result: JSONValue = ["format": 1, "id": .string(id), "replayed": false, "records": .array(records)]
        try db.execute(sql: "INSERT INTO changesets (id, region, received_at, records, result) VALUES (?, ?, ?, ?, ?)",
                       arguments: [id, region, at, records.count, Data(result.canonicalString.utf8)])
    }
}
