import EnterpriseModel
import GRDB
import SyncCore

/// `conflicts` and `moves`.
extension SQLiteTransaction {
    private static func view(_ row: Row) throws -> ConflictView {
        func json(_ column: String) throws -> JSONValue? {
            guard let text: String = row[column] else { return nil }
            return try StoredRecord.decode(text, uscc: row["uscc"])
        }
        return ConflictView(id: row["id"], uscc: row["uscc"], region: row["region"], field: row["field"], kind: row["kind"], status: row["status"],
                            expected: try json("expected"), current: try json("current"), incoming: try json("incoming"), source: row["source"],
                            changeSet: row["changeset"], createdAt: row["created_at"], decision: (row["decision"] as String?).flatMap(ConflictView.Decision.init),
                            value: try json("value"), note: row["note"], resolvedBy: row["resolved_by"], resolvedAt: row["resolved_at"], revision: row["revision"],
                            origin: row["kind"] == "recovered" ? row["request"] : nil)
    }

    private static func filter(_ query: ConflictQuery) -> (sql: String, arguments: StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        for (column, value) in [("status", query.status), ("region", query.region), ("field", query.field), ("kind", query.kind), ("uscc", query.uscc),
                                ("created_at <", query.createdBefore), ("created_at <=", query.createdAtMost)] {
            guard let value else { continue }
            clauses.append(column.contains(" ") ? "\(column) ?" : "\(column) = ?")
            _ = arguments.append(contentsOf: [value])
        }
        return (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "), arguments)
    }

    func conflict(id: Int64) throws -> ConflictView? {
        try Row.fetchOne(db, sql: "SELECT * FROM conflicts WHERE id = ?", arguments: [id]).map(Self.view)
    }

    func conflicts(_ query: ConflictQuery) throws -> [ConflictView] {
        let filter = Self.filter(query)
        return try Row.fetchAll(db, sql: "SELECT * FROM conflicts\(filter.sql) ORDER BY id LIMIT \(max(1, query.limit)) OFFSET \(max(0, query.offset))",
                                arguments: filter.arguments).map(Self.view)
    }

    func conflictCount(_ query: ConflictQuery) throws -> Int {
        let filter = Self.filter(query)
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts" + filter.sql, arguments: filter.arguments) ?? 0
    }

    func openConflictCounts() throws -> [(region: String, kind: String, field: String, count: Int)] {
        try Row.fetchAll(db, sql: "SELECT region, kind, field, COUNT(*) AS n FROM conflicts WHERE status = 'open' GROUP BY region, kind, field").map {
            ($0["region"], $0["kind"], $0["field"], $0["n"])
        }
    }

    func conflictRequest(id: Int64) throws -> String? {
        try String.fetchOne(db, sql: "SELECT request FROM conflicts WHERE id = ?", arguments: [id])
    }

    func conflictReopenedFrom(id: Int64) throws -> String? {
        try String.fetchOne(db, sql: "SELECT reopened_from FROM conflicts WHERE id = ?", arguments: [id])
    }

    func resolveConflict(id: Int64, decision: String, value: String?, note: String?, by: String, at: String, revision: Int64?) throws {
        try db.execute(sql: """
            UPDATE conflicts SET status = 'resolved', decision = ?, value = ?, note = ?, resolved_by = ?, resolved_at = ?, revision = ?
            WHERE id = ?
            """, arguments: [decision, value, note, by, at, revision, id])
    }

    func resolveOpenConflicts(uscc: String, except id: Int64, note: String, by: String, at: String, revision: Int64) throws {
        try db.execute(sql: """
            UPDATE conflicts SET status = 'resolved', decision = 'keep-current', note = ?, resolved_by = ?, resolved_at = ?, revision = ?
            WHERE uscc = ? AND status = 'open' AND id != ?
            """, arguments: [note, by, at, revision, uscc, id])
    }

    func reopenConflict(id: Int64, by: String) throws {
        try db.execute(sql: """
            UPDATE conflicts SET status = 'open', reopened_from = decision, decision = NULL, resolved_by = NULL, resolved_at = NULL,
                note = COALESCE(note, '') || ' (re-opened by ' || ? || ')' WHERE id = ?
            """, arguments: [by, id])
    }

    func withdrawConflict(id: Int64, note: String, by: String, at: String) throws {
        try db.execute(sql: "UPDATE conflicts SET status = 'withdrawn', note = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
                       arguments: [note, by, at, id])
    }

    func enterpriseNames(_ codes: [String]) throws -> [String: String] {
        let codes = Array(Set(codes))
        var names: [String: String] = [:]
        // In chunks: SQLite bounds the number of parameters of one statement.
        for start in stride(from: 0, to: codes.count, by: 500) {
            let chunk = Array(codes[start..<min(start + 500, codes.count)])
            let sql = "SELECT uscc, json_extract(doc, '$.name') AS name FROM records WHERE uscc IN (" + Array(repeating: "?", count: chunk.count).joined(separator: ",") + ")"
            for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)) {
                if let name: String = row["name"] { names[row["uscc"]] = name }
            }
        }
        return names
    }

    func insertMove(uscc: String, from: String, to: String, seq: Int64, revision: Int64, at: String, conflict: Int64) throws {
        try db.execute(sql: "INSERT INTO moves (uscc, from_region, to_region, seq, revision, at, conflict) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [uscc, from, to, seq, revision, at, conflict])
    }
}
