import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// A row of `records` (`RecordStorage` writes its revisions).
struct StoredRecord: Sendable {
    var uscc: String
    var region: String
    var revision: Int64
    var seq: Int64
    var deleted: Bool
    var document: JSONValue
    var hash: String

    static func fetch(_ uscc: String, db: Database) throws -> StoredRecord? {
        try SQLiteTransaction(db: db).record(uscc)
    }

    static func decode(_ text: String, uscc: String) throws -> JSONValue {
        do { return try JSONValue.parse(text) } catch {
            throw ServiceError.internalError("stored document of \(uscc) is damaged: \(error)")
        }
    }

    /// The provenance row of a record's creation, for every field set then and not since. No
    /// field path can be `~*` (a `~` in a member name is written `~0`, see `FieldPath.escape`).
    static let allFields = "~*"

    /// Writes a new revision (a province edit or decision) and returns its number.
    static func write(uscc: String, region: String, previous: StoredRecord?, document: JSONValue, changedFields: [String],
                      context: WriteContext, db: Database) throws -> Int64 {
        let revision = WritePlan.Revision(kind: previous == nil ? .create : .update, uscc: uscc, region: region, previous: previous,
                                          document: document, changedFields: changedFields)
        try SQLiteTransaction(db: db).write([revision], context: context)
        return revision.revision
    }

    /// Marks a record deleted (a tombstone: the document stays) as a new revision.
    static func markDeleted(_ row: StoredRecord, context: WriteContext, db: Database) throws -> Int64 {
        let revision = WritePlan.Revision(kind: .delete, uscc: row.uscc, region: row.region, previous: row, document: row.document, changedFields: [])
        try SQLiteTransaction(db: db).write([revision], context: context)
        return revision.revision
    }
}
