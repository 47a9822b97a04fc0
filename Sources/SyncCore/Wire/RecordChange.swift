import EnterpriseModel

/// What a bureau asks for one record: create it, change some of its fields, or delete it.
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
    /// Field path → change; empty for a delete.
    public var fields: [String: FieldChange]
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
}
