import EnterpriseModel
import Foundation
import SyncCore

/// `records`, `history` (each field's provenance too), the report's facts and totals, and
/// conflicts as a merge parks them.
extension PostgresTransaction {
    private static let recordColumns = "uscc, region, revision, seq, deleted, doc, hash"

    private static func record(_ row: SQLRow) throws -> StoredRecord {
        let uscc = try row.string(0)
        return StoredRecord(uscc: uscc, region: try row.string(1), revision: try row.int(2), seq: try row.int(3), deleted: try row.bool(4),
                            document: try StoredRecord.decode(bytes: try row.byteBuffer(5).readableBytesView, uscc: uscc), hash: try row.string(6))
    }

    func recordsForMerge(_ codes: [String]) throws -> [String: StoredRecord] {
        var found: [String: StoredRecord] = [:]
        found.reserveCapacity(codes.count)
        try selectRecords(Self.recordColumns, codes) { row in
            let record = try Self.record(row)
            found[record.uscc] = record
        }
        return found
    }

    func recordSequence(_ codes: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        found.reserveCapacity(codes.count)
        try selectRecords("uscc, seq", codes) { row in found[try row.string(0)] = try row.int(1) }
        return found
    }

    /// `SELECT columns FROM records` of the records with these codes (each once), 500 codes a
    /// statement, locked in a write transaction; `each` gets every row found.
    /// In credit-code order, across statements too: two writers lock their records in the same
    /// order, so that neither holds one the other waits for while waiting for one it holds.
    private func selectRecords(_ columns: String, _ codes: [String], each: (SQLRow) throws -> Void) throws {
        let unique = Set(codes).sorted()
        var start = 0
        while start < unique.count {
            let end = min(start + 500, unique.count)
            let sql = "SELECT \(columns) FROM records WHERE uscc IN (\(Self.parameters(from: 1, count: end - start))) ORDER BY uscc"
                + (locking ? " FOR UPDATE" : "")
            for row in try query(sql, unique[start..<end].map(SQLValue.text)) { try each(row) }
            start = end
        }
    }

    /// One record; in a write transaction it is locked as `recordsForMerge` locks (a decision
    /// or an edit reads it, then writes its next revision).
    func record(_ uscc: String) throws -> StoredRecord? {
        try one("SELECT \(Self.recordColumns) FROM records WHERE uscc = $1" + (locking ? " FOR UPDATE" : ""), [.text(uscc)]).map(Self.record)
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
    /// automatic) conflict for the same field and values when there is one.
    func conflictID(_ conflict: WritePlan.Conflict, context: WriteContext) throws -> Int64 {
        let incoming = SQLValue(conflict.incoming?.canonicalString)
        let current = SQLValue(conflict.current?.canonicalString)
        let common: [SQLValue] = [.text(conflict.uscc), .text(conflict.region), .text(conflict.field), .text(conflict.kind),
                                  SQLValue(conflict.expected?.canonicalString), current, incoming, .text(context.source), .text(context.changeSet),
                                  .text(context.at)]
        guard let decision = conflict.decision else {
            if let existing = try one("""
                SELECT id FROM conflicts WHERE status = 'open' AND uscc = $1 AND field = $2 AND kind = $3 AND incoming IS NOT DISTINCT FROM $4
                """, [.text(conflict.uscc), .text(conflict.field), .text(conflict.kind), incoming]) {
                let id = try existing.int(0)
                // A transfer sent again waits with the whole change as last sent.
                if let request = conflict.request {
                    try execute("UPDATE conflicts SET request = $1 WHERE id = $2", [.text(request), .int(id)])
                }
                return id
            }
            guard let row = try one("""
                INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at, request)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id
                """, common + [SQLValue(conflict.request)]) else { throw PostgresRegisterError(action: "park a conflict: no id returned") }
            return try row.int(0)
        }
        if let existing = try one("""
            SELECT id FROM conflicts WHERE status = 'auto' AND uscc = $1 AND field = $2 AND kind = $3
                AND incoming IS NOT DISTINCT FROM $4 AND current IS NOT DISTINCT FROM $5
            """, [.text(conflict.uscc), .text(conflict.field), .text(conflict.kind), incoming, current]) {
            return try existing.int(0)
        }
        guard let row = try one("""
            INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at,
                                   status, decision, value, note, resolved_by, resolved_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'auto', $11, $12, $13, 'policy', $14) RETURNING id
            """, common + [.text(decision.rawValue), SQLValue(conflict.value?.canonicalString), .text("policy: " + (conflict.rule ?? "")), .text(context.at)])
        else { throw PostgresRegisterError(action: "keep an automatic decision: no id returned") }
        return try row.int(0)
    }

    /// Writes new revisions in order with multi-row statements: the records, their history
    /// (which is their provenance too), facts, the report's totals and designation values.
    /// Returns them as stored.
    /// An upsert may not touch one row twice in a statement, so a record written twice in one
    /// batch is written once, as its last revision left it (its history keeps both).
    ///
    /// The records' own rows go first (facts, designations: rows of records this writer has
    /// locked, each table in key order), then `beforeNumbering` (the clock's row), then the
    /// numbers are taken (`nextSeq`, whose row every writer waits for) and the rest written:
    /// the region's totals, the records and their history. Every writer so takes the
    /// province-wide rows in one order, clock, sequence, totals, and two instances' merges
    /// overlap in everything before them.
    @discardableResult
    func write(_ revisions: [WritePlan.Revision], context: WriteContext, delta: FactsDelta?,
               beforeNumbering: () throws -> Void) throws -> [StoredRecord] {
        guard !revisions.isEmpty else {
            try beforeNumbering()
            return []
        }
        let clock = SQLValue(context.clock?.description)
        let source = SQLValue.text(context.source), changeSet = SQLValue.text(context.changeSet), at = SQLValue.text(context.at)
        // The records and their history go as one column array each (`unnest`): a statement of
        // a few parameters that the server parses in no time, where a row of parameters each
        // made statements of thousands, parsed and bound while every other merge waited.
        var records = RecordColumns(), recordIndex: [String: Int] = [:]
        var history = HistoryColumns()
        var facts: [String: [SQLValue]] = [:], factOrder: [String] = []
        var designations: [String: (values: [SQLValue], firstAt: String)] = [:], designationOrder: [String] = []
        records.reserveCapacity(revisions.count)
        history.reserveCapacity(revisions.count)
        // The change sequence's numbers are taken late (below): rows that need one hold the
        // revision's index there until then.
        for (n, revision) in revisions.enumerated() {
            let deleted = revision.kind == .delete
            if let row = recordIndex[revision.uscc] {
                records.set(row, revision, index: n)
            } else {
                recordIndex[revision.uscc] = records.uscc.count
                records.append(revision, index: n)
            }
            // The history row is the fields' provenance too (see `provenance(of:)`).
            history.append(revision, index: n, op: revision.historyOp, changes: revision.history.text)
            // Facts that did not change (most edits touch none of the report's fields, see
            // `WritePlan.Revision.facts`) are not written again.
            guard let (old, new) = revision.facts else { continue }
            if facts.updateValue(new.postgresRow, forKey: revision.uscc) == nil { factOrder.append(revision.uscc) }
            if !deleted {
                let held = Set(old?.designations ?? [])
                for designation in new.designations where !held.contains(designation) {
                    let text = designation.value.designationText
                    let key = revision.uscc + "\u{0}" + designation.kind + "\u{0}" + text
                    if designations[key] == nil {
                        designations[key] = ([.text(revision.uscc), .text(designation.kind), .text(text), SQLValue(designation.value.postgresYear), at], context.at)
                        designationOrder.append(key)
                    }
                }
            }
        }
        try insert("""
            INSERT INTO record_facts (uscc, region, deleted, name, size_class, status, industry, employees, revenue_yuan, above_since,
                                      srdi_year, little_giant_year, measures, revenue_warning, size_warning, computed_size_class)
            """, width: 16, values: factOrder.sorted().flatMap { facts[$0] ?? [] }, tail: """
            ON CONFLICT (uscc) DO UPDATE SET region = excluded.region, deleted = excluded.deleted, name = excluded.name,
                size_class = excluded.size_class, status = excluded.status, industry = excluded.industry, employees = excluded.employees,
                revenue_yuan = excluded.revenue_yuan, above_since = excluded.above_since, srdi_year = excluded.srdi_year,
                little_giant_year = excluded.little_giant_year, measures = excluded.measures, revenue_warning = excluded.revenue_warning,
                size_warning = excluded.size_warning, computed_size_class = excluded.computed_size_class
            """)
        try insert("INSERT INTO designation_values (uscc, kind, value, year, first_at)", width: 5,
                   values: designationOrder.sorted().flatMap { designations[$0]?.values ?? [] },
                   tail: "ON CONFLICT (uscc, kind, value) DO UPDATE SET first_at = LEAST(designation_values.first_at, excluded.first_at)")
        try beforeNumbering()
        let first = try nextSeq(count: revisions.count) - Int64(revisions.count) + 1
        // The totals are the region's rows, which writers that tick the clock first (a
        // decision, an edit, an import) also move: after the clock and the sequence, in the
        // order every writer takes them.
        try apply(delta ?? FactsDelta(revisions))
        // Several `unnest`s in one select list go through their arrays in step (all of a length).
        try execute("""
            INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at, last_source)
            SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::bigint[]), unnest($4::bigint[]), unnest($5::boolean[]),
                   unnest($6::text[]), unnest($7::text[]), $8::text, $9::text
            ON CONFLICT (uscc) DO UPDATE SET region = excluded.region, revision = excluded.revision, seq = excluded.seq, deleted = excluded.deleted,
                doc = excluded.doc, hash = excluded.hash, updated_at = excluded.updated_at, last_source = excluded.last_source
            """, [.texts(records.uscc), .texts(records.region), .ints(records.revision), .ints(records.index.map { first + $0 }),
                  .bools(records.deleted), .texts(records.doc), .texts(records.hash), at, source])
        try execute("""
            INSERT INTO history (uscc, revision, seq, source, changeset, at, op, changes, clock)
            SELECT unnest($1::text[]), unnest($2::bigint[]), unnest($3::bigint[]), $4::text, $5::text, $6::text,
                   unnest($7::text[]), unnest($8::text[]), $9::text
            """, [.texts(history.uscc), .ints(history.revision), .ints(history.index.map { first + $0 }), source, changeSet, at,
                  .texts(history.op), .texts(history.changes), clock])
        return revisions.enumerated().map { n, revision in revision.stored(seq: first + Int64(n)) }
    }

    /// The rows of `records` a batch writes, a column each (the last revision of a record
    /// written twice; `index`: the revision's place in the batch, its change number to be).
    struct RecordColumns {
        var uscc: [String] = [], region: [String] = [], revision: [Int64] = [], index: [Int64] = [], deleted: [Bool] = []
        var doc: [String] = [], hash: [String] = []

        mutating func reserveCapacity(_ n: Int) {
            uscc.reserveCapacity(n); region.reserveCapacity(n); revision.reserveCapacity(n); index.reserveCapacity(n)
            deleted.reserveCapacity(n); doc.reserveCapacity(n); hash.reserveCapacity(n)
        }

        mutating func append(_ revision: WritePlan.Revision, index n: Int) {
            uscc.append(revision.uscc)
            region.append(""); self.revision.append(0); index.append(0); deleted.append(false); doc.append(""); hash.append("")
            set(uscc.count - 1, revision, index: n)
        }

        mutating func set(_ row: Int, _ revision: WritePlan.Revision, index n: Int) {
            region[row] = revision.region
            self.revision[row] = revision.revision
            index[row] = Int64(n)
            deleted[row] = revision.kind == .delete
            doc[row] = revision.text
            hash[row] = revision.hash
        }
    }

    /// The rows of `history` a batch writes, a column each.
    struct HistoryColumns {
        var uscc: [String] = [], revision: [Int64] = [], index: [Int64] = [], op: [String] = [], changes: [String] = []

        mutating func reserveCapacity(_ n: Int) {
            uscc.reserveCapacity(n); revision.reserveCapacity(n); index.reserveCapacity(n); op.reserveCapacity(n); changes.reserveCapacity(n)
        }

        mutating func append(_ revision: WritePlan.Revision, index n: Int, op: String, changes: String) {
            uscc.append(revision.uscc)
            self.revision.append(revision.revision)
            index.append(Int64(n))
            self.op.append(op)
            self.changes.append(changes)
        }
    }

    /// Adds a batch's changes to the report's totals, one row per key that moved.
    func apply(_ delta: FactsDelta) throws {
        let totals = delta.totals.filter { $0.value != RecordFacts.Totals() }.sorted { ($0.key.region, $0.key.sizeClass, $0.key.status) < ($1.key.region, $1.key.sizeClass, $1.key.status) }
        try insert("INSERT INTO report_totals (region, size_class, status, records, above_scale, srdi, little_giant, revenue_warnings, size_warnings)",
                   width: 9,
                   values: totals.flatMap { total -> [SQLValue] in
                       let t = total.value
                       return [.text(total.key.region), .text(total.key.sizeClass), .text(total.key.status), SQLValue(t.records), SQLValue(t.aboveScale),
                               SQLValue(t.srdi), SQLValue(t.littleGiant), SQLValue(t.revenueWarnings), SQLValue(t.sizeWarnings)]
                   },
                   tail: """
                       ON CONFLICT (region, size_class, status) DO UPDATE SET records = report_totals.records + excluded.records,
                           above_scale = report_totals.above_scale + excluded.above_scale, srdi = report_totals.srdi + excluded.srdi,
                           little_giant = report_totals.little_giant + excluded.little_giant,
                           revenue_warnings = report_totals.revenue_warnings + excluded.revenue_warnings,
                           size_warnings = report_totals.size_warnings + excluded.size_warnings
                       """)
        let measures = delta.measures.filter { $0.value != RecordFacts.MeasureTotals() }.sorted { ($0.key.region, $0.key.measure, $0.key.year) < ($1.key.region, $1.key.measure, $1.key.year) }
        try insert("INSERT INTO measure_totals (region, measure, year, count, amount_yuan)", width: 5,
                   values: measures.flatMap { [.text($0.key.region), .text($0.key.measure), .text($0.key.year), .int($0.value.count), .int($0.value.amountYuan)] },
                   tail: """
                       ON CONFLICT (region, measure, year) DO UPDATE SET count = measure_totals.count + excluded.count,
                           amount_yuan = measure_totals.amount_yuan + excluded.amount_yuan
                       """)
    }

    /// Hands out `count` numbers of the province-wide change sequence and returns the last. The
    /// row stays locked until this transaction ends: a writer that comes after waits, so
    /// numbers are committed in the order they are handed out.
    func nextSeq(count: Int = 1) throws -> Int64 {
        guard let row = try one("UPDATE meta SET value = value + $1 WHERE key = 'seq' RETURNING value", [.int(Int64(count))]) else {
            throw PostgresRegisterError(action: "take a change sequence number: the register has no change sequence (meta.seq)")
        }
        return try row.int(0)
    }

    func history(of uscc: String) throws -> [HistoryEntry] {
        try query("SELECT revision, seq, source, changeset, at, op, changes FROM history WHERE uscc = $1 ORDER BY revision", [.text(uscc)]).map { row in
            let op = try row.string(5)
            guard let changes = HistoryEntry.Changes(op: op, text: try row.string(6)) else {
                throw ServiceError.internalError("history of \(uscc), revision \(try row.int(0)), is damaged: op \(op)")
            }
            return HistoryEntry(uscc: uscc, revision: try row.int(0), seq: try row.int(1), source: try row.string(2), changeSet: try row.string(3),
                                at: try row.string(4), changes: changes)
        }
    }

    func provenance(of uscc: String) throws -> [String: Provenance] {
        try provenance(of: uscc, signers: true)
    }

    /// Each field's latest writer, from the record's history (`ProvenanceFold`). `signers`:
    /// with the key that signed each change set.
    private func provenance(of uscc: String, signers: Bool) throws -> [String: Provenance] {
        let sql = signers
            ? """
              SELECT h.revision, h.source, h.changeset, h.at, h.clock, h.op, h.changes, c.signer FROM history h
              LEFT JOIN changeset_chain c ON c.id = h.changeset WHERE h.uscc = $1 ORDER BY h.revision DESC
              """
            : "SELECT revision, source, changeset, at, clock, op, changes, CAST(NULL AS TEXT) FROM history WHERE uscc = $1 ORDER BY revision DESC"
        var fold = ProvenanceFold(uscc: uscc)
        for row in try query(sql, [.text(uscc)]) {
            let revision = try row.int(0)
            let older = try fold.take(revision: revision, op: try row.string(5), changes: try row.string(6)) {
                Provenance(source: try row.string(1), changeSet: try row.string(2), at: try row.string(3), revision: revision,
                           clock: try row.optionalString(4).flatMap(HybridTimestamp.init), signer: try row.optionalString(7))
            }
            guard older else { break }
        }
        return fold.provenance
    }

    func changes(region: String, after cursor: Int64, limit: Int, requester: String?, leavingOutEchoes: Bool) throws -> [ChangedRow] {
        try query("""
            SELECT uscc, revision, seq, deleted, CASE WHEN last_source = $4 THEN NULL ELSE doc END AS doc, hash,
                   COALESCE(last_source = $4, FALSE) AS echo, CAST(NULL AS TEXT) AS moved_to
            FROM records WHERE region = $1 AND seq > $2 AND NOT ($5 AND COALESCE(last_source = $4, FALSE) AND NOT deleted)
            UNION ALL
            SELECT uscc, revision, seq, FALSE, NULL, NULL, FALSE, to_region FROM moves WHERE from_region = $1 AND seq > $2
            ORDER BY seq LIMIT $3
            """, [.text(region), .int(cursor), .int(Int64(limit)), requester.map(SQLValue.text) ?? .null, .bool(leavingOutEchoes)]).map { row in
            ChangedRow(uscc: try row.string(0), revision: try row.int(1), seq: try row.int(2), deleted: try row.bool(3), document: try row.optionalString(4),
                       hash: try row.optionalString(5), echo: try row.bool(6), movedTo: try row.optionalString(7))
        }
    }

    func lastChangeSeq(region: String) throws -> Int64 {
        try one("""
            SELECT GREATEST(COALESCE((SELECT max(seq) FROM records WHERE region = $1), 0), COALESCE((SELECT max(seq) FROM moves WHERE from_region = $1), 0))::bigint
            """, [.text(region)])?.int(0) ?? 0
    }

    func liveRecords(region: String) throws -> Int {
        // From the report's totals, as on SQLite (see there).
        Int(try one("SELECT COALESCE(SUM(records), 0)::bigint FROM report_totals WHERE region = $1", [.text(region)])?.int(0) ?? 0)
    }

    /// The province's clock; in a write transaction its row stays locked until commit, so that
    /// two instances never read the same last time and hand out the same timestamp.
    func savedClock() throws -> HybridTimestamp? {
        guard let row = try one("SELECT last FROM clock WHERE id = 1" + (locking ? " FOR UPDATE" : "")) else { return nil }
        return HybridTimestamp(try row.string(0))
    }

    func saveClock(_ last: HybridTimestamp) throws {
        try execute("INSERT INTO clock (id, last) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET last = excluded.last", [.text(last.description)])
    }
}

extension RecordFacts {
    /// The row of `record_facts` on PostgreSQL, its columns in order (see
    /// `PostgresRegister.migrations` for how its types differ from SQLite's).
    var postgresRow: [SQLValue] {
        [.text(uscc), .text(region), .bool(deleted), name.postgresText, sizeClass.postgresText, status.postgresText, industry.postgresText,
         SQLValue(employees.postgresInteger), SQLValue(revenueYuan.postgresInteger), aboveSince.postgresText, SQLValue(srdiYear.postgresInteger),
         SQLValue(littleGiantYear.postgresInteger), measures.postgresText, .bool(revenueWarning), .bool(sizeWarning),
         .text(Self.computedSizeClass(employees: employees, revenueYuan: revenueYuan))]
    }
}

extension RecordFacts.Value {
    /// For a TEXT column (the facts hold text there already, `textAffinity`).
    var postgresText: SQLValue {
        switch self {
        case .null: .null
        case .text(let s): .text(s)
        case .integer(let i): .text(String(i))
        case .real(let d): .text(Self.sqliteText(d))
        }
    }

    /// For a BIGINT column: an integer, else nothing.
    var postgresInteger: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    /// A designation value's text (`designation_values.value`).
    var designationText: String {
        switch self {
        case .null: ""
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): Self.sqliteText(d)
        }
    }

    /// A designation year as the report compares it: the integer, a real's whole part.
    var postgresYear: Int64? {
        switch self {
        case .integer(let i): i
        case .real(let d) where d.isFinite && abs(d) < 9.2e18: Int64(d.rounded(.down))
        default: nil
        }
    }
}
