import EnterpriseModel

/// The bounds every string and field path from a peer is held to when it is decoded, before
/// any merge, lookup or write sees it.
///
/// The merge walks a field path part by part (`FieldPath.set`, `FieldPath.unflatten` recurse once
/// per part) and the policy looks up every prefix of it, so one path of a few hundred thousand
/// dot-separated parts would exhaust the stack or hold the write lock for minutes. No record
/// field comes anywhere near these limits: the deepest in use is two parts (`contact.phone`), and
/// a record file nested deeper is refused by the agent's own validation (`RecordLimits`).
///
/// | what | limit | why |
/// |---|---|---|
/// | field path | 2,048 bytes, 8 parts (`RecordLimits.maximumDepth`) | the merge recurses per part |
/// | fields in one record change | 2,000 | a record has about 25 |
/// | change set `id`, `push` | 100 bytes | the agent's are 36 |
/// | `agent`, `createdAt`, `signer`, `previous`, `signature`, `expectedHash` | 200 bytes | each is a short label, a date or a hex/base64 digest |
/// | credit code `uscc`, `region` | 64 bytes | a code is 18; longer is refused by name, shortened |
/// | a reviewer's note | 4,096 bytes | a sentence or two |
public enum WireLimits {
    public static let maxFieldPathBytes = 2_048
    public static let maxFieldPathParts = RecordLimits.maximumDepth
    public static let maxFieldsPerRecord = 2_000
    public static let maxIdentifierBytes = 100
    public static let maxLabelBytes = 200
    public static let maxCodeBytes = 64
    /// A reviewer's note with a decision or an edit.
    public static let maxNoteBytes = 4_096

    /// Why `path` cannot be a field path, or nil when it can. `escape`d member names count as
    /// they are sent (`~1` is one part's text).
    public static func problem(inFieldPath path: String) -> String? {
        let bytes = path.utf8.count
        if bytes > maxFieldPathBytes { return "a field path of \(bytes) bytes is longer than the limit of \(maxFieldPathBytes)" }
        let parts = 1 + path.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) }
        if parts > maxFieldPathParts { return "a field path of \(parts) parts is deeper than the limit of \(maxFieldPathParts)" }
        return nil
    }

    /// Why `document`, a new record sent whole (`RecordChange.document`), cannot be sent, or nil
    /// when it can: the leaves it would be sent as, field by field, are held to the same bounds
    /// (at most `maxFieldsPerRecord` of them, each path within `problem(inFieldPath:)`'s),
    /// counted without making the paths.
    public static func problem(inDocument document: JSONValue) -> String? {
        var leaves = 0
        var problem: String?
        /// `bytes`: the escaped path's length so far, with the dot before this member.
        func walk(_ value: JSONValue, parts: Int, bytes: Int) {
            guard problem == nil else { return }
            guard case .object(let members) = value, !members.isEmpty else {
                leaves += 1
                if leaves > maxFieldsPerRecord { problem = "a record sent whole with more than \(maxFieldsPerRecord) fields" }
                return
            }
            if parts + 1 > maxFieldPathParts { problem = "a field path of more than \(maxFieldPathParts) parts is deeper than the limit"; return }
            // (Each member where it is: iterating name-value pairs copied each, for every record received.)
            members.forEachMember { name, child in
                guard problem == nil else { return }
                var length = bytes + (parts == 0 ? 0 : 1)
                for byte in name.utf8 { length += byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~") ? 2 : 1 }
                if length > maxFieldPathBytes {
                    problem = "a field path of \(length) bytes or more (\(quoted(name))) is longer than the limit of \(maxFieldPathBytes)"
                    return
                }
                walk(child, parts: parts + 1, bytes: length)
            }
        }
        walk(document, parts: 0, bytes: 0)
        return problem
    }

    /// `text` cut to a length that is safe to repeat in an error message, on a character boundary.
    public static func quoted(_ text: String, limit: Int = 48) -> String {
        text.count <= limit ? "\"\(text)\"" : "\"\(text.prefix(limit))…\" (\(text.utf8.count) bytes)"
    }
}

extension Members {
    /// A string member no longer than `limit` bytes.
    func string(_ key: String, limit: Int) throws(WireError) -> String {
        try bounded(try string(key), key, limit)
    }

    func optionalString(_ key: String, limit: Int) throws(WireError) -> String? {
        try optionalString(key).map { s throws(WireError) in try bounded(s, key, limit) }
    }

    private func bounded(_ value: String, _ key: String, _ limit: Int) throws(WireError) -> String {
        guard value.utf8.count <= limit else {
            throw WireError(path: at(key), reason: "\(value.utf8.count) bytes is longer than the limit of \(limit) (\(WireLimits.quoted(value)))")
        }
        return value
    }
}
