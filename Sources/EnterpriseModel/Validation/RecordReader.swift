/// Reads the members of a record document, collecting an issue for everything that is wrong
/// instead of stopping at the first one. A member's path (`at:`) is spelt out only for an issue:
/// building `supportMeasures[0].amountYuan` and the like for every member of every record, only
/// to drop it, cost an allocation each. Shared by `RecordValidator` and `EnterpriseRecord(json:)`
/// so that what is valid and what decodes can never drift apart.
struct RecordReader {
    /// Whether the typed values read keep the members they do not know (`extra`); false for a
    /// reader that only collects issues (`RecordValidator`).
    var keepsUnknown = true
    private(set) var issues: [FieldIssue] = []
    private(set) var errorCount = 0

    mutating func error(_ field: String, _ reason: String) {
        issues.append(FieldIssue(field: field, reason: reason, severity: .error))
        errorCount += 1
    }

    mutating func warning(_ field: String, _ reason: String) {
        issues.append(FieldIssue(field: field, reason: reason, severity: .warning))
    }

    /// `a.b`, or `b` at the top level.
    static func path(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }

    /// What a value is, for "expected …, found …" messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return "the boolean \(b)"
        case .int(let i): return "the number \(i)"
        case .double(let d): return "the number \(d)"
        case .string(let s):
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return "the string \"\(shown)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    mutating func typeMismatch(_ field: String, expected: String, found value: JSONValue) {
        error(field, "expected \(expected), found \(Self.describe(value))")
    }

    /// A member that must be present and not null.
    mutating func required(_ value: JSONValue?, at field: @autoclosure () -> String) -> JSONValue? {
        guard let value, value != .null else {
            error(field(), value == nil ? "is required" : "is required, found null")
            return nil
        }
        return value
    }

    /// A string, or nil when absent or null (null means "none" for optional members).
    mutating func string(_ value: JSONValue?, at field: @autoclosure () -> String) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?:
            typeMismatch(field(), expected: "a string", found: other)
            return nil
        }
    }

    /// Whether a character that starts with `scalar` (or, as its last scalar, ends with it)
    /// may be white space, as `Character.isWhitespace` asks the character's first scalar. Not
    /// plain ASCII other than space and the control characters, nor a CJK ideograph: neither
    /// is white space, and neither joins a character after a scalar of its own (Unicode's
    /// grapheme rules attach only extenders, joiners and what follows a prepended mark, never
    /// white space). Asking a character (`first`, `last`) walks grapheme breaks and looks up
    /// properties: for the names of a register in Chinese, most of checking them.
    static func mayBeSpace(_ scalar: Unicode.Scalar?) -> Bool {
        guard let value = scalar?.value else { return true }  // (an empty text: the caller asks)
        return !((0x21...0x7E).contains(value) || (0x4E00...0x9FFF).contains(value))
    }

    /// A non-empty string (after trimming white space), or nil when absent or null.
    mutating func nonEmptyString(_ value: JSONValue?, at field: @autoclosure () -> String) -> String? {
        guard let s = string(value, at: field()) else { return nil }
        guard !Self.mayBeSpace(s.unicodeScalars.first) || !s.allSatisfy(\.isWhitespace) else {
            error(field(), "must not be empty")
            return nil
        }
        return s
    }

    /// A whole number of at least `minimum`, or nil when absent or null. Decimals are refused even
    /// when integral (12.0): counts and money are integers, and `.double(12)` would not survive a
    /// round trip as the same value.
    mutating func integer(_ value: JSONValue?, at field: @autoclosure () -> String, minimum: Int64 = 0) -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .int(let i)?:
            guard i >= minimum else {
                error(field(), minimum == 0 ? "must not be negative, found \(i)" : "must be at least \(minimum), found \(i)")
                return nil
            }
            return i
        case let other?:
            typeMismatch(field(), expected: "a whole number", found: other)
            return nil
        }
    }

    /// The members of an object, or nil when absent or null.
    mutating func object(_ value: JSONValue?, at field: @autoclosure () -> String) -> JSONObject? {
        switch value {
        case nil, .null?: return nil
        case .object(let members)?: return members
        case let other?:
            typeMismatch(field(), expected: "an object", found: other)
            return nil
        }
    }

    /// The elements of an array, or nil when absent or null.
    mutating func array(_ value: JSONValue?, at field: @autoclosure () -> String) -> [JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .array(let elements)?: return elements
        case let other?:
            typeMismatch(field(), expected: "an array", found: other)
            return nil
        }
    }

    /// A value of a string enumeration, or nil when absent or null.
    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ value: JSONValue?, at field: @autoclosure () -> String) -> E?
    where E.RawValue == String {
        guard let s = string(value, at: field()) else { return nil }
        guard let e = E(rawValue: s) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            error(field(), "\"\(s)\" is not one of \(allowed)")
            return nil
        }
        return e
    }

    /// A calendar date `YYYY-MM-DD`, or nil when absent or null.
    mutating func date(_ value: JSONValue?, at field: @autoclosure () -> String) -> String? {
        guard let s = string(value, at: field()) else { return nil }
        guard DateText.isDate(s) else {
            error(field(), "\"\(s)\" is not a date of the form YYYY-MM-DD")
            return nil
        }
        return s
    }

    /// The members that stay in a typed value's `extra`: unknown members, and known members
    /// written as null (kept so that the document comes back unchanged). None when the reader
    /// only checks (`keepsUnknown` false): no member outside the schema is ever an error, and
    /// looking each name up was a fifth of validating a record.
    func leftovers(_ members: JSONObject, known: Set<String>) -> JSONObject {
        keepsUnknown ? Self.leftovers(members, known: known) : [:]
    }

    static func leftovers(_ members: JSONObject, known: Set<String>) -> JSONObject {
        // Most records have none: no new dictionary for them.
        guard members.contains(where: { !known.contains($0.key) || $0.value == .null }) else { return [:] }
        return members.filter { !known.contains($0.key) || $0.value == .null }
    }
}
