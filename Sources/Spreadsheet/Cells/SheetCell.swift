/// A cell's value as the sheet stores it, before a column's kind says what it means.
enum SheetCell: Equatable {
    /// No value (an absent `<c>`, or one without `<v>`).
    case empty
    /// A string: shared, inline, or a formula's text result.
    case text(String)
    /// A number as the file writes it (`46752`, `1.3812345678E10`): a serial date in a date
    /// column, digits of a phone number in a text column.
    case number(String)
    /// A value the sheet holds that no column takes: an error such as `#N/A`, or a shared string
    /// that is not in the workbook. The row is refused naming the cell.
    case invalid(String)
}
