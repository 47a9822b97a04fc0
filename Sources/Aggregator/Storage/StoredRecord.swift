import EnterpriseModel
import Foundation
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

    static func decode(_ text: String, uscc: String) throws -> JSONValue {
        try decode(bytes: text.utf8, uscc: uscc)
    }

    /// The same from the column's bytes as the database hands them over: a merge loads hundreds
    /// of documents, and a `String` of each would be checked for UTF-8 once more for nothing
    /// (the parser checks it).
    static func decode(bytes: some Collection<UInt8>, uscc: String) throws -> JSONValue {
        do { return try JSONValue.parse(bytes) } catch {
            throw ServiceError.internalError("stored document of \(uscc) is damaged: \(error)")
        }
    }

    /// The provenance row of a record's creation, for every field set then and not since. No
    /// field path can be `~*` (a `~` in a member name is written `~0`, see `FieldPath.escape`).
    static let allFields = "~*"
}
