/// GB/T 4754-2017 section letters and the division ranges they cover (docs/domain.md §5).
///
/// Records store a class as the section letter plus four digits (`C3484`); the letter is
/// redundant with the digits, so it is checked against them instead of being trusted.
public enum IndustryClassification {
    /// Section letter → first and last 2-digit division.
    static let sections: [(letter: Character, divisions: ClosedRange<Int>)] = [
        ("A", 1...5), ("B", 6...12), ("C", 13...43), ("D", 44...46), ("E", 47...50),
        ("F", 51...52), ("G", 53...60), ("H", 61...62), ("I", 63...65), ("J", 66...69),
        ("K", 70...70), ("L", 71...72), ("M", 73...75), ("N", 76...79), ("O", 80...82),
        ("P", 83...83), ("Q", 84...85), ("R", 86...90), ("S", 91...96), ("T", 97...97),
    ]

    /// The section letter that a 2-digit division (1…97) belongs to, or nil outside the table.
    public static func section(ofDivision division: Int) -> Character? {
        sections.first { $0.divisions.contains(division) }?.letter
    }

    /// Whether a stored industry code (`C3484`) is industrial in the statistical sense: sections
    /// B (mining), C (manufacturing) and D (utilities). Size classes and the "above designated
    /// size" test use the industrial thresholds only for these.
    public static func isIndustrial(_ code: String) -> Bool {
        guard let letter = code.first else { return false }
        return letter == "B" || letter == "C" || letter == "D"
    }

    /// Why `code` is not a well-formed class code, or nil when it is: a letter A–T, four digits,
    /// and a letter that matches the 2-digit division.
    static func problem(with code: String) -> String? {
        let bytes = Array(code.utf8)
        guard bytes.count == 5, (UInt8(ascii: "A")...UInt8(ascii: "T")).contains(bytes[0]),
              bytes[1...].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            return "\(code) is not a GB/T 4754 class code: expected a section letter A-T and 4 digits, like C3484"
        }
        let division = Int(bytes[1] - UInt8(ascii: "0")) * 10 + Int(bytes[2] - UInt8(ascii: "0"))
        let letter = Character(Unicode.Scalar(bytes[0]))
        guard let expected = section(ofDivision: division) else {
            return "\(code): division \(String(decoding: bytes[1...2], as: UTF8.self)) does not exist in GB/T 4754-2017 (01-97)"
        }
        guard expected == letter else {
            return "\(code): division \(String(decoding: bytes[1...2], as: UTF8.self)) belongs to section \(expected), not \(letter)"
        }
        return nil
    }
}
