extension EnterpriseRecord {
    /// A field path this version does not know, and the known one nearest to it.
    public struct UnknownField: Sendable, Equatable, CustomStringConvertible {
        /// The path as written, `contact.phon`; a support measure's member as `supportMeasures[2].amount`.
        public var path: String
        /// The nearest known path, `contact.phone`; nil when none is close.
        public var nearest: String?
        /// The known members at that level, for a message without a nearest one.
        public var known: [String]

        public var description: String {
            if let nearest { return "\(path) is not a record field; did you mean \(nearest)?" }
            return "\(path) is not a record field (known here: \(known.joined(separator: ", ")))"
        }
    }

    /// The members each object of a record has, by the path of the object; `supportMeasures`
    /// names the members of each item of that list. Built from the same sets the reader keeps
    /// unknown members apart with, so it cannot drift from what a record is.
    static let knownMembers: [[String]: Set<String>] = [
        []: knownFields,
        ["contact"]: Contact.knownKeys,
        ["srdi"]: Designation.knownKeys,
        ["littleGiant"]: Designation.knownKeys,
        ["aboveDesignatedSize"]: AboveDesignatedSize.knownKeys,
        ["supportMeasures"]: SupportMeasure.knownKeys,
    ]

    /// The first member of `path = value` that no record of this version has: the path itself
    /// (`employes`, `contact.phon`) or a member inside the value (`contact={"phon": …}`).
    ///
    /// A bureau's record may carry members this version does not know (a newer agent's field
    /// is kept, not lost: see `extra`), so validation lets them through. A person editing
    /// from the command line, though, means a field that exists: a typo there would create a
    /// field no tool reads and send it to the bureau. Below a member that is not an object of
    /// the record (`name.x`) nothing is judged here; validation refuses the value's type.
    public static func unknownField(_ path: [String], value: JSONValue?) -> UnknownField? {
        for depth in path.indices {
            guard let known = knownMembers[Array(path[..<depth])] else { return nil }
            if !known.contains(path[depth]) { return unknown(Array(path[..<depth]), path[depth], known: known) }
        }
        guard let value, let known = knownMembers[path] else { return nil }
        switch value {
        case .object(let members):
            for name in members.keys.sorted() where !known.contains(name) { return unknown(path, name, known: known) }
        case .array(let items) where path == ["supportMeasures"]:
            for (index, item) in items.enumerated() {
                guard case .object(let members) = item else { continue }
                for name in members.keys.sorted() where !known.contains(name) {
                    return unknown(["supportMeasures[\(index)]"], name, known: known)
                }
            }
        default:
            break
        }
        return nil
    }

    /// `name`, a member of the object at `parent`, which has the members `known`.
    static func unknown(_ parent: [String], _ name: String, known: Set<String>) -> UnknownField {
        let prefix = parent.map { $0 + "." }.joined()
        return UnknownField(path: prefix + name, nearest: NearestName.nearest(to: name, among: known.sorted()).map { prefix + $0 },
                            known: known.sorted())
    }
}
