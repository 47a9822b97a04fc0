import EnterpriseModel
import Testing

/// A parse error names the character where reading stopped as the reader sees it: `name=洛阳`
/// (text without quotes) used to be reported as 'æ', the first byte of 洛 read as Latin-1.
@Suite struct JSONParseErrorTests {
    func reason(_ text: String) -> String {
        do { _ = try JSONValue.parse(text); return "parsed" } catch { return error.reason }
    }

    @Test func anUnexpectedCharacterIsNamedWhole() {
        #expect(reason("洛阳") == "unexpected character '洛'")
        #expect(reason("[1, 😀]") == "unexpected character '😀'")
        #expect(reason("x") == "unexpected character 'x'")
        #expect(reason(#""\洛""#) == #"invalid escape: \ before character '洛'"#)
    }

    @Test func aControlCharacterOrAStrayByteIsNamedAsSuch() {
        #expect(reason("\u{1}") == "unexpected control character U+0001")
        do { _ = try JSONValue.parse([0xE6, 0x20]); Issue.record("parsed") } catch {
            #expect(error.reason == "unexpected byte 0xE6 (not UTF-8 text)")
        }
        do { _ = try JSONValue.parse([0xFF]); Issue.record("parsed") } catch {
            #expect(error.reason == "unexpected byte 0xFF (not UTF-8 text)")
        }
    }

    @Test func theColumnCountsCharactersNotBytes() throws {
        do { _ = try JSONValue.parse(#"["洛阳", 洛]"#); Issue.record("parsed") } catch {
            #expect(error.column == 8 && error.reason == "unexpected character '洛'")
        }
    }

    /// A member named twice is an error on the line of its second occurrence; the same name in
    /// a nested object is another member.
    @Test func aMemberNamedTwiceIsNamedWhereItAppearsAgain() throws {
        do { _ = try JSONValue.parse("{\"a\": 1,\n \"b\": {\"a\": 2, \"c\": 3},\n \"a\": 4}"); Issue.record("parsed") } catch {
            #expect(error.line == 3 && error.reason == #"member "a" appears twice"#)
        }
        let nested = try JSONValue.parse(#"{"a": {"b": {"c": 1}, "d": 2}, "e": [{"f": 3}, {"f": 4}], "g": {}}"#)
        #expect(nested == ["a": ["b": ["c": 1], "d": 2], "e": [["f": 3], ["f": 4]], "g": .object([:])])
    }

    /// Strings are checked by the standard library's core UTF-8 validation, not its generic entry
    /// point (which was a quarter of the parse): the parser must accept and refuse exactly what
    /// `String(validating:as:)` does, overlong forms, surrogates and code points past U+10FFFF
    /// included, in plain strings and in strings with escapes.
    @Test func stringsAreValidUTF8ExactlyWhenTheStandardLibrarySaysSo() {
        func parses(_ content: [UInt8]) -> Bool {
            let plain = (try? JSONValue.parse([0x22] + content + [0x22])) != nil
            let escaped = (try? JSONValue.parse([0x22, 0x5C, 0x6E] + content + [0x22])) != nil  // "\n…": the escaped path
            #expect(plain == escaped, "\(content)")
            return plain
        }
        let edges: [[UInt8]] = [
            Array("洛阳 😀 é".utf8), [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xE6, 0xB4], [0x80], [0xFF], [0xEF, 0xBF, 0xBD],
        ]
        for bytes in edges {
            #expect(parses(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
        var generator = SystemRandomNumberGenerator()
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE6, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 1...6, using: &generator)).map { _ in pool.randomElement(using: &generator)! }
            #expect(parses(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}

