import EnterpriseModel

/// The change that turns the acknowledged version of a record into the working one.
public enum RecordDiff {
    /// Field changes from `base` to `working`; empty when they are equal. The same as comparing
    /// `FieldPath.flatten` of both leaf by leaf, but only the members that differ are walked
    /// (flattening both documents was a tenth of a push).
    public static func fields(from base: JSONValue?, to working: JSONValue) -> [String: FieldChange] {
        var changes: [String: FieldChange] = [:]
        if base == nil, case .object(let members) = working { changes.reserveCapacity(members.count * 2) }
        guard case .object(let new) = working, case .object(let old)? = base ?? .object([:]) else {
            let old = base.map(FieldPath.flatten) ?? [:]
            let new = FieldPath.flatten(working)
            for (path, value) in new where old[path] != value { changes[path] = FieldChange(expected: old[path], value: value) }
            for (path, value) in old where new[path] == nil { changes[path] = FieldChange(expected: value, value: nil) }
            return changes
        }
        for (name, value) in new where old[name] != value { diff(old[name], value, at: FieldPath.escape(name), into: &changes) }
        for (name, value) in old where new[name] == nil { diff(value, nil, at: FieldPath.escape(name), into: &changes) }
        return changes
    }

    /// The changes below `path`, where `old` and `new` differ.
    static func diff(_ old: JSONValue?, _ new: JSONValue?, at path: String, into changes: inout [String: FieldChange]) {
        if case .object(let o)? = old, !o.isEmpty, case .object(let n)? = new, !n.isEmpty {
            for (name, value) in n where o[name] != value { diff(o[name], value, at: path + "." + FieldPath.escape(name), into: &changes) }
            for (name, value) in o where n[name] == nil { diff(value, nil, at: path + "." + FieldPath.escape(name), into: &changes) }
            return
        }
        // One side absent (every member of a new record, or of one removed): its leaves are the
        // changes, without a table of each side to compare.
        guard let old else {
            if let new { collect(new, at: path, into: &changes) { FieldChange(expected: nil, value: $0) } }
            return
        }
        guard let new else {
            collect(old, at: path, into: &changes) { FieldChange(expected: $0, value: nil) }
            return
        }
        var before: [String: JSONValue] = [:], after: [String: JSONValue] = [:]
        FieldPath.collect(old, at: path, into: &before)
        FieldPath.collect(new, at: path, into: &after)
        for (leaf, value) in after where before[leaf] != value { changes[leaf] = FieldChange(expected: before[leaf], value: value) }
        for (leaf, value) in before where after[leaf] == nil { changes[leaf] = FieldChange(expected: value, value: nil) }
    }

    /// `FieldPath.collect`'s leaves of `value` below `path`, each as `change` makes it.
    private static func collect(_ value: JSONValue, at path: String, into changes: inout [String: FieldChange],
                                _ change: (JSONValue) -> FieldChange) {
        if case .object(let members) = value, !members.isEmpty {
            for (name, child) in members { collect(child, at: path + "." + FieldPath.escape(name), into: &changes, change) }
        } else {
            changes[path] = change(value)
        }
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
