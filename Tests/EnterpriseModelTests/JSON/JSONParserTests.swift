import Testing
import EnterpriseModel

@Suite struct JSONParserTests {
    /// What the standard library reads a number's text as: an integer when it fits in 64 bits
    /// (as the parser promises), else a double.
    func expected(_ text: String) -> JSONValue? {
        if !text.contains(where: { ".eE".contains($0) }), let i = Int64(text) { return .int(i) }
        return Double(text).map { .double($0) }
    }

    /// An integer of at most 18 digits is read from its bytes (`parseNumber`), a longer one from
    /// its text: both as `Int64` and `Double` read the text.
    @Test func integersReadFromTheirBytesAreWhatTheirTextSays() throws {
        var rng = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "7", "-12", "123456789012345678", "-123456789012345678", "999999999999999999", "-999999999999999999",
                     "1234567890123456789", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "99999999999999999999",
                     "1.5", "-2.0", "1e3", "2E-2"]
        for _ in 0..<500 {
            let magnitude = Int64.random(in: 0...Int64.max, using: &rng) >> Int64.random(in: 0...62, using: &rng)
            texts.append(String(Bool.random(using: &rng) ? -magnitude : magnitude))
        }
        for text in texts {
            let parsed = try JSONValue.parse("[\(text)]")
            #expect(parsed == .array([try #require(expected(text))]), "\(text)")
        }
    }
}
