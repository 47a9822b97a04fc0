import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// `records`, `history` (each field's provenance too), the report's facts and totals, and
/// conflicts as a merge parks them.
extension SQLiteTransaction {
    func recordsForMerge(_ codes: [String]) throws -> [String: StoredRecord] {
        var found: [String: StoredRecord] = [:]
        found.reserveCapacity(codes.count)
        try selectRecords("uscc, region, revision, seq, deleted, doc, hash", codes) { row in
            let uscc: String = row[0]
            let document = try row.withUnsafeData(atIndex: 5) { try StoredRecord.decode(bytes: $0 ?? Data(), uscc: uscc) }
            found[uscc] = StoredRecord(uscc: uscc, region: row[1], revision: row[2], seq: row[3], deleted: row[4], document: document, hash: row[6])
        }
        return found
    }

    func recordSequence(_ codes: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        found.reserveCapacity(codes.count)
        try selectRecords("uscc, seq", codes) { row in found[row[0]] = row[1] }
        return found
    }

    /// Reads the history written since `sequence` (a write of a record adds a row there with
    /// the record's new `seq`, in the order written) instead of looking up each record: the
    /// rows of a few merges, at the table's end, where 1,000 lookups were a tenth of a merge's
    /// transaction. Record by record when more was written since than there are codes. (A
    /// register is restored only with no aggregator running: no plan spans a restore.) Sound
    /// because SQLite has one writer: numbers of the change sequence are taken in commit order,
    /// so nothing numbered at or below `sequence` commits after the read that saw it. Where
    /// writers run at once and take their numbers late (PostgreSQL), it would not be.
    func unchanged(_ codes: [String], stored: [String: StoredRecord], since sequence: Int64) throws -> Bool {
        let last = try lastChangeSequence()
        guard last >= sequence else { return false }
        guard last > sequence else { return true }
        guard last - sequence <= Int64(codes.count) else { return try unchangedRecordByRecord(codes, stored: stored) }
        let wanted = Set(codes)
        let written = try String.fetchCursor(db.cachedStatement(sql: "SELECT uscc FROM history WHERE seq > ?"), arguments: [sequence])
        while let uscc = try written.next() {
            if wanted.contains(uscc) { return false }
        }
        return true
    }

    /// `SELECT columns FROM records` of the records with these codes (each once), 500 codes a
    /// statement; `each` gets every row found.
    private func selectRecords(_ columns: String, _ codes: [String], each: (Row) throws -> Void) throws {
        let unique = Array(Set(codes))
        var start = 0
        while start < unique.count {
            let end = min(start + 500, unique.count)
            let marks = Array(repeating: "?", count: end - start).joined(separator: ", ")
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(columns) FROM records WHERE uscc IN (\(marks))"),
                                           arguments: StatementArguments(unique[start..<end]))
            while let row = try rows.next() { try each(row) }
            start = end
        }
    }

    func record(_ uscc: String) throws -> StoredRecord? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT region, revision, seq, deleted, doc, hash FROM records WHERE uscc = ?"),
                                         arguments: [uscc])
        else { return nil }
        return StoredRecord(uscc: uscc, region: row[0], revision: row[1], seq: row[2], deleted: row[3],
                            document: try StoredRecord.decode(row[4], uscc: uscc), hash: row[5])
    }

    func fieldClocks(_ uscc: String) throws -> [String: HybridTimestamp] {
        // A field whose latest writer kept no clock has none, whatever older writers kept.
        try provenance(of: uscc, signers: false).compactMapValues(\.clock)
    }

    func write(_ plan: WritePlan, beforeNumbering: ([RecordResult]) throws -> Void) throws -> [RecordResult] {
        let ids = try plan.conflicts.map { try conflictID($0, context: plan.context) }
        let results = plan.answers.map { answer in
            var result = answer.result
            result.conflicts = answer.conflicts.map { ConflictRef(field: $0.field, conflictId: ids[$0.index]) }
            return result
        }
        _ = try write(plan.revisions, context: plan.context, delta: plan.delta) { try beforeNumbering(results) }
        return results
    }

    /// Parks a conflict, or keeps an automatic decision; returns the id of the open (or the same
    /// automatic) conflict for the same field and values when there is one: a bureau that sends
    /// its pending value again does not queue it twice.
    func conflictID(_ conflict: WritePlan.Conflict, context: WriteContext) throws -> Int64 {
        let incoming = conflict.incoming?.canonicalString
        let current = conflict.current?.canonicalString
        guard let decision = conflict.decision else {
            if let existing = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT id FROM conflicts WHERE status = 'open' AND uscc = ? AND field = ? AND kind = ? AND incoming IS ?
                """), arguments: [conflict.uscc, conflict.field, conflict.kind, incoming]) {
                // A transfer sent again waits with the whole change as last sent.
                if let request = conflict.request {
                    try db.execute(sql: "UPDATE conflicts SET request = ? WHERE id = ?", arguments: [request, existing])
                }
                return existing
            }
            try db.cachedStatement(sql: """
                INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at, request)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [conflict.uscc, conflict.region, conflict.field, conflict.kind, conflict.expected?.canonicalString, current,
                                         incoming, context.source, context.changeSet, context.at, conflict.request])
            return db.lastInsertedRowID
        }
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM conflicts WHERE status = 'auto' AND uscc = ? AND field = ? AND kind = ? AND incoming IS ? AND current IS ?
            """), arguments: [conflict.uscc, conflict.field, conflict.kind, incoming, current]) {
            return existing
        }
        try db.cachedStatement(sql: """
            INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at,
                                   status, decision, value, note, resolved_by, resolved_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'auto', ?, ?, ?, 'policy', ?)
            """).execute(arguments: [conflict.uscc, conflict.region, conflict.field, conflict.kind, conflict.expected?.canonicalString, current,
                                     incoming, context.source, context.changeSet, context.at, decision.rawValue, conflict.value?.canonicalString,
                                     "policy: " + (conflict.rule ?? ""), context.at])
        return db.lastInsertedRowID
    }

    /// Writes new revisions in order with multi-row statements: the records, their provenance,
    /// history, facts, the report's totals and designation values. Returns them as stored.
    @discardableResult
    func write(_ revisions: [WritePlan.Revision], context: WriteContext, delta: FactsDelta?,
               beforeNumbering: () throws -> Void) throws -> [StoredRecord] {
        // One writer at a time: the order of the rows within the transaction does not matter.
        try beforeNumbering()
        guard !revisions.isEmpty else { return [] }
        let last = try nextSeq(count: revisions.count)
        let first = last - Int64(revisions.count) + 1
        let clock = context.clock?.description.databaseValue ?? .null
        let source = context.source.databaseValue, changeSet = context.changeSet.databaseValue, at = context.at.databaseValue
        // Records that stay where they were (same region, not deleted, not new) are updated
        // without touching the columns of `records_region_live`, which SQLite would rewrite.
        // (A record's text and its history's are bound as the bytes they were made as.)
        var records: [BatchValue] = [], inPlace: [BatchValue] = [], history: [BatchValue] = []
        var inPlaceRow: [String: Int] = [:]
        // Facts rows by credit code (a record written twice in one batch: its last facts
        // stand), either whole or, when no indexed column moved, as an in-place update.
        var factRows: [String: (inPlace: Bool, values: [DatabaseValue])] = [:]
        var designations: [DatabaseValue] = []
        records.reserveCapacity(revisions.count * 9)
        history.reserveCapacity(revisions.count * 9)
        var stored: [StoredRecord] = []
        stored.reserveCapacity(revisions.count)
        for (n, revision) in revisions.enumerated() {
            let seq = (first + Int64(n)).databaseValue
            let deleted = revision.kind == .delete
            let uscc = revision.uscc.databaseValue, number = revision.revision.databaseValue
            if let previous = revision.previous, previous.region == revision.region, !previous.deleted, !deleted {
                let row: [BatchValue] = [.value(uscc), .value(number), .value(seq), .utf8(revision.canonical), .value(revision.hash.databaseValue), .value(at),
                                         .value(source)]
                // A record written twice in one batch: its last revision stands (an UPDATE … FROM
                // with two rows for one record would take either).
                if let at = inPlaceRow[revision.uscc] {
                    inPlace.replaceSubrange(at..<at + row.count, with: row)
                } else {
                    inPlaceRow[revision.uscc] = inPlace.count
                    inPlace += row
                }
            } else {
                records += [.value(uscc), .value(revision.region.databaseValue), .value(number), .value(seq), .value(deleted.databaseValue),
                            .utf8(revision.canonical), .value(revision.hash.databaseValue), .value(at), .value(source)]
            }
            // The history row is the fields' provenance too (see `provenance(of:)`).
            history += [.value(uscc), .value(number), .value(seq), .value(source), .value(changeSet), .value(at), .value(revision.historyOp.databaseValue),
                        .utf8(revision.historyUTF8), .value(clock)]
            // Facts that did not change (most edits touch none of the report's fields, see
            // `WritePlan.Revision.facts`) are not written again, nor are designation values
            // the record held already.
            guard let (old, new) = revision.facts else {
                stored.append(revision.stored(seq: first + Int64(n)))
                continue
            }
            // `INSERT OR REPLACE` deletes and inserts the row, rewriting each of the table's
            // four indexes (a page of each, per record); an UPDATE of columns no full index
            // reads touches at most the partial one.
            // `old` is the revision before this one, which may be earlier in this batch: once
            // a revision of the batch needs the whole row (a new record, one revived or
            // moved), the record's last facts are written whole.
            let earlierWhole = factRows[revision.uscc].map { !$0.inPlace } ?? false
            if let old, !earlierWhole, old.indexedColumnsEqual(new) {
                factRows[revision.uscc] = (true, new.unindexedRow)
            } else {
                factRows[revision.uscc] = (false, new.row)
            }
            if !deleted {
                let held = Set(old?.designations ?? [])
                for designation in new.designations where !held.contains(designation) {
                    designations += [uscc, designation.kind.databaseValue, designation.value.databaseValue, at]
                }
            }
            stored.append(revision.stored(seq: first + Int64(n)))
        }
        try insert("INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at, last_source)", width: 9, values: records, tail: """
            ON CONFLICT(uscc) DO UPDATE SET region = excluded.region, revision = excluded.revision, seq = excluded.seq, deleted = excluded.deleted,
                doc = excluded.doc, hash = excluded.hash, updated_at = excluded.updated_at, last_source = excluded.last_source
            """)
        try executeEach("UPDATE records SET revision = ?2, seq = ?3, doc = ?4, hash = ?5, updated_at = ?6, last_source = ?7 WHERE uscc = ?1",
                        width: 7, values: inPlace)
        try insert("INSERT INTO history (uscc, revision, seq, source, changeset, at, op, changes, clock)", width: 9, values: history)
        try insert("INSERT OR REPLACE INTO record_facts", width: 15, values: factRows.values.filter { !$0.inPlace }.flatMap(\.values))
        try executeEach("""
            UPDATE record_facts SET name = ?2, size_class = ?3, status = ?4, industry = ?5, employees = ?6, revenue_yuan = ?7, measures = ?8,
                revenue_warning = ?9, size_warning = ?10 WHERE uscc = ?1
            """, width: 10, values: factRows.values.filter(\.inPlace).flatMap(\.values))
        try insert("INSERT INTO designation_values (uscc, kind, value, first_at)", width: 4, values: designations,
                   tail: "ON CONFLICT DO UPDATE SET first_at = min(first_at, excluded.first_at)")
        try apply(delta ?? FactsDelta(revisions))
        return stored
    }

    /// Adds a batch's changes to the report's totals, one statement per key that moved.
    func apply(_ delta: FactsDelta) throws {
        let totals = delta.totals.filter { $0.value != RecordFacts.Totals() }.sorted { ($0.key.region, $0.key.sizeClass, $0.key.status) < ($1.key.region, $1.key.sizeClass, $1.key.status) }
        try insert("INSERT INTO report_totals (region, size_class, status, records, above_scale, srdi, little_giant, revenue_warnings, size_warnings)",
                   width: 9,
                   values: totals.flatMap { [$0.key.region.databaseValue, $0.key.sizeClass.databaseValue, $0.key.status.databaseValue, $0.value.records.databaseValue,
                                             $0.value.aboveScale.databaseValue, $0.value.srdi.databaseValue, $0.value.littleGiant.databaseValue,
                                             $0.value.revenueWarnings.databaseValue, $0.value.sizeWarnings.databaseValue] },
                   tail: """
                       ON CONFLICT DO UPDATE SET records = records + excluded.records, above_scale = above_scale + excluded.above_scale,
                           srdi = srdi + excluded.srdi, little_giant = little_giant + excluded.little_giant,
                           revenue_warnings = revenue_warnings + excluded.revenue_warnings, size_warnings = size_warnings + excluded.size_warnings
                       """)
        let measures = delta.measures.filter { $0.value != RecordFacts.MeasureTotals() }.sorted { ($0.key.region, $0.key.measure, $0.key.year) < ($1.key.region, $1.key.measure, $1.key.year) }
        try insert("INSERT INTO measure_totals (region, measure, year, count, amount_yuan)", width: 5,
                   values: measures.flatMap { [$0.key.region.databaseValue, $0.key.measure.databaseValue, $0.key.year.databaseValue,
                                               $0.value.count.databaseValue, $0.value.amountYuan.databaseValue] },
                   tail: "ON CONFLICT DO UPDATE SET count = count + excluded.count, amount_yuan = amount_yuan + excluded.amount_yuan")
    }

    /// Hands out `count` numbers of the province-wide change sequence (pull cursors point into
    /// it) and returns the last.
    func nextSeq(count: Int = 1) throws -> Int64 {
        guard let value = try Int64.fetchOne(db.cachedStatement(sql: "UPDATE meta SET value = value + ? WHERE key = 'seq' RETURNING value"),
                                             arguments: [count]) else {
            throw ServiceError.internalError("the database has no change sequence (meta.seq)")
        }
        return value
    }

    /// A record's history, oldest first.
    func history(of uscc: String) throws -> [HistoryEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT revision, seq, source, changeset, at, op, changes FROM history WHERE uscc = ? ORDER BY revision"),
                         arguments: [uscc]).map { row in
            guard let changes = HistoryEntry.Changes(op: row[5], text: row[6]) else {
                throw ServiceError.internalError("history of \(uscc), revision \(row[0] as Int64), is damaged: op \(row[5] as String? ?? "?")")
            }
            return HistoryEntry(uscc: uscc, revision: row[0], seq: row[1], source: row[2], changeSet: row[3], at: row[4], changes: changes)
        }
    }
}

extension RecordFacts {
    /// Whether the columns of `record_facts`' full indexes (its key, `srdi_year`,
    /// `little_giant_year`, `above_since`) and the partial index's key (`region`, with
    /// `deleted`, which no edit changes in place) are the same in both. The warnings the partial
    /// index's condition reads may differ: SQLite updates that one index when they move.
    func indexedColumnsEqual(_ other: RecordFacts) -> Bool {
        uscc == other.uscc && region == other.region && deleted == other.deleted && aboveSince == other.aboveSince && srdiYear == other.srdiYear
            && littleGiantYear == other.littleGiantYear
    }

    /// The credit code and the columns no full index reads, for an update in place.
    var unindexedRow: [DatabaseValue] {
        [uscc.databaseValue, name.databaseValue, sizeClass.databaseValue, status.databaseValue, industry.databaseValue,
         employees.databaseValue, revenueYuan.databaseValue, measures.databaseValue, revenueWarning.databaseValue, sizeWarning.databaseValue]
    }

    /// The row of `record_facts`, its columns in order.
    var row: [DatabaseValue] {
        [uscc.databaseValue, region.databaseValue, deleted.databaseValue, name.databaseValue, sizeClass.databaseValue, status.databaseValue, industry.databaseValue,
         employees.databaseValue, revenueYuan.databaseValue, aboveSince.databaseValue, srdiYear.databaseValue, littleGiantYear.databaseValue,
         measures.databaseValue, revenueWarning.databaseValue, sizeWarning.databaseValue]
    }
}

extension RecordFacts.Value {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        case .text(let s): s.databaseValue
        }
    }
}

extension SQLiteTransaction {
    func provenance(of uscc: String) throws -> [String: Provenance] {
        try provenance(of: uscc, signers: true)
    }

    /// Each field's latest writer, read from the record's history newest first: an update's
    /// fields are those its changes list, a creation stands for every field (`~*`) no later
    /// update wrote, a delete writes none. `signers`: with the key that signed each change set.
    private func provenance(of uscc: String, signers: Bool) throws -> [String: Provenance] {
        let sql = signers
            ? """
              SELECT h.revision, h.source, h.changeset, h.at, h.clock, h.op, h.changes, c.signer FROM history h
              LEFT JOIN changeset_chain c ON c.id = h.changeset WHERE h.uscc = ? ORDER BY h.revision DESC
              """
            : "SELECT revision, source, changeset, at, clock, op, changes, NULL FROM history WHERE uscc = ? ORDER BY revision DESC"
        var fold = ProvenanceFold(uscc: uscc)
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [uscc])
        while let row = try rows.next() {
            let older = try fold.take(revision: row[0], op: row[5], changes: row[6]) {
                Provenance(source: row[1], changeSet: row[2], at: row[3], revision: row[0], clock: (row[4] as String?).flatMap(HybridTimestamp.init),
                           signer: row[7])
            }
            guard older else { break }
        }
        return fold.provenance
    }

    func changes(region: String, after cursor: Int64, limit: Int, requester: String?, leavingOutEchoes: Bool) throws -> [ChangedRow] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT uscc, revision, seq, deleted, CASE WHEN last_source = ?4 THEN NULL ELSE doc END AS doc, hash,
                   coalesce(last_source = ?4, 0) AS echo, NULL AS moved_to
            FROM records WHERE region = ?1 AND seq > ?2 AND NOT (?5 AND coalesce(last_source = ?4, 0) AND deleted = 0)
            UNION ALL
            SELECT uscc, revision, seq, 0, NULL, NULL, 0, to_region FROM moves WHERE from_region = ?1 AND seq > ?2
            ORDER BY seq LIMIT ?3
            """), arguments: [region, cursor, limit, requester, leavingOutEchoes]).map { row in
            // By position: GRDB's lookup by name lowercases the name on every access, a tenth of
            // serving a page of echoes.
            ChangedRow(uscc: row[0], revision: row[1], seq: row[2], deleted: row[3], document: row[4], hash: row[5], echo: row[6], movedTo: row[7])
        }
    }

    func lastChangeSeq(region: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT max(coalesce((SELECT max(seq) FROM records WHERE region = ?1), 0), coalesce((SELECT max(seq) FROM moves WHERE from_region = ?1), 0))
            """), arguments: [region]) ?? 0
    }

    func liveRecords(region: String) throws -> Int {
        // The report's totals count every live record of the region once (`record_facts`): a
        // few rows instead of the region's index (milliseconds for a region of 100,000).
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(SUM(records), 0) FROM report_totals WHERE region = ?"), arguments: [region]) ?? 0
    }

    func savedClock() throws -> HybridTimestamp? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT last FROM clock WHERE id = 1")).flatMap(HybridTimestamp.init)
    }

    func saveClock(_ last: HybridTimestamp) throws {
        try db.cachedStatement(sql: "INSERT INTO clock (id, last) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET last = excluded.last")
            .execute(arguments: [last.description])
    }
}
