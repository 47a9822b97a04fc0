/// A worksheet part (`xl/worksheets/sheet1.xml`) read into rows of `SheetCell`s.
///
/// A cell's type (`t`) says where its value is: `s` an index into the shared strings,
/// `inlineStr` the text of its `<is>`, `str` a formula's text result, `b` a boolean, `e` an
/// error, `d` an ISO date, and `n` or none a number in `<v>`. A formula (`<f>`) is never
/// evaluated: its last result, which the file keeps in `<v>`, is the value. Rows and cells
/// without an `r` attribute follow the one before.
final class SheetHandler: XMLPartHandler {
    private let sharedStrings: [String]
    private(set) var rows: [SheetRow] = []

    private var row = SheetRow(number: 0, cells: [])
    private var column = 0
    private var cellType = "n"
    private var badReference: String?
    private var value = ""
    private var inlineText = ""
    private var inValue = false
    private var inInline = false
    private var inText = false
    private var phonetic = 0

    init(sharedStrings: [String]) {
        self.sharedStrings = sharedStrings
    }

    func start(_ name: String, attributes: [String: String]) {
        switch name {
        case "row":
            let number = attributes["r"].flatMap { Int($0) } ?? row.number + 1
            row = SheetRow(number: min(max(number, row.number + 1), CellReference.maxRow), cells: [])
            column = 0
        case "c":
            if let reference = attributes["r"] {
                if let parsed = CellReference(reference) {
                    column = parsed.column
                    badReference = nil
                } else {
                    column += 1
                    badReference = reference
                }
            } else {
                column += 1
                badReference = nil
            }
            cellType = attributes["t"] ?? "n"
            value = ""
            inlineText = ""
        case "v":
            inValue = true
        case "is":
            inInline = true
        case "rPh":
            phonetic += 1
        case "t":
            inText = inInline && phonetic == 0
        default:
            break
        }
    }

    func end(_ name: String) {
        switch name {
        case "v": inValue = false
        case "is": inInline = false
        case "rPh": phonetic -= 1
        case "t": inText = false
        case "c": place(cell())
        case "row":
            if !row.isEmpty { rows.append(row) }
        default: break
        }
    }

    func text(_ text: String) {
        if inValue { value += text } else if inText { inlineText += text }
    }

    private func cell() -> SheetCell {
        if let badReference { return .invalid("the cell reference \(badReference) is not one of A1 to XFD1048576") }
        switch cellType {
        case "s":
            guard !value.isEmpty else { return .empty }
            guard let index = Int(value.trimmingSpaces), sharedStrings.indices.contains(index) else {
                return .invalid("shared string \(value) is not in the workbook")
            }
            return .text(sharedStrings[index])
        case "inlineStr":
            return .text(XMLText.decoded(inlineText.isEmpty ? value : inlineText))
        case "str":
            return .text(XMLText.decoded(value))
        case "b":
            return value.isEmpty ? .empty : .text(value == "1" ? "TRUE" : "FALSE")
        case "e":
            return .invalid("the cell holds the error \(value)")
        case "d":
            return value.isEmpty ? .empty : .text(value)
        default:
            return value.isEmpty ? .empty : .number(value)
        }
    }

    private func place(_ cell: SheetCell) {
        guard column >= 1, column <= CellReference.maxColumn else { return }
        if column > row.cells.count {
            row.cells.append(contentsOf: repeatElement(.empty, count: column - row.cells.count))
        }
        row.cells[column - 1] = cell
    }
}
