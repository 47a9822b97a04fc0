/// Records as CSV, for bureaus that keep or exchange their lists in spreadsheets.
///
/// One row per record, one column per leaf of the record (`srdiYear`, `contactPhone`, …), the
/// support measures as JSON text, and an `extra` column holding, as JSON text, everything the
/// other columns cannot carry exactly: unknown members, unknown members of known objects, known
/// members written as null or with a value of the wrong type, empty strings. So
/// `document → row → document` gives back an equal document. An empty cell means the member is
/// absent. Cells are written by `CSVCell`: text a spreadsheet would run as a formula gets a
/// leading `'` that the reader takes off again; integers are written bare. For example:
///
/// ```swift
/// let text = RecordCSV.text(for: documents)
/// for result in CSVReader(text: text) {
///     switch result {
///     case .success(let row): store(row.document)
///     case .failure(let error): print(error)       // line 7: column supportMeasures: …
///     }
/// }
/// ```
public enum RecordCSV {
    typealias Column = RecordColumn

    static var columns: [RecordColumn] { RecordColumn.all }

    /// The name of the last column: JSON text of what the other columns do not carry.
    static var extraColumn: String { RecordColumn.extra.name }

    /// The column names, in order.
    public static let header: [String] = columns.map(\.name) + [extraColumn]

    /// The header as a CSV line (no line break).
    public static var headerLine: String { CSVCell.line(header.map(CSVCell.text)) }

    /// A whole CSV file: header, then one row per document, each line ending in CRLF (RFC 4180).
    public static func text(for documents: some Sequence<JSONValue>) -> String {
        var out = headerLine + "\r\n"
        for document in documents { out += row(for: document) + "\r\n" }
        return out
    }

    /// One CSV line for a document, without a line break, its cells written by `CSVCell`. A
    /// document that is not a JSON object has no record to show and gives a row of empty cells.
    public static func row(for document: JSONValue) -> String {
        CSVCell.line(cells(for: document))
    }

    /// The cells of a document's row, one per `header` column, before any file format writes
    /// them: the CSV line above and an xlsx row are made from the same cells.
    public static func cells(for document: JSONValue) -> [CSVCell] {
        guard case .object(var rest) = document else {
            return Array(repeating: .text(""), count: header.count)
        }
        var cells: [CSVCell] = []
        cells.reserveCapacity(header.count)
        var carriedParents: Set<String> = []
        for column in columns {
            var cell = CSVCell.text("")
            if let parent = column.parent {
                if case .object(var inner)? = rest[parent], let value = inner[column.key], let text = carry(value, as: column) {
                    cell = text
                    inner[column.key] = nil
                    rest[parent] = .object(inner)
                    carriedParents.insert(parent)
                }
            } else if let value = rest[column.key], let text = carry(value, as: column) {
                cell = text
                rest[column.key] = nil
            }
            cells.append(cell)
        }
        // An object whose members all went into cells is rebuilt from them; anything else it held
        // stays in `extra` and is merged back on reading.
        for parent in carriedParents {
            if case .object(let inner)? = rest[parent], inner.isEmpty { rest[parent] = nil }
        }
        cells.append(.text(rest.isEmpty ? "" : JSONValue.object(rest).canonicalString))
        return cells
    }

    /// Reads a whole CSV text: one result per data row, in order.
    public static func parse(_ text: String) -> [Result<CSVRow, CSVRowError>] {
        Array(CSVReader(text: text))
    }

    /// The cell for a value if the column can carry it exactly, else nil (it goes to `extra`).
    /// JSON text is a number only when the value is one; any other JSON starts with `{`, `[`,
    /// `"` or a letter and is text that needs no quote.
    static func carry(_ value: JSONValue, as column: Column) -> CSVCell? {
        switch (column.kind, value) {
        case (_, .string(let s)) where column.kind.isText && !s.isEmpty:
            // The reader normalises credit codes, so only canonical ones can be carried as cells.
            if column.isCreditCode, USCC.normalize(s) != s { return nil }
            return .text(s)
        case (.integer, .int(let i)):
            return .number(String(i))
        case (.json, .int), (.json, .double):
            return .number(value.canonicalString)
        case (.json, _):
            return .text(value.canonicalString)
        default:
            return nil
        }
    }
}
