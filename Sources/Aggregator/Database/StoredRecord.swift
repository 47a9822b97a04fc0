import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// A row of `records`, and the one place where a new revision is written: record, field
/// provenance and history together.
struct StoredRecord: Sendable {
    var uscc: String
    var region: String
    var revision: Int64
    var seq: Int64
    var deleted: Bool
    var document: JSONValue
    var hash: String

    static func fetch(_ uscc: String, db: Database) throws -> StoredRecord? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT region, revision, seq, deleted, doc, hash FROM records WHERE uscc = ?"),
                                         arguments: [uscc])
        else { return nil }
        return StoredRecord(uscc: uscc, region: row["region"], revision: row["revision"], seq: row["seq"], deleted: row["deleted"],
                            document: try decode(row["doc"], uscc: uscc), hash: row["hash"])
    }

    static func decode(_ text: String, uscc: String) throws -> JSONValue {
        do { return try JSONValue.parse(text) } catch {
            throw ServiceError.internalError("stored document of \(uscc) is damaged: \(error)")
        }
    }

    /// The provenance row of a record's creation, for every field set then and not since. No
    /// field path can be `~*` (a `~` in a member name is written `~0`, see `FieldPath.escape`).
    static let allFields = "~*"

    /// Writes a new revision and returns its number.
    static func write(uscc: String, region: String, previous: StoredRecord?, document: JSONValue, changedFields: [String],
                      context: MergeService.WriteContext, db: Database) throws -> Int64 {
        try writeRevision(uscc: uscc, region: region, previous: previous, document: document, changedFields: changedFields,
                          context: context, db: db).revision
    }

    /// Writes a new revision and returns its number and the document's content hash.
    static func writeRevision(uscc: String, region: String, previous: StoredRecord?, document: JSONValue, changedFields: [String],
                              context: MergeService.WriteContext, db: Database) throws -> (revision: Int64, hash: String) {
        let seq = try nextSeq(db)
        let revision = (previous?.revision ?? 0) + 1
        let text = document.canonicalString
        let hash = ContentHash.of(bytes: Array(text.utf8))
        try db.cachedStatement(sql: """
            INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at, last_source) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)
            ON CONFLICT(uscc) DO UPDATE SET region = excluded.region, revision = excluded.revision, seq = excluded.seq,
                deleted = 0, doc = excluded.doc, hash = excluded.hash, updated_at = excluded.updated_at, last_source = excluded.last_source
            """).execute(arguments: [uscc, region, revision, seq, text, hash, context.at, context.source])
        let provenance = try db.cachedStatement(sql: "INSERT OR REPLACE INTO provenance (uscc, field, source, changeset, at, revision, clock) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let clock = context.clock?.description
        // A new record's fields all come from one write: one row, field `~*`, stands for every
        // field without a row of its own (see `MergeService.view`). A row per field was a
        // third of the province's time for a bureau's first upload.
        for field in previous == nil ? [Self.allFields] : changedFields {
            try provenance.execute(arguments: [uscc, field, context.source, context.changeSet, context.at, revision, clock])
        }
        let fields = JSONValue.array(changedFields.map(JSONValue.string)).canonicalString
        try db.cachedStatement(sql: "INSERT INTO history (uscc, revision, seq, doc, source, changeset, at, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [uscc, revision, seq, text, context.source, context.changeSet, context.at, fields])
        return (revision, hash)
    }

    /// Marks a record deleted (a tombstone: the document stays in history) as a new revision.
    static func markDeleted(_ row: StoredRecord, context: MergeService.WriteContext, db: Database) throws -> Int64 {
        let seq = try nextSeq(db)
        let revision = row.revision + 1
        try db.cachedStatement(sql: "UPDATE records SET deleted = 1, revision = ?, seq = ?, updated_at = ?, last_source = ? WHERE uscc = ?")
            .execute(arguments: [revision, seq, context.at, context.source, row.uscc])
        try db.cachedStatement(sql: "INSERT INTO history (uscc, revision, seq, doc, source, changeset, at, fields) VALUES (?, ?, ?, ?, ?, ?, ?, '[\"*\"]')")
            .execute(arguments: [row.uscc, revision, seq, row.document.canonicalString, context.source, context.changeSet, context.at])
        return revision
    }

    /// The province-wide change sequence; pull cursors point into it.
    static func nextSeq(_ db: Database) throws -> Int64 {
        guard let value = try Int64.fetchOne(db.cachedStatement(sql: "UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value")) else {
            throw ServiceError.internalError("the database has no change sequence (meta.seq)")
        }
        return value
    }
}

/// Parks a field (or a whole record, for delete requests) for the province's review.
enum ConflictQueue {
    /// Returns the id of the open conflict for the same field and incoming value, or of a new one:
    /// a bureau that sends its pending value again does not queue it twice.
    static func park(uscc: String, region: String, field: String, kind: String, expected: JSONValue?, current: JSONValue?, incoming: JSONValue?,
                     context: MergeService.WriteContext, db: Database) throws -> Int64 {
        let incomingText = incoming?.canonicalString
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM conflicts WHERE status = 'open' AND uscc = ? AND field = ? AND kind = ? AND incoming IS ?
            """), arguments: [uscc, field, kind, incomingText]) {
            return existing
        }
        try db.cachedStatement(sql: """
            INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [uscc, region, field, kind, expected?.canonicalString, current?.canonicalString, incomingText,
                                     context.source, context.changeSet, context.at])
        return db.lastInsertedRowID
    }

    /// Keeps a decision a rule made (status `auto`): the losing value, the rule and the inputs,
    /// listed by `conflicts list --auto` and re-openable for review. The same automatic decision
    /// sent again is not recorded twice.
    static func record(uscc: String, region: String, field: String, kind: String, expected: JSONValue?, current: JSONValue?, incoming: JSONValue?,
                       decision: ConflictView.Decision, value: JSONValue? = nil, rule: String, context: MergeService.WriteContext, db: Database) throws -> Int64 {
        let incomingText = incoming?.canonicalString
        let currentText = current?.canonicalString
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM conflicts WHERE status = 'auto' AND uscc = ? AND field = ? AND kind = ? AND incoming IS ? AND current IS ?
            """), arguments: [uscc, field, kind, incomingText, currentText]) {
            return existing
        }
        try db.cachedStatement(sql: """
            INSERT INTO conflicts (uscc, region, field, kind, expected, current, incoming, source, changeset, created_at,
                                   status, decision, value, note, resolved_by, resolved_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'auto', ?, ?, ?, 'policy', ?)
            """).execute(arguments: [uscc, region, field, kind, expected?.canonicalString, currentText, incomingText,
                                     context.source, context.changeSet, context.at, decision.rawValue, value?.canonicalString,
                                     "policy: " + rule, context.at])
        return db.lastInsertedRowID
    }
}
