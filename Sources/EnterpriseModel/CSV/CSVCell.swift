/// One cell of a CSV file the project writes, and the one rule that keeps a spreadsheet from
/// running a bureau's text (OWASP, "CSV Injection").
///
/// Excel and WPS take a cell that starts with `=`, `+`, `-` or `@` as a formula (OWASP adds a
/// leading tab or carriage return): an enterprise named `=HYPERLINK("http://x","y")` would
/// become a live link, or a command, on a province desk. So every CSV line is built from
/// `CSVCell`s, through `line(_:)`: a number is written as it is, so a spreadsheet still adds it
/// up; text gets the leading `'` spreadsheet users know as "this is text", and `decodeText(_:)`
/// takes it off again, so `record import` reads back exactly what `record export` wrote.
///
/// | a text value that starts with      | is written as                | `decodeText` of that cell |
/// |------------------------------------|------------------------------|---------------------------|
/// | `=` `+` `-` `@`, a tab, a CR       | `'` + value, always quoted   | value (one `'` removed)   |
/// | `'`                                | `'` + value, always quoted   | value (one `'` removed)   |
/// | anything else, or nothing          | value (quoted if RFC 4180 needs it) | value, unchanged   |
///
/// A written text cell therefore starts with `'` exactly when the writer added one, and then the
/// next character is a trigger or another `'`. The reader removes one `'` only from such a cell;
/// a cell like `'abc`, which the writer never makes, is someone's own text and is kept. A file
/// a spreadsheet saved again reads the same whether it kept the quote (`'=1+1`) or dropped it.
///
/// A `.number` is written bare only when its text is a decimal number (`-5`, `12.5`, `1e+20`);
/// anything else in a numeric column is written as text, so a column declared numeric cannot
/// carry a formula past the rule.
public enum CSVCell: Sendable, Equatable {
    /// Text, typed by someone: neutralised when a spreadsheet would run it.
    case text(String)
    /// A number as decimal text: a spreadsheet must see a number, not text.
    case number(String)

    /// The cells joined into one CSV line, without a line break.
    public static func line(_ cells: some Sequence<CSVCell>) -> String {
        cells.map(\.encoded).joined(separator: ",")
    }

    /// The cell as CSV text, by the table above.
    public var encoded: String {
        switch self {
        case .number(let value) where Self.isNumber(value):
            return value
        case .text(let value), .number(let value):
            guard let first = value.unicodeScalars.first, Self.triggers.contains(first) || first == "'" else {
                return Self.quoted(value, always: false)
            }
            return Self.quoted("'" + value, always: true)
        }
    }

    /// A text cell as read from a file, with the `'` the writer added taken off (see the table).
    public static func decodeText(_ cell: String) -> String {
        var scalars = cell.unicodeScalars.makeIterator()
        guard scalars.next() == "'", let second = scalars.next(), triggers.contains(second) || second == "'" else {
            return cell
        }
        return String(cell.unicodeScalars.dropFirst())
    }

    /// A text value for a file whose cells are typed (xlsx), where a string cell is never run as
    /// a formula and so needs no `'`: the value as it is, except one that `decodeText` would
    /// shorten (a `'` before a trigger or another `'`), which gets one more `'` so that it reads
    /// back as it was. A workbook a spreadsheet made from an exported CSV keeps the CSV's `'`
    /// in its strings, so the xlsx reader takes it off the same way.
    public static func typedText(_ value: String) -> String {
        decodeText(value) == value ? value : "'" + value
    }

    /// The first characters that make a spreadsheet read a cell as a formula.
    static let triggers: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// A decimal number as JSON writes one: `-?digits(.digits)?([eE][+-]?digits)?`.
    public static func isNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Bool {
            let count = bytes.prefix(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }).count
            bytes = bytes.dropFirst(count)
            return count > 0
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        guard digits() else { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() else { return false }
        }
        return bytes.isEmpty
    }

    /// RFC 4180: quoted (quotes doubled) when `always` (a neutralised cell, as OWASP advises) or
    /// when the cell holds a comma, a quote or a line break.
    static func quoted(_ cell: String, always: Bool) -> String {
        guard always || cell.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            return cell
        }
        var out = "\""
        for scalar in cell.unicodeScalars {
            if scalar == "\"" { out += "\"\"" } else { out.unicodeScalars.append(scalar) }
        }
        return out + "\""
    }
}
