/// Reads a record CSV file row by row, so that a bad row is reported by its line and does not
/// stop the others.
///
/// The first non-empty line is the header. Columns are matched by field name or by the Chinese
/// title a bureau uses (`RecordColumn`), so their order may differ from `RecordCSV.header`; a
/// column with another name becomes a top-level string member of that name (a bureau's own
/// column survives). Each data row yields a `CSVRow` with the line it
/// starts on, or a `CSVRowError`. Cell values: the credit code is normalised (spaces, hyphens and
/// full-width characters are fine), integer columns hold whole numbers (anything else is kept as a
/// string for the validator to name), `supportMeasures` and `extra` hold JSON text, and an empty
/// cell leaves the member out. Every cell but an integer one loses the `'` the writer put before
/// text a spreadsheet would run (`CSVCell.decodeText`). A header error is reported once, and
/// nothing follows it.
public struct CSVReader: Sequence, IteratorProtocol, Sendable {
    private var tokenizer: CSVTokenizer
    /// Header name per cell position, once read.
    private var names: [String]?
    private var finished = false

    /// Reads the bytes of a file as they are: a file saved in another encoding (GBK, as Excel
    /// does on Chinese Windows) is reported row by row instead of being garbled.
    public init(bytes: some Collection<UInt8>) {
        tokenizer = CSVTokenizer(bytes: Array(bytes))
    }

    public init(text: String) {
        self.init(bytes: Array(text.utf8))
    }

    /// The next data row, or why it could not be read; nil after the last row.
    public mutating func next() -> Result<CSVRow, CSVRowError>? {
        guard !finished else { return nil }
        guard let names else {
            switch tokenizer.next() {
            case nil:
                finished = true
                return nil
            case .failure(let error)?:
                finished = true
                return .failure(CSVRowError(line: error.line, reason: "header: \(error.reason)"))
            case .success(let header)?:
                do {
                    self.names = try Self.columnNames(header: header.cells, line: header.line)
                } catch {
                    finished = true
                    return .failure(error)
                }
                return next()
            }
        }
        switch tokenizer.next() {
        case nil:
            finished = true
            return nil
        case .failure(let error)?:
            return .failure(error)
        case .success(let row)?:
            guard row.cells.count == names.count else {
                return .failure(CSVRowError(line: row.line, reason: "has \(plural(row.cells.count, "cell")), the header has \(names.count)"))
            }
            return Result { () throws(CSVRowError) in
                CSVRow(line: row.line, document: try Self.document(cells: row.cells, names: names, line: row.line))
            }
        }
    }

    /// The field names a header row gives its columns (a title such as `从业人数` becomes
    /// `employees`, see `RecordColumn`), or why the header cannot be used: an empty name, a
    /// column named twice, no credit-code column. The CSV and the xlsx readers share it.
    public static func columnNames(header cells: [String], line: Int) throws(CSVRowError) -> [String] {
        var names: [String] = []
        var seen: [String: String] = [:]
        for cell in cells {
            let name = RecordColumn.canonicalName(cell)
            if name.isEmpty { throw CSVRowError(line: line, reason: "header has an empty column name") }
            if let first = seen[name] {
                let spelled = first == RecordColumn.trimmed(cell) ? "" : " (as \(first) and \(RecordColumn.trimmed(cell)))"
                throw CSVRowError(line: line, reason: "header names column \(name) twice\(spelled)")
            }
            seen[name] = RecordColumn.trimmed(cell)
            names.append(name)
        }
        guard seen["uscc"] != nil else {
            throw CSVRowError(line: line, reason: "header has no uscc (\(RecordColumn.all[0].title)) column (expected \(RecordCSV.headerLine))")
        }
        return names
    }

    /// Builds a document from cells; `names[i]` is the field name of `cells[i]`'s column (see
    /// `columnNames`). The CSV and the xlsx readers share it.
    public static func document(cells: [String], names: [String], line: Int) throws(CSVRowError) -> JSONValue {
        var members: JSONObject = [:]
        var extraText: String?
        var other: [(String, String)] = []
        for (name, raw) in zip(names, cells) where !raw.isEmpty {
            // Integers are written bare; anything else may carry the writer's `'`.
            let column = RecordColumn.named(name)
            let cell = column?.kind == .integer ? raw : CSVCell.decodeText(raw)
            if name == RecordCSV.extraColumn {
                extraText = cell
                continue
            }
            guard let column else {
                other.append((name, cell))
                continue
            }
            let value: JSONValue
            switch column.kind {
            case .string, .date, .month, .time:
                value = .string(column.isCreditCode ? USCC.normalize(cell) : cell)
            case .integer:
                value = Int64(RecordColumn.trimmed(cell)).map(JSONValue.int) ?? .string(cell)
            case .json:
                do {
                    value = try JSONValue.parse(cell)
                } catch {
                    throw CSVRowError(line: line, reason: "column \(name): not valid JSON (\(error))")
                }
            }
            if let parent = column.parent {
                var inner = members[parent]?.objectValue ?? [:]
                inner[column.key] = value
                members[parent] = .object(inner)
            } else {
                members[column.key] = value
            }
        }
        if let extraText {
            let extra: JSONValue
            do {
                extra = try JSONValue.parse(extraText)
            } catch {
                throw CSVRowError(line: line, reason: "column extra: not valid JSON (\(error))")
            }
            guard case .object(let leftovers) = extra else {
                throw CSVRowError(line: line, reason: "column extra: expected a JSON object, found \(extra.typeName)")
            }
            fillGaps(&members, from: leftovers)
        }
        for (name, cell) in other where members[name] == nil { members[name] = .string(cell) }
        return .object(members)
    }

    /// Adds what `source` has and `target` lacks, object by object; cells win over `extra`.
    static func fillGaps(_ target: inout JSONObject, from source: JSONObject) {
        for (key, value) in source {
            switch (target[key], value) {
            case (nil, _):
                target[key] = value
            case (.object(var inner)?, .object(let more)):
                fillGaps(&inner, from: more)
                target[key] = .object(inner)
            default:
                continue
            }
        }
    }
}
