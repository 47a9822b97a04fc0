/// What a field of the record document holds, as `RecordReader` reads it: text, a whole number,
/// or a structure (an object or a list). A person who types a value for one field — a reviewer's
/// new value on the review page or `esync-aggregator conflicts resolve --value` — types text as
/// text and a number as digits; only a structure needs JSON. The kinds here are the reader's:
/// `RecordFieldKindTests` reads a full record and checks every field against this table.
public enum RecordFieldKind: String, Sendable, Equatable {
    /// A string: names, codes, dates, phone numbers, the enumerations (`sizeClass`, `status`).
    case text
    /// A whole number: counts, amounts in yuan, years and batches.
    case integer
    /// An object or a list, written as JSON (`supportMeasures`, `contact` as a whole).
    case structure

    /// The kind of a known field path (`name`, `contact.phone`, `srdi.year`); nil for a member
    /// this version does not know (a bureau tool's addition), whose kind only its value tells.
    public static func of(_ path: String) -> RecordFieldKind? {
        if let kind = top[path] { return kind }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let members = nested[String(parts[0])] else { return nil }
        return members[String(parts[1])]
    }

    /// The kind a value has, for a field this version does not know.
    public static func of(value: JSONValue) -> RecordFieldKind? {
        switch value {
        case .string: .text
        case .int: .integer
        case .object, .array: .structure
        case .null, .bool, .double: nil
        }
    }

    static let top: [String: RecordFieldKind] = [
        "uscc": .text, "name": .text, "region": .text, "county": .text, "industry": .text, "sizeClass": .text,
        "employees": .integer, "revenueYuan": .integer, "taxYuan": .integer, "rdExpenseYuan": .integer,
        "aboveDesignatedSize": .structure, "srdi": .structure, "littleGiant": .structure, "supportMeasures": .structure,
        "contact": .structure, "status": .text, "updatedAt": .text,
    ]

    /// The members of the known objects (`supportMeasures` is a list: one value as a whole).
    static let nested: [String: [String: RecordFieldKind]] = [
        "aboveDesignatedSize": ["since": .text],
        "srdi": designation, "littleGiant": designation,
        "contact": ["person": .text, "phone": .text],
    ]
    static let designation: [String: RecordFieldKind] = ["year": .integer, "batch": .integer, "validUntil": .text]
}
