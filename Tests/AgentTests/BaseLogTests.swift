@testable import Agent
import EnterpriseModel
import Foundation
import Testing

/// The bases of a store in one appended file: read back as written, found again by a later
/// process through its index, through entries appended since, or without an index; a torn last
/// entry ignored and cut off; compaction; the base files of earlier versions moved in.
@Suite struct BaseLogTests {
    let root = NSTemporaryDirectory() + "esync-baselog-\(UUID().uuidString.prefix(8))"

    func store() throws -> Store { try Store.initialize(root, region: "410100") }

    func bases(_ count: Int, seed: UInt64 = 3, revision: Int64 = 1) -> [(code: String, base: Store.Base)] {
        var generator = SampleGenerator(seed: seed)
        return (0..<count).map { _ in
            let document = generator.next().json
            return (document["uscc"]!.stringValue!, Store.Base(revision: revision, document: document))
        }
    }

    func write(_ store: Store, _ bases: [(code: String, base: Store.Base)], dropped: [String] = []) throws {
        try store.writeBases(bases.map { ($0.code, Store.baseBytes($0.base)) }, dropped: dropped)
    }

    /// `bases` written `times` times over, at revisions 1 to `times`; returns the last.
    func rewritten(_ store: Store, _ bases: [(code: String, base: Store.Base)], times: Int64) throws -> [(code: String, base: Store.Base)] {
        var bases = bases
        for revision in 1...times {
            for n in bases.indices { bases[n].base.revision = revision }
            try write(store, bases)
        }
        return bases
    }

    /// `bases` written as an earlier version wrote them: one file each in `.esync/base/`.
    func asBaseFiles(_ store: Store, _ bases: [(code: String, base: Store.Base)]) throws -> [(code: String, base: Store.Base)] {
        try FileSystem.makeDirectory(store.basePath)
        for entry in bases { try FileSystem.writeAtomically(store.baseFile(entry.code), Store.baseBytes(entry.base)) }
        return bases
    }

    /// The store as a later process opens it.
    func reopened() throws -> Store { try Store.open(root) }

    @Test func basesAreReadBackAndTheLastOneWritten() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let first = bases(5)
        try write(store, first)
        var second = first[1]
        second.base.revision = 2
        try write(store, [second], dropped: [first[3].code])
        for s in [store, try reopened()] {
            #expect(try s.readBase(first[0].code) == first[0].base)
            #expect(try s.readBase(first[1].code) == second.base)
            #expect(try s.readBase(first[3].code) == nil)
            #expect(try s.readBase("91410100MA00000000") == nil)
            #expect(s.hasBase(first[4].code) && !s.hasBase(first[3].code))
            #expect(Set(try s.baseCodes()) == Set([0, 1, 2, 4].map { first[$0].code }))
        }
        #expect(!FileSystem.exists(store.basePath))
    }

    @Test func aLaterProcessFindsBasesThroughTheIndexAndTheEntriesAppendedSince() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = bases(40)
        try write(store, Array(all[..<30]))
        try store.bases.saveIndex()
        let indexed = try FileSystem.read(store.bases.indexPath)
        // Appended after the index was saved, and one of the indexed bases moved on.
        var moved = all[0]
        moved.base.revision = 9
        try write(store, Array(all[30...]) + [moved])
        let later = try reopened()
        #expect(try later.readBase(all[35].code) == all[35].base)
        #expect(try later.readBase(all[0].code) == moved.base)
        #expect(try later.readBase(all[12].code) == all[12].base)
        #expect(try later.baseCodes().count == 40)
        // Its saved index covers everything: a third process reads no entry of the log.
        try later.bases.saveIndex()
        #expect(try FileSystem.read(store.bases.indexPath) != indexed)
        let third = try reopened()
        #expect(try third.bases.sizes().log == (try later.bases.sizes().log))
        #expect(try third.readBase(all[0].code) == moved.base)
        // A drop of an indexed base, merged into the next index saved.
        try write(third, [], dropped: [all[5].code])
        try third.bases.saveIndex()
        let fourth = try reopened()
        #expect(try fourth.readBase(all[5].code) == nil && fourth.baseCodes().count == 39)
        #expect(try fourth.readBase(all[6].code) == all[6].base && fourth.readBase(all[0].code) == moved.base)
        // Without an index the log is read whole.
        try FileSystem.remove(store.bases.indexPath)
        #expect(try reopened().readBase(all[39].code) == all[39].base)
        #expect(try reopened().readBase(all[0].code) == moved.base)
        #expect(try reopened().readBase(all[5].code) == nil)
    }

    @Test func aTornLastEntryIsIgnoredAndCutOffByTheNextAppend() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = bases(3)
        try write(store, Array(all[..<2]))
        let whole = try FileSystem.read(store.bases.path)
        try write(store, [all[2]])
        // A crash in the middle of the last append: half of its entry on disk.
        let torn = try FileSystem.read(store.bases.path)
        try Data(torn[..<(whole.count + (torn.count - whole.count) / 2)]).write(to: URL(fileURLWithPath: store.bases.path))
        var later = try reopened()
        #expect(try later.readBase(all[1].code) == all[1].base)
        #expect(try later.readBase(all[2].code) == nil)
        try write(later, [all[2]])
        #expect(try FileSystem.read(store.bases.path).count == torn.count)
        later = try reopened()
        #expect(try later.readBase(all[2].code) == all[2].base)
        // Garbage after the last entry (a length that runs past the end, a bad checksum): the same.
        try Data(torn + [0x10, 0, 0, 0, 1, 2, 3, 4, 0x42]).write(to: URL(fileURLWithPath: store.bases.path))
        #expect(try reopened().readBase(all[2].code) == all[2].base)
    }

    @Test func compactionKeepsOnlyTheLiveBasesAndAReaderOfTheOldLogStillFindsThem() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = try rewritten(store, bases(20), times: 10)
        try store.bases.saveIndex()
        let reader = try reopened()
        #expect(try reader.bases.contains(all[7].code))  // the old log's index loaded, the log not opened yet
        let before = try store.bases.sizes()
        #expect(try !store.bases.compactIfWorthIt(minimum: before.log))
        #expect(try store.bases.compactIfWorthIt(minimum: 1_000))
        let after = try store.bases.sizes()
        #expect(after.live == before.live && after.log < before.log / 5)
        for s in [store, reader, try reopened()] {
            for entry in all { #expect(try s.readBase(entry.code) == entry.base) }
        }
    }

    @Test func aProcessWhoseViewIsStaleNeitherCompactsNorIndexesOverNewerBases() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = try rewritten(store, bases(20), times: 5)
        let reader = try reopened()
        #expect(try reader.bases.contains(all[0].code))  // loaded, as `status` loads it without the lock
        var newer = all[3]
        newer.base.revision = 6
        try write(store, [newer])  // the holder of the lock moves on
        #expect(try !reader.bases.compactIfWorthIt(minimum: 1_000))
        try reader.bases.saveIndex()
        #expect(try reopened().readBase(newer.code) == newer.base)
        #expect(try store.bases.compactIfWorthIt(minimum: 1_000))
        #expect(try reopened().readBase(newer.code) == newer.base)
    }

    @Test func baseFilesOfAnEarlierVersionAreReadThenMovedIntoTheLog() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = try asBaseFiles(store, bases(3))
        let old = try reopened()
        #expect(try old.readBase(all[1].code) == all[1].base && old.hasBase(all[2].code))
        #expect(Set(try old.baseCodes()) == Set(all.map(\.code)))
        #expect(try old.moveBaseFilesIntoLog() == 3)
        #expect(!FileSystem.exists(store.basePath))
        let later = try reopened()
        for entry in all { #expect(try later.readBase(entry.code) == entry.base) }
    }

    @Test func aDamagedLogIsNamedKeptAsItIsAndMovedAsideOnlyByAFullPull() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = bases(2)
        try write(store, all)
        try Data("not a log at all, and long enough".utf8).write(to: URL(fileURLWithPath: store.bases.path))
        let later = try reopened()
        let error = #expect(throws: AgentError.self) { try later.readBase(all[0].code) }
        #expect(error?.description.contains(store.bases.path) == true && error?.description.contains("pull --full") == true)
        // An ordinary write does not cut it down to nothing.
        #expect(throws: AgentError.self) { try write(later, [all[1]]) }
        #expect(try FileSystem.read(store.bases.path) == Array("not a log at all, and long enough".utf8))
        later.bases.restartIfDamaged = true  // what `pull --full` sets
        try write(later, [all[1]])
        #expect(try later.readBase(all[1].code) == all[1].base)
        #expect(try reopened().readBase(all[1].code) == all[1].base && reopened().readBase(all[0].code) == nil)
        let aside = try FileManager.default.contentsOfDirectory(atPath: store.statePath).filter { $0.hasPrefix("bases.damaged-") }
        #expect(aside.count == 1)
    }

    @Test func anEntryDamagedBeforeTheEndMarksTheLogDamagedInsteadOfCuttingItThere() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = bases(3)
        for entry in all { try write(store, [entry]) }
        var bytes = try FileSystem.read(store.bases.path)
        bytes[BaseLog.headerSize + 40] ^= 0xFF  // inside the first entry's payload
        try Data(bytes).write(to: URL(fileURLWithPath: store.bases.path))
        try? FileSystem.remove(store.bases.indexPath)
        let later = try reopened()
        let error = #expect(throws: AgentError.self) { try later.readBase(all[2].code) }
        #expect(error?.description.contains("is damaged") == true)
        #expect(throws: AgentError.self) { try write(later, [all[0]]) }
        #expect(try FileSystem.read(store.bases.path) == bytes)
        // A 0-byte log (a crash right after it was created) is an empty one.
        try Data().write(to: URL(fileURLWithPath: store.bases.path))
        #expect(try reopened().readBase(all[0].code) == nil)
        try write(try reopened(), [all[0]])
        #expect(try reopened().readBase(all[0].code) == all[0].base)
    }

    @Test func aStrayFileInTheOldBaseFolderIsLeftAndTheRestMoved() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try store()
        let all = try asBaseFiles(store, bases(2))
        try FileSystem.writeAtomically(store.basePath + "/notes.txt", Array("kept".utf8))
        try FileSystem.makeDirectory(store.basePath + "/x.json")
        #expect(try reopened().moveBaseFilesIntoLog() == 2)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: store.basePath)) == ["notes.txt", "x.json"])
        for entry in all { #expect(try reopened().readBase(entry.code) == entry.base) }
    }
}
