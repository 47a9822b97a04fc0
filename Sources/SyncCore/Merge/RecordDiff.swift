import EnterpriseModel

/// The change that turns the acknowledged version of a record into the working one.
public enum RecordDiff {
    /// Field changes from `base` to `working`; empty when they are equal.
    public static func fields(from base: JSONValue?, to working: JSONValue) -> [String: FieldChange] {
        let old = base.map(FieldPath.flatten) ?? [:]
        let new = FieldPath.flatten(working)
        var changes: [String: FieldChange] = [:]
        for (path, value) in new where old[path] != value {
            changes[path] = FieldChange(expected: old[path], value: value)
        }
        for (path, value) in old where new[path] == nil {
            changes[path] = FieldChange(expected: value, value: nil)
        }
        return changes
    }

    /// The record change a push sends, or nil when there is nothing to send.
    ///
    /// `working` nil means the bureau deleted the record file: a delete request for the
    /// version in `base`.
    public static func change(uscc: String, base: JSONValue?, baseRevision: Int64?, working: JSONValue?) -> RecordChange? {
        guard let working else {
            guard let base else { return nil }
            return RecordChange(uscc: uscc, op: .delete, baseRevision: baseRevision, expectedHash: ContentHash.of(base))
        }
        let fields = fields(from: base, to: working)
        if fields.isEmpty { return nil }
        return RecordChange(uscc: uscc, op: base == nil ? .create : .update, fields: fields, baseRevision: baseRevision)
    }

    /// `document` with the changes' values put in place (removals first), whatever they expected.
    public static func apply(_ fields: [String: FieldChange], to document: JSONValue?) -> JSONValue {
        var result = document ?? .object([:])
        for (path, change) in fields where change.value == nil { FieldPath.set(&result, path: path, to: nil) }
        for path in fields.keys.sorted() {
            if let value = fields[path]!.value { FieldPath.set(&result, path: path, to: value) }
        }
        return result
    }
}
