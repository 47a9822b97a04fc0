import EnterpriseModel

/// Columns aligned for a terminal; Chinese characters count as two columns. Every cell is made
/// terminal-safe first (see `TerminalText`): the tables show what bureaus sent.
public enum TextTable {
    /// The columns `text` takes on a terminal: two for a wide (CJK, Hangul, full-width) character.
    public static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + (isWide($1) ? 2 : 1) }
    }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v >= 0x1100
            && (v <= 0x115F || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v)
                || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v))
    }

    /// The rows, the first one the header, with two spaces between columns (the last column is
    /// not padded).
    public static func render(_ cells: [[String]]) -> String {
        let rows = cells.map { $0.map(\.terminalSafe) }
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? width($0[c]) : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - width(cell)) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
