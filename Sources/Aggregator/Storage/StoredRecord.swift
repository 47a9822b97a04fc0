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
        do { return try JSONValue.parse(text) } catch {
            throw ServiceError.internalError("stored document of \(uscc) is damaged: \(error)")
        }
    }

    /// The provenance row of a record's creation, for every field set then and not since. No
    /// field path can be `~*` (a `~` in a member name is written `~0`, see `FieldPath.escape`).
    static let allFields = "~*"
}
