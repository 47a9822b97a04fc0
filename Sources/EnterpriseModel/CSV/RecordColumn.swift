/// A column of a record table (CSV or spreadsheet): the field it carries, and the two names a
/// header may give it — the field name the export writes (`employees`) and the Chinese title a
/// bureau's own list uses (`从业人数`).
///
/// This table is the one place the titles live: `CSVReader` and the xlsx reader both find a
/// column through `RecordColumn.named(_:)`, and the table of column titles in docs/spreadsheets.md (and README) is this one.
/// A title matches with ASCII or full-width brackets and with spaces around it ignored, so
/// `营业收入（元）` and `营业收入(元)` are the same column. For example:
///
/// ```swift
/// RecordColumn.named("从业人数")?.name      // "employees"
/// RecordColumn.named("contactPhone")?.title // "联系电话"
/// ```
public struct RecordColumn: Sendable, Equatable {
    /// How a column's cells become a member's value, and what a spreadsheet may store for it.
    public enum Kind: Sendable, Equatable {
        /// Text as is; an empty string cannot be carried (empty means absent).
        case string
        /// A JSON integer written in decimal.
        case integer
        /// Any JSON value as its canonical text.
        case json
        /// Text of a day, `YYYY-MM-DD`: a spreadsheet may store it as a serial date.
        case date
        /// Text of a month, `YYYY-MM`: a spreadsheet may store it as a serial date.
        case month
        /// An ISO 8601 time: a spreadsheet may store it as a serial date and time.
        case time

        /// Whether the member is a string (of any shape): the date kinds are text in a record.
        public var isText: Bool {
            switch self {
            case .string, .date, .month, .time: true
            case .integer, .json: false
            }
        }
    }

    /// The header the export writes: the field name, or `parent` + `Key` for a member of an object.
    public let name: String
    /// The header a bureau's own list uses.
    public let title: String
    /// The member, or the object member and its member.
    public let parent: String?
    public let key: String
    public let kind: Kind

    /// The column of a record's top-level `uscc`, whose cells are normalised credit codes.
    public var isCreditCode: Bool { key == "uscc" && parent == nil }

    /// The columns in the order the export writes them (`extra` follows them).
    public static let all: [RecordColumn] = [
        RecordColumn("uscc", "统一社会信用代码", key: "uscc", .string),
        RecordColumn("name", "企业名称", key: "name", .string),
        RecordColumn("region", "所属地区", key: "region", .string),
        RecordColumn("county", "所属县区", key: "county", .string),
        RecordColumn("industry", "行业代码", key: "industry", .string),
        RecordColumn("sizeClass", "企业规模", key: "sizeClass", .string),
        RecordColumn("employees", "从业人数", key: "employees", .integer),
        RecordColumn("revenueYuan", "营业收入(元)", key: "revenueYuan", .integer),
        RecordColumn("taxYuan", "纳税总额(元)", key: "taxYuan", .integer),
        RecordColumn("rdExpenseYuan", "研发费用(元)", key: "rdExpenseYuan", .integer),
        RecordColumn("aboveDesignatedSince", "纳入规上年月", parent: "aboveDesignatedSize", key: "since", .month),
        RecordColumn("srdiYear", "专精特新认定年度", parent: "srdi", key: "year", .integer),
        RecordColumn("srdiBatch", "专精特新认定批次", parent: "srdi", key: "batch", .integer),
        RecordColumn("srdiValidUntil", "专精特新有效期至", parent: "srdi", key: "validUntil", .date),
        RecordColumn("littleGiantYear", "小巨人认定年度", parent: "littleGiant", key: "year", .integer),
        RecordColumn("littleGiantBatch", "小巨人认定批次", parent: "littleGiant", key: "batch", .integer),
        RecordColumn("littleGiantValidUntil", "小巨人有效期至", parent: "littleGiant", key: "validUntil", .date),
        RecordColumn("supportMeasures", "扶持措施", key: "supportMeasures", .json),
        RecordColumn("contactPerson", "联系人", parent: "contact", key: "person", .string),
        RecordColumn("contactPhone", "联系电话", parent: "contact", key: "phone", .string),
        RecordColumn("status", "经营状态", key: "status", .string),
        RecordColumn("updatedAt", "更新时间", key: "updatedAt", .time),
    ]

    /// The last column: JSON text of what the other columns do not carry.
    public static let extra = RecordColumn("extra", "其他字段(JSON)", key: "extra", .json)

    /// The column a header cell names, by field name or title; nil for a bureau's own column.
    public static func named(_ header: String) -> RecordColumn? {
        byHeader[normalizedHeader(header)]
    }

    /// The field name for a header cell that names a column, else the cell trimmed: a bureau's
    /// own column keeps its own name.
    public static func canonicalName(_ header: String) -> String {
        named(header)?.name ?? trimmed(header)
    }

    private static let byHeader: [String: RecordColumn] = {
        var table: [String: RecordColumn] = [:]
        for column in all + [extra] {
            table[column.name] = table[column.name] ?? column
            table[normalizedHeader(column.title)] = table[normalizedHeader(column.title)] ?? column
        }
        return table
    }()

    /// Trimmed, full-width brackets as ASCII ones.
    static func normalizedHeader(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in trimmed(text).unicodeScalars {
            switch scalar {
            case "（": out.append("(")
            case "）": out.append(")")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// Without the spaces, tabs and ideographic spaces around it.
    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" || first == "\u{3000}" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\u{3000}" { scalars.removeLast() }
        return String(scalars)
    }

    init(_ name: String, _ title: String, parent: String? = nil, key: String, _ kind: Kind) {
        self.name = name
        self.title = title
        self.parent = parent
        self.key = key
        self.kind = kind
    }
}
