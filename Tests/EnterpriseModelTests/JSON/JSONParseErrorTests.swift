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
}
