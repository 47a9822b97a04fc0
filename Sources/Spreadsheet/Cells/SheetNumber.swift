/// A number cell's text, as a text column takes it: a phone number a spreadsheet stored as a
/// number becomes its digits again (`13812345678`, not `1.3812345678E10` or `13812345678.0`).
///
/// A spreadsheet keeps 15 significant digits, so a number of 16 digits or more (a credit code
/// typed into a cell that was not formatted as text) has already lost some: it is refused, not
/// guessed at.
enum SheetNumber {
    enum Reading: Equatable {
        /// A whole number, in decimal digits.
        case integer(String)
        /// A number with a fraction, in its shortest decimal text.
        case fraction(String)
        /// 10^15 or more: the spreadsheet may have rounded it.
        case lostDigits
        /// Not a number at all.
        case notANumber
    }

    /// The largest magnitude whose every integer a spreadsheet stores exactly.
    static let exactLimit = 1e15

    static func read(_ text: String) -> Reading {
        guard let value = Double(text.trimmingSpaces), value.isFinite else { return .notANumber }
        guard abs(value) < exactLimit else { return .lostDigits }
        if value == value.rounded(.towardZero) { return .integer(String(Int64(value))) }
        return .fraction("\(value)")
    }

    /// Whether a decimal text has at most 15 significant digits, so that a spreadsheet stores
    /// it as written; a longer one is written as text.
    static func fitsASpreadsheet(_ text: String) -> Bool {
        let digits = text.unicodeScalars.prefix { $0 != "e" && $0 != "E" }.filter { ("0"..."9").contains($0) }
        let significant = digits.drop { $0 == "0" }
        return significant.count <= 15
    }
}

extension String {
    var trimmingSpaces: Substring {
        let scalars = Substring(self).unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " }), let end = scalars.lastIndex(where: { $0 != " " }) else { return "" }
        return Substring(scalars[start...end])
    }
}
