/// Why a workbook could not be read or written, naming the part, sheet, row or cell.
///
/// A problem with one row is a `.row` or `.cell` and stops that row only: the reader goes on
/// with the next, as CSV import does. The others stop the whole file. For example:
///
/// ```
/// 企业名录!row 7: cell G7 (employees): the cell holds the error #VALUE!
/// list.xlsx: not an xlsx workbook (no zip archive: …); save it as "Excel Workbook (.xlsx)"
/// ```
public enum SpreadsheetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not an xlsx workbook: not a zip archive, or without the parts a workbook has.
    case notAWorkbook(file: String, reason: String)
    /// A part of the workbook (`xl/worksheets/sheet1.xml`) is not well-formed XML, or too large.
    case badPart(part: String, reason: String)
    /// `--sheet` names no sheet of the workbook.
    case noSuchSheet(String, sheets: [String])
    /// The sheet has no header row.
    case emptySheet(sheet: String)
    /// A row (or the header row) that cannot become a record.
    case row(sheet: String, row: Int, reason: String)
    /// A cell whose value cannot be taken into its column; `column` is the header's field name.
    case cell(sheet: String, reference: String, column: String, reason: String)
    /// The workbook could not be assembled.
    case cannotWrite(reason: String)

    public var description: String {
        switch self {
        case .notAWorkbook(let file, let reason):
            return "\(file): not an xlsx workbook (\(reason)); save it as \"Excel Workbook (.xlsx)\" or as CSV"
        case .badPart(let part, let reason):
            return "workbook part \(part): \(reason)"
        case .noSuchSheet(let name, let sheets):
            return "the workbook has no sheet \(name); its sheets: "
                + sheets.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: ", ")
        case .emptySheet(let sheet):
            return "sheet \(sheet) is empty: its first row must name the columns"
        case .row(let sheet, let row, let reason):
            return "\(sheet)!row \(row): \(reason)"
        case .cell(let sheet, let reference, let column, let reason):
            return "\(sheet)!row \(CellReference(reference)?.row ?? 0): cell \(reference) (\(column)): \(reason)"
        case .cannotWrite(let reason):
            return "cannot write the workbook: \(reason)"
        }
    }
}
