@testable import Agent
import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The record folder listed on a thread of its own and handed over in batches (as many as are
/// listed when the scan asks): every file once, in the order of a listing made all at once, and
/// a scan that compares the batches as they come finds what a scan of a whole snapshot finds,
/// a file gone missing included.
@Suite struct ScanAheadTests {
    let temporary = TemporaryFolder("scan-ahead")
    var root: String { temporary.path + "/store" }

    /// Files handed over at a time here: a few batches of the store below.
    static let batchSize = 7

    /// A store with `count` record files, some of them edited since the index was made, one
    /// new, one gone.
    func storeWithIndex(records count: Int) throws -> (Store, StatIndex) {
        let (store, codes) = try Store.sample(at: root, records: count, seed: 11)
        var index = StatIndex()
        _ = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        for code in codes.prefix(3) {
            var document = try store.readRecord(code)
            FieldPath.set(&document, path: "employees", to: .int(4_321))
            try store.writeRecord(document, uscc: code)
        }
        try FileManager.default.removeItem(atPath: store.recordFile(codes[3]))
        var generator = SampleGenerator(seed: 12)
        let extra = generator.next(region: Regions.region(code: "410100"))
        try store.writeRecord(extra.json, uscc: extra.uscc.rawValue)
        return (store, index)
    }

    @Test func everyFileIsHandedOverOnceInBatches() throws {
        let (store, _) = try storeWithIndex(records: 30)
        let whole = try Scanner.snapshot(of: store.recordsPath).files.map(\.key)
        let ahead = ScanAhead(recordsPath: store.recordsPath, batchSize: Self.batchSize)
        var batches: [[StatIndex.Key]] = []
        while case let batch = try ahead.listed(from: batches.joined().count), !batch.isEmpty { batches.append(batch.map(\.key)) }
        #expect(Array(batches.joined()) == whole)
        #expect(try ahead.listed(from: whole.count).isEmpty)
    }

    /// A batch's stats taken on several threads at once: the same files with the same stats,
    /// in the same order, as on one; what is not a regular file and hidden files left out.
    @Test func statsTakenOnSeveralThreadsAreTheStatsTakenOnOne() throws {
        let folder = temporary.path + "/many"
        try FileManager.default.createDirectory(atPath: folder + "/not-a-file.json", withIntermediateDirectories: true)
        for n in 0..<1_500 { try Data("{\"n\":\(n)}".utf8).write(to: URL(fileURLWithPath: folder + "/file-\(n).json")) }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/.hidden.json"))
        var one: [(key: StatIndex.Key, stat: FileSystem.Stat)] = [], three: [(key: StatIndex.Key, stat: FileSystem.Stat)] = []
        try Scanner.list(folder, batchSize: 700, statThreads: 1) { one += $0 }
        try Scanner.list(folder, batchSize: 700, statThreads: 3) { three += $0 }
        #expect(one.count == 1_500 && Set(one.map(\.key.text)) == Set((0..<1_500).map { "file-\($0)" }))
        #expect(three.map(\.key) == one.map(\.key) && three.map(\.stat) == one.map(\.stat))
    }

    @Test func aScanOfBatchesAsTheyComeFindsWhatAScanOfASnapshotFinds() throws {
        let (store, index) = try storeWithIndex(records: 30)
        var fromSnapshot = index, fromAhead = index
        let scanner = Scanner(store: store, racyWindowNs: 0)
        let expected = try scanner.scan(&fromSnapshot, snapshot: Scanner.snapshot(of: store.recordsPath))
        let found = try scanner.scan(&fromAhead, snapshot: ScanAhead(recordsPath: store.recordsPath, batchSize: Self.batchSize))
        // Nothing has a base: every file present is a change (30 - 1 gone + 1 new); the three
        // edited and the new one are read again.
        #expect(found.changed == expected.changed && found.changed.count == 30, "\(found.changed.count)")
        #expect(found.deleted == expected.deleted)
        #expect(found.filesSeen == expected.filesSeen && found.filesSeen == 30)
        #expect(found.filesRead == expected.filesRead && found.filesRead == 4, "\(found.filesRead)")
        #expect(fromAhead == fromSnapshot)
    }

    @Test func aFolderThatCannotBeListedFailsTheScanNamingIt() throws {
        let store = try Store.initialize(root, region: "410100")
        try FileManager.default.removeItem(atPath: store.recordsPath)
        var index = StatIndex()
        #expect {
            _ = try Scanner(store: store).scan(&index, snapshot: ScanAhead(recordsPath: store.recordsPath))
        } throws: { error in
            "\(error)".contains(store.recordsPath)
        }
    }
}
