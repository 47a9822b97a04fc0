/// An A1-style cell reference (`G7`): column letters, then the row number, both from 1.
struct CellReference: Equatable, CustomStringConvertible {
    /// Excel's limits: XFD columns, 1,048,576 rows. A reference past them is refused rather than
    /// making a row of millions of cells.
    static let maxColumn = 16_384
    static let maxRow = 1_048_576

    let column: Int
    let row: Int

    init(column: Int, row: Int) {
        self.column = column
        self.row = row
    }

    /// Parses `G7` (or `$G$7`); nil for anything else or past the limits.
    init?(_ text: String) {
        var column = 0, row = 0, letters = 0, digits = 0
        for scalar in text.unicodeScalars where scalar != "$" {
            switch scalar {
            case "A"..."Z" where digits == 0:
                column = column * 26 + Int(scalar.value - 64)
                letters += 1
            case "a"..."z" where digits == 0:
                column = column * 26 + Int(scalar.value - 96)
                letters += 1
            case "0"..."9" where letters > 0:
                row = row * 10 + Int(scalar.value - 48)
                digits += 1
            default:
                return nil
            }
            if letters > 3 || digits > 7 { return nil }
        }
        guard letters > 0, digits > 0, (1...Self.maxColumn).contains(column), (1...Self.maxRow).contains(row) else { return nil }
        self.init(column: column, row: row)
    }

    /// The column's letters: 1 is A, 27 is AA.
    static func letters(_ column: Int) -> String {
        var n = column, out: [Unicode.Scalar] = []
        while n > 0 {
            let digit = (n - 1) % 26
            out.append(Unicode.Scalar(UInt8(65 + digit)))
            n = (n - 1) / 26
        }
        return String(String.UnicodeScalarView(out.reversed()))
    }

    var description: String { Self.letters(column) + String(row) }
}
