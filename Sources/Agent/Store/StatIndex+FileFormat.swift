#if canImport(Glibc)
import Glibc
#endif

/// The file format of `.esync/index`: a header line (`header`), then a binary record per entry
/// (`RecordReader` says how one is laid out), or per removed entry. Later records win, so a
/// save may append instead of rewriting. An index written as text by an earlier version
/// (`textHeader`) is read, and written whole in this form by the next save.
extension StatIndex {
    public static func load(from path: String) throws(AgentError) -> StatIndex {
        guard let before = FileSystem.statFile(path) else { return StatIndex() }
        let bytes = try FileSystem.read(path)
        var index = try parse(bytes, path: path)
        // Replaced while it was read: the next save writes it whole.
        index.fileInode = FileSystem.statFile(path)?.inode == before.inode ? before.inode : 0
        return index
    }

    static func parse(_ bytes: [UInt8], path: String) throws(AgentError) -> StatIndex {
        if bytes.starts(with: Array((Self.textHeader + "\n").utf8)) {
            // An index as an earlier version wrote it: read, and written whole in this
            // version's form by the next save.
            var index = try parseText(bytes, path: path)
            index.fileLength = 0
            index.needsRewrite = true
            return index
        }
        let header = Array((Self.header + "\n").utf8)
        guard bytes.starts(with: header) else { throw .corruptState(path: path, reason: "not an esync index (it will be rebuilt)") }
        var index = StatIndex()
        // (`withUnsafeBytes` throws untyped errors: the damage comes out as a value.)
        let damaged = bytes.withUnsafeBytes { buffer -> (record: Int, byte: Int)? in
            var reader = RecordReader(bytes: buffer, position: header.count)
            var records = 0
            // Room for as many entries as the file can hold of the usual kind (a credit code
            // whose base is its document), so that the table and the entries' array are never
            // grown while they are filled: at 100 bytes an entry, a store of 100,000 grew both
            // once at the end of the load (copying 13 MB of entries), 4 % of an unchanged sync.
            index.entries.reserveCapacity(buffer.count / RecordReader.usualCodeEntry)
            while reader.position < buffer.count {
                let start = reader.position
                records += 1
                switch reader.next() {
                case .torn:
                    // An append cut off by a crash: the entries it had are re-read by the next
                    // scan, and the next save writes from here.
                    index.supersededRecords = records - 1 - index.entries.count
                    index.fileLength = start
                    return nil
                case .damaged:
                    return (records, start)
                case .removal(let key):
                    index.entries.load(key, nil)
                case .entry(let key, let entry):
                    index.entries.load(key, entry)
                }
            }
            index.supersededRecords = records - index.entries.count
            index.fileLength = reader.position
            return nil
        }
        if let damaged { throw .corruptState(path: path, reason: "record \(damaged.record) (byte \(damaged.byte)) is damaged (it will be rebuilt)") }
        return index
    }

    /// The whole file: the header, then a record per entry.
    public func serialized() -> [UInt8] {
        var whole: [UInt8] = []
        whole.reserveCapacity(entries.count * 100)
        pieces { piece in whole += piece }
        return whole
    }

    /// The whole file in pieces of about a megabyte: written whole, the file of a large store
    /// would be 20 MB more memory.
    func pieces<E: Error>(_ emit: ([UInt8]) throws(E) -> Void) throws(E) {
        var out: [UInt8] = Array((Self.header + "\n").utf8)
        out.reserveCapacity(1 << 20)
        try entries.forEach(where: { _ in true }) { (key, entry) throws(E) in
            Self.appendRecord(key, entry, to: &out)
            if out.count >= 1 << 20 - 512 {
                try emit(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        try emit(out)
    }

    /// The record of one entry.
    static func appendRecord(_ key: Key, _ e: UnsafePointer<Entry>, to out: inout [UInt8]) {
        out.append(key.isCode ? 0 : RecordReader.nameKey)
        key.appendRecordKey(to: &out)
        withUnsafeBytes(of: e.pointee.size.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.pointee.mtimeNs.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.pointee.ctimeNs.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.pointee.inode.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.pointee.baseRevision.littleEndian) { out.append(contentsOf: $0) }
        e.pointee.doc.appendRecordHash(to: &out, sameAs: nil)
        e.pointee.base.appendRecordHash(to: &out, sameAs: e.pointee.doc)
        out.append(RecordReader.end)
    }

    /// The record that removes `key`'s entry.
    static func appendRemoval(_ key: Key, to out: inout [UInt8]) {
        out.append(RecordReader.removal | (key.isCode ? 0 : RecordReader.nameKey))
        key.appendRecordKey(to: &out)
        out.append(RecordReader.end)
    }

    /// Appends the entries changed since the file was loaded or saved (a record per entry; a
    /// removal record for a name removed; later records win), or rewrites the file when it has
    /// grown by more than half its entries, when it is new, or when it was read in an earlier
    /// version's form (`needsRewrite`). Rewriting 100,000 entries for a 1 % change was a fifth
    /// of the sync. Either way the records go out a megabyte at a time: the first upload of a
    /// large store changes every entry.
    public mutating func save(to path: String) throws(AgentError) {
        if fileLength > 0, FileSystem.exists(path) {
            let changed = entries.changedCount
            let removed = entries.removedSinceSave
            if changed == 0 && removed.isEmpty { return }
            // (A line for a name new to the file supersedes nothing; counted anyway.)
            let superseded = supersededRecords + changed + removed.count
            if superseded <= max(1_000, entries.count / 2) {
                var length = 0
                let saving = entries  // (not `self` in the closure: it is mutating)
                let appended = try FileSystem.append(path, at: fileLength, expectingInode: fileInode) { (write) throws(AgentError) in
                    var out: [UInt8] = []
                    out.reserveCapacity(min(changed * 130 + removed.count * 24, 1 << 20))
                    for key in removed { Self.appendRemoval(key, to: &out) }
                    try saving.forEachChanged { (key, entry) throws(AgentError) in
                        Self.appendRecord(key, entry, to: &out)
                        if out.count >= 1 << 20 - 512 {
                            try write(out)
                            length += out.count
                            out.removeAll(keepingCapacity: true)
                        }
                    }
                    try write(out)
                    length += out.count
                }
                if appended {
                    fileLength += length
                    supersededRecords = superseded
                    entries.markSaved()
                    return
                }
            }
        }
        var length = 0
        try FileSystem.writeAtomically(path) { (write) throws(AgentError) in
            try pieces { (piece) throws(AgentError) in
                try write(piece)
                length += piece.count
            }
        }
        fileLength = length
        fileInode = FileSystem.statFile(path)?.inode ?? 0
        needsRewrite = false
        supersededRecords = 0
        entries.markSaved()
    }
}

extension StatIndex {
    /// One record of the index file, read from `position` on. A record is:
    ///
    /// | bytes | what |
    /// |---|---|
    /// | 1 | flags: `removal` (the entry is removed), `nameKey` (the key is a name, not a credit code) |
    /// | 18, or 2 + n | the key: a credit code's 18 bytes, or a name's length (little-endian) and UTF-8 bytes |
    /// | 5 × 8 | (an entry only) size, mtime, ctime, inode, base revision, little-endian |
    /// | 1 + … | (an entry only) the document's hash: `noHash`; `hexHash` and its 32 bytes; `textHash` and a length (2) and UTF-8 bytes (an invalid file's `!reason`, `?` unread) |
    /// | 1 + … | (an entry only) the base's hash, the same way, or `sameHash` (the document's) |
    /// | 1 | `end`, which frames the record |
    ///
    /// Numbers are read as they are stored: no text to parse on every command.
    struct RecordReader {
        static let removal: UInt8 = 0x01, nameKey: UInt8 = 0x02
        static let noHash: UInt8 = 0, hexHash: UInt8 = 1, sameHash: UInt8 = 2, textHash: UInt8 = 3
        static let end: UInt8 = 0x0A
        /// The bytes of the usual entry, a credit code whose base hash is its document's
        /// (`sameHash`): flags, the code, five numbers, the document's hex hash, `sameHash`, `end`.
        /// (An entry without hashes takes fewer, 62; a store holds few of them.)
        static let usualCodeEntry = 1 + 18 + 5 * 8 + 33 + 1 + 1
        /// The longest name (a file name is at most 255 bytes) and the longest text hash (an
        /// invalid file's reason, cut to this when written): a longer length is damage, not an
        /// append cut short, so that a damaged length cannot hide the records after it.
        static let maxName = 255, maxText = 4_096

        enum Record {
            case entry(Key, Entry)
            case removal(Key)
            /// The file ends inside the record: an append cut short.
            case torn
            /// The record does not read as one.
            case damaged
        }

        let bytes: UnsafeRawBufferPointer
        var position: Int

        /// A name or a text hash as a record holds it: its length (2 bytes, little-endian), then
        /// its UTF-8 bytes, cut to at most `limit` between characters.
        static func appendText(_ text: String, upTo limit: Int, to out: inout [UInt8]) {
            var cut = text
            if text.utf8.count > limit {
                cut = ""
                var count = 0
                for scalar in text.unicodeScalars {
                    count += scalar.utf8.count
                    if count > limit { break }
                    cut.unicodeScalars.append(scalar)
                }
            }
            withUnsafeBytes(of: UInt16(cut.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            out += cut.utf8
        }

        /// The next record; `position` moves past it (not past a torn or damaged one).
        mutating func next() -> Record {
            var at = position
            func has(_ count: Int) -> Bool { bytes.count - at >= count }
            func u16() -> Int {
                let value = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
                at += 2
                return value
            }
            func i64() -> Int64 {
                let value = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
                at += 8
                return value
            }
            func text(_ count: Int) -> String {
                let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
                at += count
                return value
            }
            /// A hash, nil when the record is torn (`torn`) or the kind unknown.
            func hash(doc: PackedHash?, torn: inout Bool) -> PackedHash? {
                guard has(1) else { torn = true; return nil }
                let kind = bytes[at]
                at += 1
                var hash = PackedHash()
                switch kind {
                case Self.noHash: return hash
                case Self.sameHash: return doc
                case Self.hexHash:
                    guard has(32) else { torn = true; return nil }
                    (hash.w0, hash.w1, hash.w2, hash.w3) = (UInt64(bitPattern: i64()), UInt64(bitPattern: i64()), UInt64(bitPattern: i64()), UInt64(bitPattern: i64()))
                    return hash.isHex ? hash : nil
                case Self.textHash:
                    guard has(2) else { torn = true; return nil }
                    let count = u16()
                    guard count > 0, count <= Self.maxText else { return nil }
                    guard has(count) else { torn = true; return nil }
                    hash.other = text(count)
                    return hash
                default: return nil
                }
            }
            guard has(1) else { return .torn }
            let flags = bytes[at]
            at += 1
            guard flags & ~(Self.removal | Self.nameKey) == 0 else { return .damaged }
            let key: Key
            if flags & Self.nameKey != 0 {
                guard has(2) else { return .torn }
                let count = u16()
                // (A key of 18 bytes is a credit code's, never written as a name.)
                guard count > 0, count != 18, count <= Self.maxName else { return .damaged }
                guard has(count) else { return .torn }
                key = Key(UnsafeRawBufferPointer(rebasing: bytes[at..<at + count]))
                at += count
            } else {
                guard has(18) else { return .torn }
                key = Key(UnsafeRawBufferPointer(rebasing: bytes[at..<at + 18]))
                at += 18
            }
            if flags & Self.removal != 0 {
                guard has(1) else { return .torn }
                guard bytes[at] == Self.end else { return .damaged }
                position = at + 1
                return .removal(key)
            }
            guard has(40) else { return .torn }
            var entry = Entry()
            entry.size = i64()
            entry.mtimeNs = i64()
            entry.ctimeNs = i64()
            entry.inode = UInt64(bitPattern: i64())
            entry.baseRevision = i64()
            var torn = false
            guard let doc = hash(doc: nil, torn: &torn) else { return torn ? .torn : .damaged }
            guard let base = hash(doc: doc, torn: &torn) else { return torn ? .torn : .damaged }
            entry.doc = doc
            entry.base = base
            guard has(1) else { return .torn }
            guard bytes[at] == Self.end else { return .damaged }
            position = at + 1
            return .entry(key, entry)
        }
    }
}

extension StatIndex.Key {
    var isCode: Bool { if case .code = self { true } else { false } }

    /// As a record of the index file holds it (see `StatIndex.RecordReader`).
    func appendRecordKey(to out: inout [UInt8]) {
        switch self {
        case .code: append(to: &out)
        case .name(let name):
            StatIndex.RecordReader.appendText(name, upTo: StatIndex.RecordReader.maxName, to: &out)  // (a file name is at most 255 bytes)
        }
    }
}

extension StatIndex.PackedHash {
    /// As a record of the index file holds it (see `StatIndex.RecordReader`); `sameAs`: the
    /// document's hash, which a base equal to it does not repeat.
    func appendRecordHash(to out: inout [UInt8], sameAs doc: StatIndex.PackedHash?) {
        typealias Reader = StatIndex.RecordReader
        if let doc, isHex, doc == self {
            out.append(Reader.sameHash)
        } else if isHex {
            out.append(Reader.hexHash)
            withUnsafeBytes(of: w0.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: w1.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: w2.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: w3.littleEndian) { out.append(contentsOf: $0) }
        } else if let other, !other.isEmpty {
            out.append(Reader.textHash)
            Reader.appendText(other, upTo: Reader.maxText, to: &out)
        } else {
            out.append(Reader.noHash)
        }
    }
}
