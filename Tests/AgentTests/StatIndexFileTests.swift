@testable import Agent
import EndToEndSupport
import Foundation
import Testing

/// `.esync/index` on disk: a save appends only what changed, removals included; a load gives
/// back what was saved; a torn append (a crash mid-write) loses only the torn record, and the
/// next save cuts it off; a file grown by more than half its entries is rewritten whole; an
/// index an earlier version wrote as text is read, and rewritten in records by the next save.
@Suite struct StatIndexFileTests {
    let temporary = TemporaryFolder("index")
    var path: String { temporary.path + "/index" }

    static func entry(_ n: Int, invalid: Bool = false) -> StatIndex.Entry {
        var e = StatIndex.Entry()
        e.size = Int64(1000 + n)
        e.mtimeNs = 1_700_000_000_000_000_000 + Int64(n)
        e.ctimeNs = -5  // negative numbers survive too
        e.inode = UInt64.max - UInt64(n)  // above Int64.max
        e.docHash = invalid ? "!field name: must not be empty" : String(repeating: "0123456789abcdef", count: 4)
        e.baseHash = n % 2 == 0 ? "" : String(repeating: "fedcba9876543210", count: 4)
        e.baseRevision = Int64(n)
        return e
    }

    /// 18-character codes (packed) and other names (kept as text).
    static func name(_ n: Int) -> String { n % 3 == 0 ? "odd-name-\(n)" : String(format: "91410100%010d", n) }

    func fileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }

    @Test func aSaveAppendsOnlyWhatChangedAndALoadGivesItBack() throws {
        var index = StatIndex()
        for n in 0..<3000 { index.entries[Self.name(n)] = Self.entry(n) }
        try index.save(to: path)
        let whole = try fileSize()
        #expect(try StatIndex.load(from: path) == index)

        var loaded = try StatIndex.load(from: path)
        loaded.entries[Self.name(7)]?.baseRevision = 99
        loaded.entries[Self.name(9)] = nil
        loaded.entries["new-file"] = Self.entry(5000, invalid: true)
        loaded.entries[Self.name(11)] = Self.entry(11)  // set to what it was: no line
        try loaded.save(to: path)
        let grown = try fileSize() - whole
        #expect(grown > 0 && grown < 3 * 200, "appended \(grown) bytes for three changes")

        let again = try StatIndex.load(from: path)
        #expect(again == loaded)
        #expect(again.entries[Self.name(7)]?.baseRevision == 99)
        #expect(again.entries[Self.name(9)] == nil)
        #expect(again.entries["new-file"]?.invalidReason == "field name: must not be empty")
        #expect(again.entries[Self.name(8)]?.inode == UInt64.max - 8)
        #expect(again.entries.count == 3000)

        // Removed and set again, set and removed again, between two saves.
        var third = again
        third.entries[Self.name(20)] = nil
        third.entries[Self.name(20)] = Self.entry(20_000)
        third.entries["short-lived"] = Self.entry(1)
        third.entries["short-lived"] = nil
        try third.save(to: path)
        let last = try StatIndex.load(from: path)
        #expect(last == third)
        #expect(last.entries[Self.name(20)]?.baseRevision == 20_000 && last.entries["short-lived"] == nil)
    }

    /// A command that read the index without the store's lock saves it after another process
    /// replaced the file: it writes the file whole instead of appending into another file.
    @Test func aSaveAfterTheFileWasReplacedWritesItWhole() throws {
        var index = StatIndex()
        for n in 0..<50 { index.entries[Self.name(n)] = Self.entry(n) }
        try index.save(to: path)
        var reader = try StatIndex.load(from: path)
        var other = StatIndex()  // the other process compacts to a different, longer file
        for n in 0..<80 { other.entries[Self.name(n)] = Self.entry(n + 1) }
        try other.save(to: path)
        reader.entries[Self.name(3)]?.baseRevision = 333
        try reader.save(to: path)
        #expect(try StatIndex.load(from: path) == reader)
    }

    @Test func aTornAppendLosesOnlyItsRecordAndIsCutOffByTheNextSave() throws {
        var index = StatIndex()
        for n in 0..<10 { index.entries[Self.name(n)] = Self.entry(n) }
        try index.save(to: path)
        let whole = try fileSize()
        // A crash in the middle of an append: the first 30 bytes of a record.
        var record: [UInt8] = []
        var changed = Self.entry(3)
        changed.baseRevision = 777
        withUnsafePointer(to: changed) { StatIndex.appendRecord(StatIndex.Key(Self.name(3)), $0, to: &record) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(record.prefix(30)))
        try handle.close()

        var loaded = try StatIndex.load(from: path)
        #expect(loaded == index)
        loaded.entries[Self.name(1)]?.baseRevision = 42
        try loaded.save(to: path)
        // The append started where the torn record did: one whole record more, none torn.
        let appended = try fileSize() - whole
        #expect(appended < record.count + 20, "\(appended) bytes appended")
        let again = try StatIndex.load(from: path)
        #expect(again.entries[Self.name(1)]?.baseRevision == 42 && again.entries[Self.name(3)]?.baseRevision == 3)
        #expect(again == loaded)
    }

    @Test func aFileGrownByHalfItsEntriesIsRewrittenWhole() throws {
        var index = StatIndex()
        for n in 0..<4000 { index.entries[Self.name(n)] = Self.entry(n) }
        try index.save(to: path)
        var sizes = [try fileSize()]
        for round in 1...3 {
            for n in 0..<1000 { index.entries[Self.name(n)]?.baseRevision = Int64(round * 10_000 + n) }
            try index.save(to: path)
            sizes.append(try fileSize())
        }
        // Two rounds appended (2,000 lines is half of 4,000 entries), the third rewrote the file.
        #expect(sizes[1] > sizes[0] && sizes[2] > sizes[1])
        #expect(sizes[3] == index.serialized().count && sizes[3] < sizes[2])
        #expect(try StatIndex.load(from: path) == index)
    }

    /// Hashes are packed eight digits at a time: every hash comes back as it was, and one
    /// character that is not a lower-case hex digit anywhere keeps the whole as text.
    @Test func hashesArePackedOnlyWhenEveryCharacterIsALowerCaseHexDigit() {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        for _ in 0..<200 {
            let hash = String((0..<64).map { _ in digits[Int(generator.next() % 16)] })
            let packed = StatIndex.PackedHash(hash)
            #expect(packed.isHex && packed.text == hash)
        }
        let hash = String(repeating: "09af", count: 16)
        for bad in ["g", "A", "F", "/", ":", "`", "{", "@", " ", "\u{7F}"] {
            for position in [0, 7, 8, 31, 63] {
                var chars = Array(hash)
                chars[position] = Character(bad)
                let text = String(chars)
                let packed = StatIndex.PackedHash(text)
                #expect(!packed.isHex && packed.text == text, "\(bad) at \(position)")
            }
        }
        #expect(!StatIndex.PackedHash(String(repeating: "a", count: 63)).isHex)
        // Bytes of multi-byte characters (0x80 and above) anywhere in 64 bytes; the zero hash.
        for position in [0, 9, 62] {
            var bytes = Array(hash.utf8)
            bytes.replaceSubrange(position..<position + 2, with: Array("é".utf8))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.utf8.count == 64 && !StatIndex.PackedHash(text).isHex && StatIndex.PackedHash(text).text == text)
        }
        let zero = String(repeating: "0", count: 64)
        #expect(StatIndex.PackedHash(zero).text == zero)
    }

    @Test func numbersInTheFileAreReadExactlyOrRefused() {
        func parse(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { Int64(ascii: $0) } }
        #expect(parse("0") == 0 && parse("-5") == -5 && parse("1700000000123456789") == 1_700_000_000_123_456_789)
        #expect(parse("9223372036854775807") == .max && parse("-9223372036854775808") == .min)
        for bad in ["", "-", "9223372036854775808", "-9223372036854775809", "12a", "+1", "1 ", "99999999999999999999"] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }

    /// A damaged record (its frame, its flags, a hash of no known kind) is named in the error
    /// (and the index rebuilt).
    @Test func aDamagedRecordIsNamed() throws {
        var index = StatIndex()
        // Credit codes, and every base a hash of its own: records of one length.
        for (name, n) in [(1, 1), (2, 3), (4, 5)] { index.entries[Self.name(name)] = Self.entry(n) }
        let good = index.serialized()
        let header = StatIndex.header.utf8.count + 1
        let length = (good.count - header) / 3
        // The second record: its end byte, its flags, its document hash's kind.
        for offset in [2 * length - 1, length, length + 1 + 18 + 40] {
            var bytes = good
            bytes[header + offset] = 0x7F
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try StatIndex.load(from: path)
            } throws: { error in
                guard case AgentError.corruptState(let where_, let reason) = error else { return false }
                return where_ == path && reason.contains("record 2 (byte \(header + length))")
            }
        }
    }

    /// A length that cannot be (a name of 0, 18 or more than 255 bytes; a text hash of 0 or more
    /// than `maxText` bytes) is damage, even when it points past the end of the file: read as a
    /// torn append, it would silently drop every record after it.
    @Test func anImpossibleLengthIsDamageNotATornAppend() throws {
        var index = StatIndex()
        index.entries["odd-name-1"] = Self.entry(1, invalid: true)  // a name key and a text hash
        for n in 1..<40 { index.entries[Self.name(3 * n + 1)] = Self.entry(n) }
        var record: [UInt8] = []
        withUnsafePointer(to: index.entries["odd-name-1"]!) { StatIndex.appendRecord(StatIndex.Key("odd-name-1"), $0, to: &record) }
        let good = index.serialized()
        let start = try #require(good.firstRange(of: record)).lowerBound
        let textLength = 1 + 2 + "odd-name-1".utf8.count + 40 + 1  // flags, name, numbers, the hash's kind
        for (offset, length) in [(1, 0), (1, 18), (1, 256), (1, 60_000), (textLength, 0), (textLength, 5_000), (textLength, 60_000)] {
            var bytes = good
            bytes.replaceSubrange(start + offset..<start + offset + 2, with: [UInt8(length & 0xFF), UInt8(length >> 8)])
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: AgentError.self, "length \(length) at \(offset)") { _ = try StatIndex.load(from: path) }
        }
        // The same record cut short anywhere is a torn append: the records before it stay.
        try Data(good.prefix(start)).write(to: URL(fileURLWithPath: path))
        let before = try StatIndex.load(from: path)
        for cut in [1, 2, 5, 20, textLength + 1, textLength + 3, record.count - 1] {
            try Data(good.prefix(start + cut)).write(to: URL(fileURLWithPath: path))
            let loaded = try StatIndex.load(from: path)
            #expect(loaded == before && loaded.entries["odd-name-1"] == nil, "cut at \(cut)")
        }
    }

    /// An index written as text by an earlier version (header `esync-index 2`) gives the same
    /// entries, and the next save writes it whole as records.
    @Test func anIndexAnEarlierVersionWroteAsTextIsReadAndRewritten() throws {
        var index = StatIndex()
        for n in 0..<40 { index.entries[Self.name(n)] = Self.entry(n, invalid: n == 5) }
        index.entries[Self.name(6)]?.docHash = Scanner.unreadHash
        var text = StatIndex.textHeader + "\n"
        for n in 0..<40 {
            let e = index.entries[Self.name(n)]!
            text += [Self.name(n), "\(e.size)", "\(e.mtimeNs)", "\(e.ctimeNs)", "\(Int64(bitPattern: e.inode))", e.docHash, e.baseHash, "\(e.baseRevision)"]
                .joined(separator: "\t") + "\n"
        }
        text += Self.name(7) + "\n"  // a removal
        index.entries[Self.name(7)] = nil
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var loaded = try StatIndex.load(from: path)
        #expect(loaded == index && loaded.needsRewrite)  // (the engine saves it even with nothing changed)
        try loaded.save(to: path)
        #expect(!loaded.needsRewrite)
        let bytes = try FileSystem.read(path)
        #expect(bytes.starts(with: Array((StatIndex.header + "\n").utf8)) && bytes.count == index.serialized().count)
        #expect(try StatIndex.load(from: path) == index)
    }

    /// An append larger than a piece (a megabyte) is written in pieces at the right offsets.
    @Test func anAppendOfManyEntriesIsWrittenInPiecesAndReadBack() throws {
        var index = StatIndex()
        for n in 0..<30_000 { index.entries[Self.name(n)] = Self.entry(n) }
        try index.save(to: path)
        let whole = try fileSize()
        for n in stride(from: 0, to: 28_000, by: 2) { index.entries[Self.name(n)]?.baseRevision = Int64(500_000 + n) }
        index.entries[Self.name(7)] = nil
        try index.save(to: path)
        // 14,000 records of about 95 bytes and a removal: appended (under half the entries), in
        // two pieces.
        #expect(try fileSize() - whole > 1 << 20)
        #expect(try fileSize() < whole * 2)
        let loaded = try StatIndex.load(from: path)
        #expect(loaded == index && loaded.entries.count == 29_999)
        #expect(loaded.entries[Self.name(27_998)]?.baseRevision == 527_998 && loaded.entries[Self.name(7)] == nil)
    }
}

extension StatIndexFileTests {
    /// A load makes room for every entry before it reads one (`usualCodeEntry`, what the
    /// usual entry takes), so that the table is never grown while it is filled.
    @Test func theUsualEntryTakesTheBytesALoadMakesRoomBy() throws {
        var index = StatIndex()
        for n in 0..<100 {
            var entry = Self.entry(n)
            entry.baseHash = entry.docHash  // written as `sameHash`
            index.entries[String(format: "91410100%010d", n)] = entry
        }
        let header = Array((StatIndex.header + "\n").utf8).count
        #expect(index.serialized().count == header + 100 * StatIndex.RecordReader.usualCodeEntry)
    }
}
