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

    public init(uscc: String, op: Operation, fields: [String: FieldChange] = [:], baseRevision: Int64? = nil, expectedHash: String? = nil) {
        self.uscc = uscc
        self.op = op
        self.fields = fields
        self.baseRevision = baseRevision
        self.expectedHash = expectedHash
    }
}
