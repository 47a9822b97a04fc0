import EnterpriseModel

/// What a bureau asks for one record: create it, change some of its fields, or delete it.
///
/// A new record goes field by field (`fields`, each with no `expected`) or, to a province that
/// takes it (`ProvinceAccepts.wholeRecords`), whole (`document`): the same request, without a
/// member per field to write, read and merge one by one.
public struct RecordChange: Sendable, Hashable, Codable {
    public enum Operation: String, Sendable, Codable {
        /// The bureau has no acknowledged version: every field is new.
        case create
        case update
        /// A request, not a deletion: the province decides (the default policy sends it to review).
        case delete
    }

    public var uscc: String
    public var op: Operation
    /// Field path → change; empty for a delete, and for a new record sent whole.
    public var fields: [String: FieldChange]
    /// A new record sent whole (`op` create, no `fields`): the document the bureau creates,
    /// which is the same request as each of its leaves sent as a field with no `expected`.
    public var document: JSONValue?
    /// `document`'s canonical text, when the sender has it already (the agent's working copy was
    /// made canonical to hash it): written as it is when the change set is sealed. Not part of
    /// the change's value.
    public var documentCanonical: [UInt8]?
    /// The revision the bureau's base holds (nil for a create).
    public var baseRevision: Int64?
    /// For a delete: the content hash of the version the bureau deletes.
    public var expectedHash: String?
    /// In a recovery change set (`ChangeSet.recovers`): fields whose value a reviewer decided,
    /// with where the decision came from (`decision of conflict 12 (take-incoming) by
    /// reviewer:wang at …`). The province queues them as recovered values, as it does its own
    /// fields, instead of merging them as the bureau's edits.
    public var recovered: [String: String]?

    public init(uscc: String, op: Operation, fields: [String: FieldChange] = [:], baseRevision: Int64? = nil, expectedHash: String? = nil) {
        self.uscc = uscc
        self.op = op
        self.fields = fields
        self.baseRevision = baseRevision
        self.expectedHash = expectedHash
    }

    /// A new record sent whole; `canonical`: `document.canonicalBytes()` when made already.
    public init(uscc: String, creating document: JSONValue, canonical: [UInt8]? = nil) {
        self.init(uscc: uscc, op: .create)
        self.document = document
        documentCanonical = canonical
    }

    /// The fields this change sends: `fields`, or for a record sent whole each leaf of its
    /// document as a new field (`RecordDiff.fields(from: nil, to:)`).
    public var sentFields: [String: FieldChange] {
        document.map { RecordDiff.fields(from: nil, to: $0) } ?? fields
    }

    /// The same change with a record sent whole sent field by field instead (for a province
    /// that does not take whole records).
    public var fieldByField: RecordChange {
        guard document != nil else { return self }
        var change = self
        change.fields = sentFields
        change.document = nil
        change.documentCanonical = nil
        return change
    }

    enum CodingKeys: String, CodingKey { case uscc, op, fields, document, baseRevision, expectedHash, recovered }

    public static func == (a: RecordChange, b: RecordChange) -> Bool {
        a.uscc == b.uscc && a.op == b.op && a.fields == b.fields && a.document == b.document && a.baseRevision == b.baseRevision
            && a.expectedHash == b.expectedHash && a.recovered == b.recovered
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(uscc)
        hasher.combine(op)
        hasher.combine(fields)
        hasher.combine(document)
        hasher.combine(baseRevision)
        hasher.combine(expectedHash)
        hasher.combine(recovered)
    }
}
