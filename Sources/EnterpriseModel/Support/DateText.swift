/// Format checks for the date texts in records. Dates stay strings in the model: they are compared
/// and synced as written, and no time zone or calendar library is needed to check their shape.
enum DateText {
    /// `YYYY-MM-DD` naming a real day (leap years included).
    static func isDate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = number(b[0..<4]), let month = number(b[5..<7]), let day = number(b[8..<10])
        else { return false }
        return (1...12).contains(month) && (1...daysIn(month: month, year: year)).contains(day)
    }

    /// `YYYY-MM`.
    static func isYearMonth(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 7, b[4] == UInt8(ascii: "-"), number(b[0..<4]) != nil, let month = number(b[5..<7]) else { return false }
        return (1...12).contains(month)
    }

    /// An ISO 8601 / RFC 3339 timestamp `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, or a plain date.
    static func isTimestamp(_ text: String) -> Bool {
        let b = Array(text.utf8)
        if b.count == 10 { return isDate(text) }
        guard b.count >= 20, isDate(String(decoding: b[0..<10], as: UTF8.self)),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let hour = number(b[11..<13]), let minute = number(b[14..<16]), let second = number(b[17..<19]),
              hour < 24, minute < 60, second <= 60
        else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start, i < b.count else { return false }
        }
        let zone = b[i...]
        if zone.elementsEqual([UInt8(ascii: "Z")]) || zone.elementsEqual([UInt8(ascii: "z")]) { return true }
        guard zone.count == 6, zone.first == UInt8(ascii: "+") || zone.first == UInt8(ascii: "-"),
              zone[i + 3] == UInt8(ascii: ":"),
              let zh = number(zone[(i + 1)..<(i + 3)]), let zm = number(zone[(i + 4)..<(i + 6)])
        else { return false }
        return zh < 24 && zm < 60
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The year of a `YYYY-…` text, if it starts with four digits.
    static func year(of text: String) -> Int? {
        let b = Array(text.utf8)
        return b.count >= 4 ? number(b[0..<4]) : nil
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private static func number(_ digits: some Collection<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}
