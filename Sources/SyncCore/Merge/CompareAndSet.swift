import EnterpriseModel

/// The province's merge of one record change: every field is a compare-and-set against the
/// current document.
///
/// - current == expected → the field is applied;
/// - current == value → the province already has it (no-op);
/// - otherwise both sides changed it → a conflict: the current value stays and the caller queues
///   it for review. Fields without conflict are applied even when another field conflicts.
public enum CompareAndSet {
    public struct Conflict: Sendable, Hashable {
        public var field: String
        /// What the bureau started from (nil: absent).
        public var expected: JSONValue?
        /// What the province holds now.
        public var current: JSONValue?
        /// What the bureau asks for.
        public var incoming: JSONValue?
    }

    public struct Outcome: Sendable {
        public var document: JSONValue
        public var applied: [String]
        public var unchanged: [String]
        /// Both sides changed these; they wait for review.
        public var conflicts: [Conflict]
        /// Both sides changed these and a rule decided (the incoming value or a combined one was
        /// applied, or the current value stays). Kept so the loser can be shown and re-opened.
        public var decided: [(conflict: Conflict, decision: FieldPolicy.Decision)] = []

        public var changedDocument: Bool { !applied.isEmpty }
    }

    /// `decide` says what happens to a field both sides changed (default: review).
    public static func merge(current: JSONValue?, fields: [String: FieldChange],
                             decide: (Conflict) -> FieldPolicy.Decision = { _ in .review }) -> Outcome {
        // Only the paths sent are looked up: flattening the whole document for each record was
        // a third of the province's merge.
        let leaf = { (path: String) in current.flatMap { FieldPath.leaf(at: path, in: $0) } }
        var document = current ?? .object([:])
        var applied: [String] = []
        var unchanged: [String] = []
        var conflicts: [Conflict] = []
        var decided: [(conflict: Conflict, decision: FieldPolicy.Decision)] = []
        var removals: [String] = []
        var sets: [(String, JSONValue)] = []
        for path in fields.keys.sorted() {
            let change = fields[path]!
            let now = leaf(path)
            if now == change.value {
                unchanged.append(path)
            } else if now == change.expected {
                applied.append(path)
                if let value = change.value { sets.append((path, value)) } else { removals.append(path) }
            } else {
                let conflict = Conflict(field: path, expected: change.expected, current: now, incoming: change.value)
                let decision = decide(conflict)
                switch decision {
                case .review:
                    conflicts.append(conflict)
                case .keepCurrent:
                    decided.append((conflict, decision))
                case .takeIncoming:
                    decided.append((conflict, decision))
                    applied.append(path)
                    if let value = change.value { sets.append((path, value)) } else { removals.append(path) }
                case .value(let combined, _):
                    decided.append((conflict, decision))
                    applied.append(path)
                    if let combined { sets.append((path, combined)) } else { removals.append(path) }
                }
            }
        }
        // A path applied above or below a conflicting one would overwrite it (`contact` set to
        // null while `contact.phone` waits for review): it waits with it.
        var waiting = Set(conflicts.map(\.field))
        while true {
            let collides = { (path: String) in waiting.contains { $0.hasPrefix(path + ".") || path.hasPrefix($0 + ".") } }
            let moved = applied.filter(collides)
            if moved.isEmpty { break }
            for path in moved {
                conflicts.append(Conflict(field: path, expected: fields[path]!.expected, current: leaf(path), incoming: fields[path]!.value))
                waiting.insert(path)
            }
            decided.removeAll { moved.contains($0.conflict.field) }
            applied.removeAll(where: collides)
            removals.removeAll(where: collides)
            sets.removeAll { collides($0.0) }
        }
        // A value set where an object was (srdi {…} → null) replaces the members below it,
        // members set where a value was (null → {…}) replace it (`FieldPath.set`); a removal
        // takes out a leaf (and the objects it leaves empty), never an object with members.
        if current == nil, conflicts.isEmpty, !sets.contains(where: { if case .object(let members) = $0.1 { !members.isEmpty } else { false } }) {
            // A new record: its leaves built into a document in one pass (set one by one, each
            // copied the growing object on its way down). The same document: the deeper of a
            // leaf and the leaves below it wins either way (paths are set in sorted order).
            document = FieldPath.unflatten(Dictionary(sets, uniquingKeysWith: { _, last in last }))
        } else {
            for path in removals where leaf(path) != nil { FieldPath.set(&document, path: path, to: nil) }
            for (path, value) in sets { FieldPath.set(&document, path: path, to: value) }
        }
        return Outcome(document: document, applied: applied, unchanged: unchanged, conflicts: conflicts, decided: decided)
    }
}
