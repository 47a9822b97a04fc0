@testable import Agent
import Testing

/// Record file names as the index's table keys them.
@Suite struct StatIndexKeyTests {
    static func code(_ n: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        var n = n, text = ""
        for _ in 0..<18 { text.append(alphabet[n % alphabet.count]); n /= alphabet.count }
        return String(text.reversed())
    }

    /// A table of many codes (and a few other names) finds each, and only those: the codes'
    /// own hash (`_rawHashValue`) keeps equal keys together, whichever way they were made.
    @Test func aTableOfManyCodesFindsEachAndNoOther() {
        let names = (0..<20_000).map { Self.code($0 * 7_919) } + ["short", "a-name-longer-than-eighteen", "洛阳", ""]
        var table: [StatIndex.Key: Int] = [:]
        for (n, name) in names.enumerated() { table[StatIndex.Key(name)] = n }
        #expect(table.count == names.count)
        for (n, name) in names.enumerated() {
            var bytes = Array(name.utf8)
            let fromBytes = bytes.withUnsafeMutableBytes { StatIndex.Key(UnsafeRawBufferPointer($0)) }
            #expect(table[fromBytes] == n, "\(name)")
        }
        #expect(table[StatIndex.Key(Self.code(1))] == nil && table[StatIndex.Key("other")] == nil)
        let key = StatIndex.Key(Self.code(42))
        #expect(key._rawHashValue(seed: 7) == StatIndex.Key(Self.code(42))._rawHashValue(seed: 7))
        // Codes one byte apart, in each of the three packed integers, land apart; so do codes
        // with two characters swapped across the second and third.
        let near = ["91410100MA00000001", "91410100MA00000011", "91410100MA00000101", "81410100MA00000001",
                    "91410100MA000A12B3", "91410100MA000B12A3"].map(StatIndex.Key.init)
        #expect(Set(near.map { $0._rawHashValue(seed: 0) }).count == near.count)
    }
}
