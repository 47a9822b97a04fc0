import EnterpriseModel

/// The bureau's merge of a record the province sent back (pull, or the answer to a push) into
/// its working copy, field by field.
///
/// For each field, with base = last acknowledged, theirs = province, mine = working copy:
/// - mine == base → take theirs (the province changed it, the bureau did not);
/// - theirs == base or theirs == mine → keep mine;
/// - both changed it differently → keep mine, and keep the old base value as the field's base,
///   so that the next push sends it with the old `expected` and the province sees the conflict
///   instead of having its value silently overwritten — or the bureau's value silently lost.
public enum ThreeWayMerge {
    public struct Result: Sendable, Equatable {
        /// The new working copy.
        public var working: JSONValue
        /// The new base: the province's document, except for fields both sides changed.
        public var base: JSONValue
        /// Fields both sides changed; the bureau's value is kept and still pending.
        public var divergent: [String]
    }

    /// What the merge does with one field (a leaf; nil: absent).
    public enum FieldOutcome: Sendable, Equatable {
        /// Both sides hold the same value.
        case same
        /// Only the province changed it: the working copy takes the province's value.
        case takeTheirs
        /// Only the bureau changed it: its value stays, pending, for the next push.
        case keepMine
        /// Both changed it differently: the bureau's value stays, with the old base, so the next
        /// push meets the province's field policy.
        case divergent
    }

    public static func outcome(base: JSONValue?, theirs: JSONValue?, mine: JSONValue?) -> FieldOutcome {
        if mine == theirs { return .same }
        if mine == base { return .takeTheirs }
        if theirs == base { return .keepMine }
        return .divergent
    }

    public static func merge(base: JSONValue?, theirs: JSONValue, mine: JSONValue?) -> Result {
        guard let mine else {
            // No working copy (new to this bureau, or its file was deleted): the province's
            // version is what there is. A pending delete request stays expressed by the caller.
            return Result(working: theirs, base: theirs, divergent: [])
        }
        let b = base.map(FieldPath.flatten) ?? [:]
        let t = FieldPath.flatten(theirs)
        let m = FieldPath.flatten(mine)
        var working = m
        var newBase = t
        var divergent: [String] = []
        for path in Set(b.keys).union(t.keys).union(m.keys) {
            let bv = b[path]
            switch outcome(base: bv, theirs: t[path], mine: m[path]) {
            case .same, .keepMine: continue
            case .takeTheirs: working[path] = t[path]
            case .divergent:
                divergent.append(path)
                newBase[path] = bv
            }
        }
        // The province turned an object into a value (srdi → null) while the bureau edited a
        // member of it, or the other way round: merging member by member would leave half an
        // object. The bureau's whole object is kept and waits, with the old base, for review.
        for parent in working.keys where working.keys.contains(where: { $0.hasPrefix(parent + ".") }) {
            let subtree = { (path: String) in path == parent || path.hasPrefix(parent + ".") }
            for path in working.keys where subtree(path) { working[path] = nil }
            for path in newBase.keys where subtree(path) { newBase[path] = nil }
            for (path, value) in m where subtree(path) { working[path] = value }
            for (path, value) in b where subtree(path) { newBase[path] = value }
            divergent.append(contentsOf: Set(b.keys).union(m.keys).filter { subtree($0) && b[$0] != m[$0] && !divergent.contains($0) })
        }
        return Result(working: FieldPath.unflatten(working), base: FieldPath.unflatten(newBase), divergent: divergent.sorted())
    }
}
