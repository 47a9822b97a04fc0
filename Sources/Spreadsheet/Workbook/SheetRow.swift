/// One row of a sheet as stored: its number (from 1, as the spreadsheet shows it) and its
/// cells from column A on, empty ones included.
struct SheetRow: Equatable {
    let number: Int
    var cells: [SheetCell]

    /// The cell of a column (from 1), `.empty` past the last stored one.
    subscript(column: Int) -> SheetCell {
        column <= cells.count ? cells[column - 1] : .empty
    }

    var isEmpty: Bool { cells.allSatisfy { $0 == .empty } }
}
