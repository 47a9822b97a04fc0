import EnterpriseModel
import SyncCore

/// One revision of a record as its history keeps it: what changed, not the whole document.
///
/// | revision | `op` | `changes` (canonical JSON) |
/// |---|---|---|
/// | a new record | `create` | `{"~*":{"to":DOCUMENT}}` |
/// | fields changed | `update` | `{"employees":{"from":120,"to":135},"contact.phone":{"from":"0371-1","to":"0371-2"}}` (a side that is absent has no member) |
/// | a delete approved | `delete` | `{}` (the document stays as it was) |
///
/// A record's document at any revision is its creation with every later change applied in order
/// (`replay`); a revision after a delete brings the record back.
struct HistoryEntry: Sendable {
    struct FieldChange: Sendable, Equatable {
        var field: String
        /// The value before (nil: absent).
        var from: JSONValue?
        /// The value after (nil: absent).
        var to: JSONValue?
    }

    enum Changes: Sendable, Equatable {
        case created(JSONValue)
        case updated([FieldChange])
        case deleted

        var op: String {
            switch self {
            case .created: "create"
            case .updated: "update"
            case .deleted: "delete"
            }
        }

        /// The fields a revision changed; `*` for a whole record created or deleted.
        var fields: [String] {
            switch self {
            case .created, .deleted: ["*"]
            case .updated(let changes): changes.map(\.field)
            }
        }

        /// The stored form (see the table above).
        var text: String {
            switch self {
            case .created(let document): return JSONValue.object([StoredRecord.allFields: .object(["to": document])]).canonicalString
            case .deleted: return "{}"
            case .updated(let changes):
                // Written out directly: building the JSON objects first cost more than the rest
                // of the revision's write.
                var out: [UInt8] = [UInt8(ascii: "{")]
                out.reserveCapacity(64 * changes.count + 2)
                for (n, change) in changes.sorted(by: { JSONValue.canonicalOrder($0.field, $1.field) }).enumerated() {
                    if n > 0 { out.append(UInt8(ascii: ",")) }
                    JSONValue.writeCanonical(string: change.field, to: &out)
                    out.append(contentsOf: ":{".utf8)
                    if let from = change.from {
                        out.append(contentsOf: "\"from\":".utf8)
                        from.writeCanonical(to: &out)
                        if change.to != nil { out.append(UInt8(ascii: ",")) }
                    }
                    if let to = change.to {
                        out.append(contentsOf: "\"to\":".utf8)
                        to.writeCanonical(to: &out)
                    }
                    out.append(UInt8(ascii: "}"))
                }
                out.append(UInt8(ascii: "}"))
                return String(decoding: out, as: UTF8.self)
            }
        }

        /// Reads the stored form back; nil when `op` is unknown or `text` is not of its shape.
        init?(op: String, text: String) {
            guard let value = try? JSONValue.parse(text), let members = value.objectValue else { return nil }
            switch op {
            case "create":
                guard let document = members[StoredRecord.allFields]?["to"] else { return nil }
                self = .created(document)
            case "delete": self = .deleted
            case "update":
                var changes: [FieldChange] = []
                for field in members.keys.sorted() {
                    guard let sides = members[field]?.objectValue else { return nil }
                    changes.append(FieldChange(field: field, from: sides["from"], to: sides["to"]))
                }
                self = .updated(changes)
            default: return nil
            }
        }

        /// The document after this revision, from the one before (nil: none yet).
        func apply(to document: JSONValue?) -> JSONValue? {
            switch self {
            case .created(let created): return created
            case .deleted: return document
            case .updated(let changes):
                var result = document ?? .object([:])
                for change in changes { FieldPath.set(&result, path: change.field, to: change.to) }
                return result
            }
        }
    }

    var uscc: String
    var revision: Int64
    var seq: Int64
    var source: String
    var changeSet: String
    var at: String
    var changes: Changes

    /// The entries (oldest first) each with the document after it and whether the record was
    /// deleted then.
    static func replay(_ entries: [HistoryEntry]) -> [(entry: HistoryEntry, document: JSONValue?, deleted: Bool)] {
        var document: JSONValue?
        var deleted = false
        return entries.map { entry in
            document = entry.changes.apply(to: document)
            if case .deleted = entry.changes { deleted = true } else { deleted = false }
            return (entry, document, deleted)
        }
    }
}
