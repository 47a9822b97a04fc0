import EnterpriseModel
import Foundation

/// Records in xlsx workbooks, in the layout of `RecordCSV`: what `esync-agent record import`
/// reads from a bureau's spreadsheet and what both `export` commands write.
///
/// The contract:
/// - **Sheets.** One sheet is read: the one `sheet` names (its name, else its number from 1),
///   or the first that is not hidden.
/// - **Header.** The first non-empty row names the columns, by field name (`employees`, as the
///   export writes) or by the Chinese title a bureau uses (`从业人数`): `RecordColumn`, shared
///   with CSV import. Columns may come in any order; a bureau's own column is kept as a text
///   member of its name, as CSV import keeps it.
/// - **Cells.** Shared strings and inline strings are text. A number in a date column is a
///   serial date (1900 system, or 1904 when the workbook says so) and becomes `YYYY-MM-DD`
///   (`YYYY-MM` for a month, a time of day as Beijing time); a number in a text column (a
///   phone number stored as a number) becomes its digits, without `.0` or an exponent; a
///   number of 16 digits or more has lost digits in the spreadsheet and its row is refused.
///   Formulas are never evaluated: the value the file keeps for them is read.
/// - **Rows.** Every other row becomes a record document (not yet validated) or an error
///   naming the sheet, the row and, where it can, the cell: `企业名录!row 7: cell G7
///   (employees): the cell holds the error #VALUE!`. A bad row does not stop the others.
/// - **Writing.** One sheet, the header of `RecordCSV`, one row per document, cells as
///   `WorkbookWriter` writes them: text as strings (never formulas), numbers as numbers when a
///   spreadsheet keeps them exactly. Reading a written workbook gives the documents back.
///
/// For example:
///
/// ```swift
/// let sheet = try RecordWorkbook.read(bytes, file: "list.xlsx", sheet: nil)
/// for row in sheet.rows {
///     switch row {
///     case .success(let record): store(record.document)   // record.row: 2, 3, …
///     case .failure(let error): print(error)              // 企业名录!row 7: …
///     }
/// }
/// ```
public enum RecordWorkbook {
    /// The records of one sheet.
    public struct Sheet: Sendable {
        /// The sheet's name, as rows are named in errors (`企业名录!row 7`).
        public let name: String
        public let rows: [Result<Row, SpreadsheetError>]
    }

    /// A data row read into a record document.
    public struct Row: Sendable, Equatable {
        /// The row number the spreadsheet shows.
        public let row: Int
        public let document: JSONValue
    }

    /// Whether a file's bytes are a zip archive, as every xlsx workbook is (and no CSV file).
    public static func looksLikeWorkbook(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x50, 0x4B, 0x03, 0x04])
    }

    /// The name of the sheet the exports write.
    public static let sheetName = "企业名录"

    /// Reads one sheet of an xlsx file's bytes; `file` names it in errors, `sheet` picks the
    /// sheet by name or number. Throws for what stops the whole file (not a workbook, no such
    /// sheet, a bad header); a bad row is a failure among the rows.
    public static func read(_ bytes: Data, file: String, sheet selector: String?) throws(SpreadsheetError) -> Sheet {
        let workbook = try Workbook(bytes: bytes, file: file)
        let sheet = try workbook.sheet(selector)
        let rows = try workbook.rows(of: sheet)
        guard let header = rows.first else { throw .emptySheet(sheet: sheet.name) }
        var headerCells = header.cells
        while headerCells.last == .empty { headerCells.removeLast() }
        var texts: [String] = []
        for (index, cell) in headerCells.enumerated() {
            let reference = CellReference(column: index + 1, row: header.number)
            texts.append(try text(of: cell, column: nil, date1904: false, sheet: sheet.name, at: reference, name: "header"))
        }
        let names: [String]
        do throws(CSVRowError) {
            names = try CSVReader.columnNames(header: texts, line: header.number)
        } catch {
            throw .row(sheet: sheet.name, row: error.line, reason: error.reason)
        }
        let columns = names.map(RecordColumn.named)
        let records = rows.dropFirst().map { row in
            Result { () throws(SpreadsheetError) in
                try record(row, names: names, columns: columns, date1904: workbook.date1904, sheet: sheet.name)
            }
        }
        return Sheet(name: sheet.name, rows: records)
    }

    /// An xlsx file of the documents, in credit-code order as given: header, then one row each.
    public static func data(for documents: some Sequence<JSONValue>) throws(SpreadsheetError) -> Data {
        var writer = recordWriter()
        for document in documents { writer.append(RecordCSV.cells(for: document)) }
        return try writer.data()
    }

    /// A writer with the header row written, to which a caller that streams its records (the
    /// province's register) appends `RecordCSV.cells(for:)` of each.
    public static func recordWriter() -> WorkbookWriter {
        var writer = WorkbookWriter(sheetName: sheetName)
        writer.append(RecordCSV.header.map(CSVCell.text))
        return writer
    }

    private static func record(_ row: SheetRow, names: [String], columns: [RecordColumn?], date1904: Bool,
                               sheet: String) throws(SpreadsheetError) -> Row {
        if let beyond = row.cells.indices.dropFirst(names.count).first(where: { row.cells[$0] != .empty }) {
            throw .cell(sheet: sheet, reference: CellReference(column: beyond + 1, row: row.number).description, column: "no column",
                        reason: "a value right of the last column the header names")
        }
        var texts: [String] = []
        texts.reserveCapacity(names.count)
        for (index, name) in names.enumerated() {
            texts.append(try text(of: row[index + 1], column: columns[index], date1904: date1904, sheet: sheet,
                                  at: CellReference(column: index + 1, row: row.number), name: name))
        }
        do throws(CSVRowError) {
            return Row(row: row.number, document: try CSVReader.document(cells: texts, names: names, line: row.number))
        } catch {
            throw .row(sheet: sheet, row: row.number, reason: error.reason)
        }
    }

    /// A cell as the text its column takes (see the contract above).
    static func text(of cell: SheetCell, column: RecordColumn?, date1904: Bool, sheet: String, at reference: CellReference,
                     name: String) throws(SpreadsheetError) -> String {
        func refuse(_ reason: String) -> SpreadsheetError {
            .cell(sheet: sheet, reference: reference.description, column: name, reason: reason)
        }
        switch cell {
        case .empty: return ""
        case .text(let text): return text
        case .invalid(let reason): throw refuse(reason)
        case .number(let number):
            switch column?.kind {
            case .date?, .month?, .time?:
                guard let serial = Double(number.trimmingSpaces), let date = SerialDate(serial: serial, date1904: date1904) else {
                    throw refuse("the number \(number) is not a date")
                }
                return column?.kind == .date ? date.dateText : column?.kind == .month ? date.monthText : date.timeText
            case .json?:
                return number
            case .string?, .integer?, nil:
                switch SheetNumber.read(number) {
                case .integer(let digits): return digits
                case .fraction(let text): return text
                case .notANumber: return number
                case .lostDigits:
                    throw refuse("the number \(number) has more than 15 digits, which a spreadsheet does not keep: "
                        + "format the column as text and type the digits again")
                }
            }
        }
    }
}
