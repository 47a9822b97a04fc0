@testable import Agent
import Testing

/// The scan's list of changed records, kept as packed keys and read as names.
@Suite struct StatIndexNameListTests {
    @Test func namesComeBackAsTheyWentInAndSortAsTheirStrings() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        var names = (0..<2_000).map { _ in String((0..<18).map { _ in alphabet.randomElement(using: &rng)! }) }
        // Codes sharing their first 8 or 16 bytes (each packed integer decides once), and names
        // that are no credit code, kept as text.
        names += ["91410100MA00000001", "91410100MA00000002", "91410100MA0000000A", "91410100MB00000001", "91410101MA00000001",
                  "short", "a-name-longer-than-eighteen", "洛阳", ""]
        var list = StatIndex.NameList()
        for name in names { list.append(StatIndex.Key(name)) }
        #expect(Array(list) == names)
        list.sort()
        #expect(Array(list) == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        // For credit codes (ASCII) that is the order of their strings, as the list had before.
        #expect(Array(list).filter { $0.utf8.count == 18 && $0.allSatisfy(\.isASCII) } == names.filter { $0.utf8.count == 18 && $0.allSatisfy(\.isASCII) }.sorted())
    }
}
