import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// What the review pages need beyond `list`, `show` and `resolve`: the queue with its counts,
/// a page at a time; each field's history; and one decision applied to many conflicts.
extension ConflictService {
    /// A page of the queue, filtered like `list`, plus an age filter, with the total it was cut from.
    public struct QueueQuery: Sendable, Equatable {
        public var status: String? = "open"
        public var region: String?
        public var field: String?
        public var kind: String?
        /// Only conflicts raised at least this many days ago.
        public var minAgeDays: Int?
        public var offset = 0
        public var limit = 50

        public init(status: String? = "open", region: String? = nil, field: String? = nil, kind: String? = nil,
                    minAgeDays: Int? = nil, offset: Int = 0, limit: Int = 50) {
            self.status = status
            self.region = region
            self.field = field
            self.kind = kind
            self.minAgeDays = minAgeDays
            self.offset = offset
            self.limit = limit
        }
    }

    public struct QueueEntry: Sendable {
        public var conflict: ConflictView
        /// The enterprise's name as the province holds it now (nil for a record it does not have).
        public var enterpriseName: String?
    }

    public struct QueuePage: Sendable {
        public var entries: [QueueEntry]
        /// How many conflicts match the filters, across all pages.
        public var total: Int
    }

    /// Open conflicts counted three ways, for the queue's overview and its filter choices.
    public struct OpenCounts: Sendable, Equatable {
        public var byRegion: [String: Int] = [:]
        public var byKind: [String: Int] = [:]
        public var byField: [String: Int] = [:]
        public var total = 0
    }

    public func queue(_ query: QueueQuery, for principal: Principal, now: Date = Date()) async throws -> QueuePage {
        try Self.requireReviewer(principal)
        var clauses: [String] = []
        var arguments: StatementArguments = []
        for (column, value) in [("c.status", query.status), ("c.region", query.region), ("c.field", query.field), ("c.kind", query.kind)] {
            if let value { clauses.append("\(column) = ?"); _ = arguments.append(contentsOf: [value]) }
        }
        if let days = query.minAgeDays, days > 0 {
            clauses.append("c.created_at <= ?")
            _ = arguments.append(contentsOf: [now.addingTimeInterval(-Double(days) * 86_400).formatted(.iso8601)])
        }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let bound = arguments
        let limit = max(1, query.limit), offset = max(0, query.offset)
        return try await database.pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts c" + filter, arguments: bound) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.*, r.doc AS record_doc FROM conflicts c LEFT JOIN records r ON r.uscc = c.uscc\(filter)
                ORDER BY c.id LIMIT \(limit) OFFSET \(offset)
                """, arguments: bound)
            let entries = try rows.map { row in
                let name = (row["record_doc"] as String?).flatMap { try? JSONValue.parse($0)["name"]?.stringValue }
                return QueueEntry(conflict: try Self.view(row), enterpriseName: name)
            }
            return QueuePage(entries: entries, total: total)
        }
    }

    /// The enterprises' names as the province holds them now, by credit code (none for a
    /// record it does not have): `conflicts list` names each enterprise, as the queue page does.
    public func enterpriseNames(_ usccs: [String], for principal: Principal) async throws -> [String: String] {
        try Self.requireReviewer(principal)
        let codes = Array(Set(usccs))
        return try await database.pool.read { db in
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
    }

    public func openCounts(for principal: Principal) async throws -> OpenCounts {
        try Self.requireReviewer(principal)
        return try await database.pool.read { db in
            var counts = OpenCounts()
            for row in try Row.fetchAll(db, sql: "SELECT region, kind, field, COUNT(*) AS n FROM conflicts WHERE status = 'open' GROUP BY region, kind, field") {
                let n: Int = row["n"]
                counts.byRegion[row["region"], default: 0] += n
                counts.byKind[row["kind"], default: 0] += n
                counts.byField[row["field"], default: 0] += n
                counts.total += n
            }
            return counts
        }
    }

    /// One revision of a record as seen from one field: its value then, and whether that
    /// revision changed it.
    public struct FieldRevision: Sendable {
        public var revision: Int64
        public var at: String
        public var source: String
        public var changeSet: String
        /// The field's value in that revision; nil: absent (or, for a whole-record conflict, the
        /// record was deleted by that revision).
        public var value: JSONValue?
        public var changed: Bool
        /// The fields this revision changed (for a whole-record conflict, field "*").
        public var fields: [String]
    }

    /// Every revision of the record that set `field` (the first one always), oldest first.
    /// For `*` (a delete request) every revision, with the fields it changed.
    public func fieldHistory(uscc: String, field: String, for principal: Principal) async throws -> [FieldRevision] {
        try Self.requireReviewer(principal)
        return try await database.pool.read { db in
            var result: [FieldRevision] = []
            var previous: JSONValue??
            for (entry, document, _) in HistoryEntry.replay(try SQLiteTransaction(db: db).history(of: uscc)) {
                let value = field == "*" ? nil : document.flatMap { FieldPath.value(at: field, in: $0) }
                let changed = field == "*" || previous == nil || previous! != value
                previous = .some(value)
                if changed {
                    result.append(FieldRevision(revision: entry.revision, at: entry.at, source: entry.source, changeSet: entry.changeSet,
                                                value: value, changed: changed, fields: entry.changes.fields))
                }
            }
            return result
        }
    }

    /// What became of one conflict of a bulk decision.
    public struct BulkOutcome: Sendable {
        public var id: Int64
        public var decided: ConflictView?
        /// Why it was not decided (already decided, a newer value since, not found …).
        public var failure: String?
    }

    /// The same decision for each conflict, each in its own transaction: one that cannot be
    /// decided (decided meanwhile, a newer value set since) is reported and the others go on.
    public func resolveEach(_ ids: [Int64], _ resolution: Resolution, by principal: Principal) async throws -> [BulkOutcome] {
        try Self.requireReviewer(principal)
        var outcomes: [BulkOutcome] = []
        for id in ids {
            do {
                outcomes.append(BulkOutcome(id: id, decided: try await resolve(id, resolution, by: principal)))
            } catch let error as ServiceError {
                outcomes.append(BulkOutcome(id: id, failure: error.description))
            }
        }
        return outcomes
    }

    static func requireReviewer(_ principal: Principal) throws {
        guard principal.role == .reviewer else { throw ServiceError.forbidden("only the province's reviewers use the review queue") }
    }
}
