import EnterpriseModel
import SyncCore

/// `conflicts` and `moves`.
extension PostgresTransaction {
    private static let conflictColumns = """
        id, uscc, region, field, kind, status, expected, current, incoming, source, changeset, created_at, decision, value, note, resolved_by, \
        resolved_at, revision, request
        """

    private static func view(_ row: SQLRow) throws -> ConflictView {
        let uscc = try row.string(1)
        func json(_ index: Int) throws -> JSONValue? {
            guard let text = try row.optionalString(index) else { return nil }
            return try StoredRecord.decode(text, uscc: uscc)
        }
        return ConflictView(id: try row.int(0), uscc: uscc, region: try row.string(2), field: try row.string(3), kind: try row.string(4),
                            status: try row.string(5), expected: try json(6), current: try json(7), incoming: try json(8), source: try row.string(9),
                            changeSet: try row.string(10), createdAt: try row.string(11),
                            decision: try row.optionalString(12).flatMap(ConflictView.Decision.init), value: try json(13), note: try row.optionalString(14),
                            resolvedBy: try row.optionalString(15), resolvedAt: try row.optionalString(16), revision: try row.optionalInt(17),
                            origin: try row.string(4) == "recovered" ? row.optionalString(18) : nil)
    }

    private static func filter(_ query: ConflictQuery) -> (sql: String, values: [SQLValue]) {
        var clauses: [String] = []
        var values: [SQLValue] = []
        for (column, value) in [("status", query.status), ("region", query.region), ("field", query.field), ("kind", query.kind), ("uscc", query.uscc),
                                ("created_at <", query.createdBefore), ("created_at <=", query.createdAtMost)] {
            guard let value else { continue }
            values.append(.text(value))
            clauses.append(column.contains(" ") ? "\(column) $\(values.count)" : "\(column) = $\(values.count)")
        }
        return (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "), values)
    }

    func conflict(id: Int64) throws -> ConflictView? {
        try one("SELECT \(Self.conflictColumns) FROM conflicts WHERE id = $1", [.int(id)]).map(Self.view)
    }

    func conflicts(_ query: ConflictQuery) throws -> [ConflictView] {
        let filter = Self.filter(query)
        return try self.query("SELECT \(Self.conflictColumns) FROM conflicts\(filter.sql) ORDER BY id LIMIT \(max(1, query.limit)) OFFSET \(max(0, query.offset))",
                              filter.values).map(Self.view)
    }

    func conflictCount(_ query: ConflictQuery) throws -> Int {
        let filter = Self.filter(query)
        return Int(try one("SELECT COUNT(*) FROM conflicts" + filter.sql, filter.values)?.int(0) ?? 0)
    }

    func openConflictCounts() throws -> [(region: String, kind: String, field: String, count: Int)] {
        try query("SELECT region, kind, field, COUNT(*) FROM conflicts WHERE status = 'open' GROUP BY region, kind, field").map {
            (try $0.string(0), try $0.string(1), try $0.string(2), Int(try $0.int(3)))
        }
    }

    func conflictRequest(id: Int64) throws -> String? {
        try one("SELECT request FROM conflicts WHERE id = $1", [.int(id)])?.optionalString(0)
    }

    func conflictReopenedFrom(id: Int64) throws -> String? {
        try one("SELECT reopened_from FROM conflicts WHERE id = $1", [.int(id)])?.optionalString(0)
    }

    func resolveConflict(id: Int64, decision: String, value: String?, note: String?, by: String, at: String, revision: Int64?) throws {
        try execute("""
            UPDATE conflicts SET status = 'resolved', decision = $1, value = $2, note = $3, resolved_by = $4, resolved_at = $5, revision = $6
            WHERE id = $7
            """, [.text(decision), SQLValue(value), SQLValue(note), .text(by), .text(at), SQLValue(revision), .int(id)])
    }

    func resolveOpenConflicts(uscc: String, except id: Int64, note: String, by: String, at: String, revision: Int64) throws {
        try execute("""
            UPDATE conflicts SET status = 'resolved', decision = 'keep-current', note = $1, resolved_by = $2, resolved_at = $3, revision = $4
            WHERE uscc = $5 AND status = 'open' AND id <> $6
            """, [.text(note), .text(by), .text(at), .int(revision), .text(uscc), .int(id)])
    }

    func reopenConflict(id: Int64, by: String) throws {
        try execute("""
            UPDATE conflicts SET status = 'open', reopened_from = decision, decision = NULL, resolved_by = NULL, resolved_at = NULL,
                note = COALESCE(note, '') || ' (re-opened by ' || $1 || ')' WHERE id = $2
            """, [.text(by), .int(id)])
    }

    func withdrawConflict(id: Int64, note: String, by: String, at: String) throws {
        try execute("UPDATE conflicts SET status = 'withdrawn', note = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4",
                    [.text(note), .text(by), .text(at), .int(id)])
    }

    /// The names, read from the documents here (no JSON function in SQL, which the engines
    /// that speak PostgreSQL do not all share).
    func enterpriseNames(_ codes: [String]) throws -> [String: String] {
        let codes = Array(Set(codes))
        var names: [String: String] = [:]
        for start in stride(from: 0, to: codes.count, by: 500) {
            let chunk = codes[start..<min(start + 500, codes.count)]
            for row in try query("SELECT uscc, doc FROM records WHERE uscc IN (\(Self.parameters(from: 1, count: chunk.count)))", chunk.map(SQLValue.text)) {
                let uscc = try row.string(0)
                if case .string(let name)? = try StoredRecord.decode(try row.string(1), uscc: uscc)["name"] { names[uscc] = name }
            }
        }
        return names
    }

    func insertMove(uscc: String, from: String, to: String, seq: Int64, revision: Int64, at: String, conflict: Int64) throws {
        try execute("INSERT INTO moves (uscc, from_region, to_region, seq, revision, at, conflict) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [.text(uscc), .text(from), .text(to), .int(seq), .int(revision), .text(at), .int(conflict)])
    }
}
