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
}
