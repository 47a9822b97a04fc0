@testable import Agent
import Testing

/// The entries as the scan and the file format see them: looked at in place by key, and what a
/// save must write (set entries, removed names) known without comparing with the file.
@Suite struct StatIndexEntriesTests {
    static let code = "91410100MA44XXXX0K"

    static func entry(size: Int64) -> StatIndex.Entry {
        var entry = StatIndex.Entry()
        entry.size = size
        entry.docHash = String(repeating: "ab", count: 32)
        return entry
    }

    @Test func anEntryIsLookedAtInPlaceByTheKeyOfItsFileName() {
        var entries = StatIndex.Entries()
        entries[Self.code] = Self.entry(size: 42)
        let key = StatIndex.Key(Self.code)
        #expect(entries.withEntry(key) { $0?.pointee.size } == 42)
        #expect(entries.withEntry(StatIndex.Key("other")) { $0 == nil })
        #expect(entries[key] == Self.entry(size: 42))
        #expect(entries.count { $0.pointee.hasWorkingFile } == 1)
        #expect(entries.keyed.map(\.key) == [key])
    }

    @Test func onlyRealChangesAreNotedForTheNextSave() {
        var entries = StatIndex.Entries()
        entries.load(StatIndex.Key(Self.code), Self.entry(size: 1))
        entries.load(StatIndex.Key("gone"), Self.entry(size: 2))
        #expect(entries.changedCount == 0 && entries.removedSinceSave.isEmpty)

        entries.set(StatIndex.Key(Self.code), Self.entry(size: 1))  // the same: no line to write
        #expect(entries.changedCount == 0)
        entries.set(StatIndex.Key(Self.code), Self.entry(size: 3))
        entries["gone"] = nil
        #expect(entries.changedCount == 1)
        #expect(entries.removedSinceSave == [StatIndex.Key("gone")])
        var changed: [Int64] = []
        entries.forEachChanged { _, entry in changed.append(entry.pointee.size) }
        #expect(changed == [3])

        entries.markSaved()
        #expect(entries.changedCount == 0 && entries.removedSinceSave.isEmpty)
    }
}
