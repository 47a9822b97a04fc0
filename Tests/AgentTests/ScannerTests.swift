@testable import Agent
import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The stat index: an unchanged store is checked without reading a record, and no edit is
/// missed, not even one that keeps the size and the mtime.
@Suite struct ScannerTests {
    let temporary = TemporaryFolder("scan")
    var root: String { temporary.path + "/store" }

    func makeStore(records: Int) throws -> (Store, [String]) {
        try Store.sample(at: root, records: records, seed: 3)
    }

    /// Sets a file's mtime back to an older value, as `touch -d` or `cp -p` would.
    func setMTime(_ path: String, secondsAgo: Int) {
        let date = Date(timeIntervalSinceNow: -Double(secondsAgo))
        try? FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }

    @Test func anUnchangedStoreIsScannedWithoutReadingARecord() throws {
        let (store, codes) = try makeStore(records: 50)
        for code in codes { setMTime(store.recordFile(code), secondsAgo: 60) }
        var index = StatIndex()
        let first = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        #expect(first.filesRead == 50)
        #expect(first.changed.count == 50)
        let readsBefore = store.recordFilesRead
        let second = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        #expect(second.filesSeen == 50)
        #expect(second.filesRead == 0)
        #expect(store.recordFilesRead == readsBefore)
    }

    @Test func anEditKeepingSizeAndMTimeIsStillSeen() throws {
        let (store, codes) = try makeStore(records: 3)
        let path = store.recordFile(codes[0])
        for code in codes { setMTime(store.recordFile(code), secondsAgo: 60) }
        var index = StatIndex()
        _ = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        // Same length, different content, mtime put back: only the ctime tells.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"status\": \"active\"", with: "\"status\": \"closed\"")
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: before], ofItemAtPath: path)
        let report = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        #expect(report.filesRead == 1)
        #expect(index.entries[codes[0]]?.docHash == ContentHash.of(try store.readRecord(codes[0])))
    }

    @Test func aFileReadWithinTheRacyWindowIsReadAgain() throws {
        let (store, codes) = try makeStore(records: 2)
        var index = StatIndex()
        // (Windows of a minute: "just written" must not depend on how busy the machine is.)
        let scanner = Scanner(store: store, racyWindowNs: 60_000_000_000, fineRacyWindowNs: 60_000_000_000)
        _ = try scanner.scan(&index)
        // Just written: not trusted yet, so the next scan reads it again.
        #expect(index.entries[codes[0]]?.size == -1)
        let report = try scanner.scan(&index)
        #expect(report.filesRead == 2)
    }

    /// A file system whose timestamps are whole seconds (FAT, ext3) can take a second edit with
    /// the same stat for up to two seconds; one with fractions of a second, for a clock tick.
    /// The ctime shows which (the kernel sets it, a program cannot).
    @Test func theRacyWindowFollowsTheFileSystemsTimestamps() throws {
        var scanner = Scanner(store: try makeStore(records: 0).0)
        scanner.localFineTimestamps = true  // as on ext4 or tmpfs, whatever this machine's folder is
        let now: Int64 = 1_765_000_000_123_456_789
        func stat(changedAgo ns: Int64, wholeSeconds: Bool) -> FileSystem.Stat {
            var time = now - ns
            if wholeSeconds { time -= time % 1_000_000_000 }
            return FileSystem.Stat(size: 10, mtimeNs: time, ctimeNs: time, inode: 1, isRegular: true)
        }
        #expect(scanner.isRacy(stat(changedAgo: 500_000_000, wholeSeconds: true), now: now))
        #expect(!scanner.isRacy(stat(changedAgo: 2_500_000_000, wholeSeconds: true), now: now))
        #expect(!scanner.isRacy(stat(changedAgo: 500_000_000, wholeSeconds: false), now: now))
        #expect(scanner.isRacy(stat(changedAgo: 50_000_000, wholeSeconds: false), now: now))
        // An mtime set back with a fraction (`touch -d`) does not make whole-second ctimes fine.
        var setBack = stat(changedAgo: 500_000_000, wholeSeconds: true)
        setBack.mtimeNs = now - 3_700_000_001
        #expect(scanner.isRacy(setBack, now: now))
        // On a network file system (the server's clock) fractions of a second do not shorten it.
        scanner.localFineTimestamps = false
        #expect(scanner.isRacy(stat(changedAgo: 500_000_000, wholeSeconds: false), now: now))
        #expect(!scanner.isRacy(stat(changedAgo: 2_500_000_000, wholeSeconds: false), now: now))
    }

    /// A bureau's save right after the agent put its version in place, looked at later than the
    /// short window: the entry is judged by the time before the agent's write, so it stays to
    /// be read again instead of naming the agent's content for the bureau's file.
    @Test func aSaveJustAfterTheAgentsWriteIsNotTakenForTheAgentsContent() throws {
        let (store, codes) = try makeStore(records: 1)
        let code = codes[0]
        let agents = try store.readRecord(code)
        let before = FileSystem.nowNs()
        try store.writeRecord(agents, uscc: code)
        var edited = agents
        FieldPath.set(&edited, path: "employees", to: agents["employees"] == .int(1) ? .int(2) : .int(1))
        try store.writeRecord(edited, uscc: code)
        Thread.sleep(forTimeInterval: Double(StatIndex.fineRacyWindowNs) / 1e9 + 0.1)
        var index = StatIndex()
        let scanner = Scanner(store: store)
        scanner.noteWritten(code, document: agents, before: before, in: &index)
        #expect(index.entries[code]?.size == -1)
        #expect(try scanner.scan(&index).filesRead == 1)
        #expect(index.entries[code]?.docHash == ContentHash.of(edited))
    }

    /// On this machine's file systems (fractions of a second), a file edited a moment before a
    /// scan is trusted once the short window has passed: the next scan does not read it again.
    @Test func aFileOlderThanTheShortWindowIsNotReadAgain() throws {
        let (store, codes) = try makeStore(records: 2)
        guard let written = FileSystem.statFile(store.recordFile(codes[0])), written.ctimeNs % 1_000_000_000 != 0,
              FileSystem.keepsLocalFineTimestamps(store.recordsPath) else { return }
        Thread.sleep(forTimeInterval: Double(StatIndex.fineRacyWindowNs) / 1e9 + 0.05)
        var index = StatIndex()
        _ = try Scanner(store: store).scan(&index)
        #expect(index.entries[codes[0]]?.size == written.size)
        #expect(try Scanner(store: store).scan(&index).filesRead == 0)
    }

    @Test func aDeletedFileIsTheOnlyOneReportedDeleted() throws {
        let (store, codes) = try makeStore(records: 5)
        for code in codes { setMTime(store.recordFile(code), secondsAgo: 60) }
        var index = StatIndex()
        _ = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        for code in codes {  // as if acknowledged
            let read = index.entries[code]!.docHash
            index.entries[code]?.baseHash = read
        }
        try FileManager.default.removeItem(atPath: store.recordFile(codes[2]))
        let report = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        #expect(report.deleted == [codes[2]])
        #expect(report.changed.isEmpty && report.filesRead == 0)
        #expect(index.entries[codes[2]]?.hasWorkingFile == false && index.entries[codes[2]]?.hasBase == true)
        #expect(try Scanner(store: store, racyWindowNs: 0).scan(&index).deleted == [codes[2]])
    }

    @Test func theIndexSurvivesASaveAndLoad() throws {
        let (store, _) = try makeStore(records: 5)
        var index = StatIndex()
        _ = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        try index.save(to: store.indexPath)
        #expect(try StatIndex.load(from: store.indexPath) == index)
    }

    @Test func aCorruptOrInvalidFileIsNamedWithItsReason() throws {
        let (store, _) = try makeStore(records: 2)
        try Array("{ not json".utf8).write(to: store.recordsPath + "/91410100556930377C.json")
        var index = StatIndex()
        let report = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        #expect(report.invalid.count == 1)
        #expect(report.invalid.first?.file == "records/91410100556930377C.json")
        #expect(report.invalid.first?.reason.contains("not valid JSON") == true)
        #expect(report.changed.count == 2)
    }

    /// Issue 20: a record a Windows editor saved as GBK is named with what to do about it,
    /// not with the byte where UTF-8 reading failed.
    @Test func aFileSavedAsGBKIsNamedWithAHint() throws {
        let (store, codes) = try makeStore(records: 1)
        let path = store.recordFile(codes[0])
        // The whole file saved as GB18030: "郑州" is D6 A3 D6 DD.
        let gbk = Array("{\"uscc\": \"\(codes[0])\", \"name\": \"".utf8) + [0xD6, 0xA3, 0xD6, 0xDD] + Array("\"}\n".utf8)
        try gbk.write(to: path)
        var index = StatIndex()
        let report = try Scanner(store: store, racyWindowNs: 0).scan(&index)
        #expect(report.invalid.first?.reason == "not UTF-8; it looks like GBK/GB18030 (saved by a Windows editor?): save it as UTF-8")
    }

    /// The snapshot a command takes while the index loads serves its first scan only, and never
    /// one after the engine wrote a record file: a file the engine created would be missing from
    /// it and look deleted.
    @Test func aSnapshotTakenAheadServesOneScanAndIsDroppedOnceTheEngineWritesARecord() throws {
        let (store, _) = try makeStore(records: 5)
        let config = AgentConfig(configPath: root + "/agent.yaml", region: "410100", storePath: root)
        let engine = try SyncEngine(config: config, store: store, scanAhead: true)
        let taken = try #require(try engine.takeScanAhead())
        #expect(try taken.listed(from: 0).count == 5)
        #expect(try engine.takeScanAhead() == nil, "once only")

        let second = try SyncEngine(config: config, store: store, scanAhead: true)
        var generator = SampleGenerator(seed: 99)
        let record = generator.next(region: Regions.region(code: "410100"))
        try store.writeRecord(record.json, uscc: record.uscc.rawValue)
        var updates = StoreWriter.IndexUpdates()
        updates.written[record.uscc.rawValue] = record.json
        _ = try second.commit(AtomicBatch(anchor: store.statePath), updates)
        #expect(try second.takeScanAhead() == nil)
        let diff = try second.diff()
        #expect(diff.scan.filesSeen == 6 && diff.scan.deleted.isEmpty)
    }
}

extension Array where Element == UInt8 {
    func write(to path: String) throws { try Data(self).write(to: URL(fileURLWithPath: path)) }
}

extension Store {
    /// A new store of region 410100 at `root` with `records` sample record files; their codes.
    static func sample(at root: String, records: Int, seed: UInt64) throws -> (Store, [String]) {
        let store = try Store.initialize(root, region: "410100")
        var generator = SampleGenerator(seed: seed)
        var codes: [String] = []
        for record in generator.records(count: records, regions: [Regions.region(code: "410100")!]) {
            try store.writeRecord(record.json, uscc: record.uscc.rawValue)
            codes.append(record.uscc.rawValue)
        }
        return (store, codes)
    }
}
