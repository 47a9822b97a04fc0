import EnterpriseModel
import SyncCore

/// Each field's latest writer, read from a record's history newest first: both backends keep a
/// field's provenance in the history row of the revision that last wrote it, instead of a row
/// per field written a second time. An update's fields are those its changes list, a creation
/// stands for every field (`StoredRecord.allFields`) no later update wrote, a delete writes none.
struct ProvenanceFold {
    let uscc: String
    private(set) var provenance: [String: Provenance] = [:]

    init(uscc: String) { self.uscc = uscc }

    /// Takes the next older revision (`writer` builds its provenance, when a field of it is
    /// still without one); returns false once that was the creation: nothing older counts.
    mutating func take(revision: Int64, op: String, changes: String, writer: () throws -> Provenance) throws -> Bool {
        let fields: [String]
        switch op {
        case "create": fields = [StoredRecord.allFields]
        case "update":
            guard let changes = try? JSONValue.parse(changes).objectValue else {
                throw ServiceError.internalError("history of \(uscc), revision \(revision), is damaged: its changes are not an object")
            }
            fields = Array(changes.keys)
        default: return true
        }
        var entry: Provenance?
        for field in fields where provenance[field] == nil {
            if entry == nil { entry = try writer() }
            provenance[field] = entry
        }
        return op != "create"
    }
}
