import EnterpriseModel

/// A field is the path to a leaf of a record document: `name`, `contact.phone`, `srdi.year`.
///
/// Objects merge member by member, so a bureau editing `contact.phone` and the province editing
/// `contact.person` both survive; an array (`supportMeasures`) or an empty object is one value.
/// A `.` or `~` inside a member name is escaped as `~1` / `~0` (as in JSON Pointer), so every
/// member name, even of an unknown field, has exactly one path.
public enum FieldPath {
    public static func escape(_ name: String) -> String {
        // (Over the bytes: over the characters, finding none cost a push's diff a third of its time.)
        guard name.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "~") }) else { return name }
        return name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: ".", with: "~1")
    }

    public static func components(_ path: String) -> [String] {
        // Most paths are one plain member name: no splitting (a tenth of the province's merge).
        if !path.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "~") }) { return [path] }
        return path.split(separator: ".", omittingEmptySubsequences: false).map { part in
            // (Not `contains("~")`: that is Foundation's substring search, a twentieth of the
            // province's merge time.)
            part.utf8.contains(UInt8(ascii: "~")) ? String(part).replacingOccurrences(of: "~1", with: ".").replacingOccurrences(of: "~0", with: "~") : String(part)
        }
    }

    /// The leaf at `path` as `flatten` would give it: the value there unless it is an object
    /// with members (nil then, and when there is nothing there). Looks up one path instead of
    /// flattening the whole document.
    public static func leaf(at path: String, in document: JSONValue) -> JSONValue? {
        let node = value(at: path, in: document)
        if case .object(let members)? = node, !members.isEmpty { return nil }
        return node
    }

    /// The value at a field path, a leaf or a whole object (`contact` as well as `contact.phone`).
    public static func value(at path: String, in document: JSONValue) -> JSONValue? {
        var node: JSONValue? = document
        for component in components(path) { node = node?[component] }
        return node
    }

    /// The leaves of a document, keyed by path. A document that is not an object is one leaf, "".
    public static func flatten(_ document: JSONValue) -> [String: JSONValue] {
        var leaves: [String: JSONValue] = [:]
        guard case .object(let members) = document else { return ["": document] }
        for (name, value) in members { collect(value, at: escape(name), into: &leaves) }
        return leaves
    }

    /// How many leaves `flatten(document)` has, without making their paths.
    public static func leafCount(_ document: JSONValue) -> Int {
        guard case .object(let members) = document, !members.isEmpty else { return 1 }
        var count = 0
        members.forEachValue { count += leafCount($0) }
        return count
    }

    static func collect(_ value: JSONValue, at path: String, into leaves: inout [String: JSONValue]) {
        if case .object(let members) = value, !members.isEmpty {
            for (name, child) in members { collect(child, at: path + "." + escape(name), into: &leaves) }
        } else {
            leaves[path] = value
        }
    }

    /// Rebuilds a document from its leaves; the inverse of `flatten` for object documents.
    /// Built level by level in one pass (setting leaves one by one would copy the growing
    /// object for every field). Where a leaf and deeper leaves share a name, the deeper win.
    public static func unflatten(_ leaves: [String: JSONValue]) -> JSONValue {
        build(leaves.map { (components($0.key)[...], $0.value) })
    }

    static func build(_ entries: [(ArraySlice<String>, JSONValue)]) -> JSONValue {
        var members: [String: JSONValue] = [:]
        var deeper: [String: [(ArraySlice<String>, JSONValue)]] = [:]
        for (path, value) in entries {
            guard let first = path.first else { continue }
            if path.count == 1 { members[first] = value } else { deeper[first, default: []].append((path.dropFirst(), value)) }
        }
        for (name, children) in deeper { members[name] = build(children) }
        return .object(JSONObject(members))
    }

    /// Sets the leaf at `path`, or removes it when `value` is nil. Objects on the way are created
    /// (replacing a non-object such as `null`); objects left empty by a removal are removed too,
    /// so that removing every member of `contact` removes `contact`.
    public static func set(_ document: inout JSONValue, path: String, to value: JSONValue?) {
        set(&document, components: components(path)[...], to: value)
    }

    static func set(_ node: inout JSONValue, components: ArraySlice<String>, to value: JSONValue?) {
        guard let first = components.first else { return }
        // Nothing to remove below a leaf.
        if value == nil, components.count > 1, let existing = node[first], existing.objectValue == nil { return }
        var members = node.objectValue ?? [:]
        // Let go of the node's own reference first, so that `members` is changed in place
        // rather than copied for every field set.
        node = .null
        if components.count == 1 {
            members[first] = value
        } else {
            var child = members.removeValue(forKey: first) ?? .object([:])
            if child.objectValue == nil { child = .object([:]) }
            set(&child, components: components.dropFirst(), to: value)
            if case .object(let m) = child, m.isEmpty, value == nil { members[first] = nil } else { members[first] = child }
        }
        node = .object(members)
    }
}
