@testable import EnterpriseModel
import Testing

/// The kinds a reviewer's typed value is read by (`RecordFieldKind`) are the reader's: every
/// known member has one, and a full valid record's values are of that kind.
struct RecordFieldKindTests {
    @Test func everyKnownMemberHasAKind() {
        #expect(Set(RecordFieldKind.top.keys) == EnterpriseRecord.knownFields)
        #expect(Set(RecordFieldKind.nested["aboveDesignatedSize"]!.keys) == AboveDesignatedSize.knownKeys)
        #expect(Set(RecordFieldKind.nested["srdi"]!.keys) == Designation.knownKeys)
        #expect(Set(RecordFieldKind.nested["contact"]!.keys) == Contact.knownKeys)
    }

    @Test func aValidRecordsValuesAreOfTheirFieldsKind() throws {
        var members = Fixtures.luoyang
        members["revenueYuan"] = 25_000_000
        members["aboveDesignatedSize"] = ["since": "2023-01"]
        members["srdi"] = ["year": 2023, "batch": 2, "validUntil": "2026-12-31"]
        members["littleGiant"] = ["year": 2024]
        let document = JSONValue.object(members)
        #expect(RecordValidator.issues(in: document).filter { $0.severity == .error }.isEmpty)
        for (name, value) in members {
            #expect(RecordFieldKind.of(name) == RecordFieldKind.of(value: value), "\(name)")
            guard case .object(let inner) = value else { continue }
            for (member, leaf) in inner {
                #expect(RecordFieldKind.of("\(name).\(member)") == RecordFieldKind.of(value: leaf), "\(name).\(member)")
            }
        }
        #expect(RecordFieldKind.of("contact.fax") == nil && RecordFieldKind.of("wechat") == nil)
    }

    /// An error names the character it stopped at, never one byte of it (`'æ'` for `'洛'`).
    @Test func aParseErrorShowsTheWholeCharacter() {
        for (text, shown) in [("洛阳", "'洛'"), ("\"a\\洛\"", "'洛'"), ("😀", "'😀'"), ("é", "'é'")] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
            do { _ = try JSONValue.parse(text) } catch { #expect(error.reason.contains(shown), "\(text): \(error.reason)") }
        }
        // A byte that starts no character is named as a byte.
        do { _ = try JSONValue.parse([0xE6, 0x20]) } catch { #expect(error.reason.contains("0xE6"), "\(error.reason)") }
    }
}
