/// Splits RFC 4180 text into records of cells: cells quoted with `"` may hold commas, doubled
/// quotes and line breaks; records end at CRLF, LF or CR; a UTF-8 byte order mark is skipped;
/// empty lines are skipped.
struct CSVTokenizer: Sendable {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // Excel writes "CSV UTF-8" with a byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// The next record with the line it starts on, an error for a malformed one, or nil at the end.
    mutating func next() -> Result<(line: Int, cells: [String]), CSVRowError>? {
        // Skip empty lines.
        while index < bytes.count, bytes[index] == Self.cr || bytes[index] == Self.lf { consumeLineBreak() }
        guard index < bytes.count else { return nil }
        let start = line
        var cells: [String] = []
        var problem: String?
        while true {
            var cell: [UInt8] = []
            if index < bytes.count, bytes[index] == Self.quote {
                index += 1
                var closed = false
                while index < bytes.count {
                    let b = bytes[index]
                    if b == Self.quote {
                        if index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                            cell.append(Self.quote)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    if b == Self.lf || (b == Self.cr && (index + 1 >= bytes.count || bytes[index + 1] != Self.lf)) { line += 1 }
                    cell.append(b)
                    index += 1
                }
                guard closed else {
                    return .failure(CSVRowError(line: start, reason: "a quoted cell is not closed before the end of the file"))
                }
                if index < bytes.count, bytes[index] != Self.comma, bytes[index] != Self.cr, bytes[index] != Self.lf, problem == nil {
                    problem = "unexpected text after the closing quote of cell \(cells.count + 1)"
                    // Resynchronise at the end of this line.
                    while index < bytes.count, bytes[index] != Self.cr, bytes[index] != Self.lf { index += 1 }
                }
            } else {
                // A quote inside an unquoted cell is taken literally, as spreadsheets do.
                while index < bytes.count, bytes[index] != Self.comma, bytes[index] != Self.cr, bytes[index] != Self.lf {
                    cell.append(bytes[index])
                    index += 1
                }
            }
            if let text = String(validating: cell, as: UTF8.self) {
                cells.append(text)
            } else {
                if problem == nil { problem = "cell \(cells.count + 1) is not valid UTF-8 (save the file as \"CSV UTF-8\")" }
                cells.append("")
            }
            if index < bytes.count, bytes[index] == Self.comma {
                index += 1
                continue
            }
            if index < bytes.count { consumeLineBreak() }
            break
        }
        if let problem { return .failure(CSVRowError(line: start, reason: problem)) }
        return .success((start, cells))
    }

    /// Consumes one CRLF, LF or CR.
    private mutating func consumeLineBreak() {
        if bytes[index] == Self.cr, index + 1 < bytes.count, bytes[index + 1] == Self.lf { index += 1 }
        index += 1
        line += 1
    }
}
