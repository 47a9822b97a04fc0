#if canImport(Glibc)
import Glibc
#endif

/// The file format of `.esync/index`: a header line, then per entry a line of eight tab-separated
/// fields (name, size, mtime, ctime, inode, document hash, base hash, base revision); a line with
/// the name only removes the entry. Later lines win, so a save may append instead of rewriting.
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
        var index = StatIndex()
        let header = Array((Self.header + "\n").utf8)
        guard bytes.starts(with: header) else { throw .corruptState(path: path, reason: "not an esync index (it will be rebuilt)") }
        // One pass over the bytes, no intermediate arrays: the index of a large store has a
        // line per record and is read by every command (`memchr` finds the line ends and tabs).
        return try bytes.withUnsafeBufferPointer { (buffer) throws(AgentError) -> StatIndex in
            guard let base = buffer.baseAddress else { return index }
            var position = header.count
            var line = 1
            var lines = 0
            index.entries.reserveCapacity(buffer.count / 180)
            // The start of each of a line's 8 fields, and the line's end as a 9th.
            var starts: (Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
            while position < buffer.count {
                // An append cut off by a crash has no line end: the entries it had are re-read by
                // the next scan.
                guard let newline = memchr(base + position, 0x0A, buffer.count - position) else { break }
                let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                line += 1
                defer { position = end + 1 }
                if end == position { continue }
                lines += 1
                let fieldCount = withUnsafeMutableBytes(of: &starts) { raw -> Int in
                    let starts = raw.bindMemory(to: Int.self)
                    var count = 1
                    var at = position
                    starts[0] = at
                    while count < 8, let tab = memchr(base + at, 0x09, end - at) {
                        at = base.distance(to: tab.assumingMemoryBound(to: UInt8.self)) + 1
                        starts[count] = at
                        count += 1
                    }
                    if count == 8, memchr(base + at, 0x09, end - at) != nil { return 9 }  // too many
                    starts[count] = end + 1
                    return count
                }
                func field(_ k: Int) -> UnsafeBufferPointer<UInt8> {
                    withUnsafeBytes(of: starts) { raw in
                        let s = raw.load(fromByteOffset: k * 8, as: Int.self), e = raw.load(fromByteOffset: (k + 1) * 8, as: Int.self) - 1
                        return UnsafeBufferPointer(start: base + s, count: e - s)
                    }
                }
                let key = Key(UnsafeRawBufferPointer(field(0)))
                if fieldCount == 1 {
                    // An appended removal.
                    index.entries.load(key, nil)
                    continue
                }
                guard fieldCount == 8, let size = Int64(ascii: field(1)), let mtime = Int64(ascii: field(2)),
                      let ctime = Int64(ascii: field(3)), let inode = Int64(ascii: field(4)), let revision = Int64(ascii: field(7))
                else { throw .corruptState(path: path, reason: "line \(line) is damaged (it will be rebuilt)") }
                var entry = Entry()
                entry.size = size
                entry.mtimeNs = mtime
                entry.ctimeNs = ctime
                entry.inode = UInt64(bitPattern: inode)
                entry.doc = PackedHash(field(5))
                entry.base = PackedHash(field(6))
                entry.baseRevision = revision
                index.entries.load(key, entry)
            }
            index.supersededLines = lines - index.entries.count
            index.fileLength = position
            return index
        }
    }

    /// The whole file: the header, then a line per entry.
    public func serialized() -> [UInt8] {
        var whole: [UInt8] = []
        whole.reserveCapacity(entries.count * 190)
        pieces { piece in whole += piece }
        return whole
    }

    /// The whole file in pieces of about a megabyte: written whole, the file of a large store
    /// would be 20 MB more memory.
    func pieces<E: Error>(_ emit: ([UInt8]) throws(E) -> Void) throws(E) {
        var out: [UInt8] = Array((Self.header + "\n").utf8)
        out.reserveCapacity(1 << 20)
        try entries.forEach(where: { _ in true }) { (key, entry) throws(E) in
            Self.appendLine(key, entry, to: &out)
            if out.count >= 1 << 20 - 512 {
                try emit(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        try emit(out)
    }

    /// The line of one entry.
    static func appendLine(_ key: Key, _ e: UnsafePointer<Entry>, to out: inout [UInt8]) {
        // Digits straight into the buffer: `String(n)` per number was a fifth of a 1 % sync.
        func number(_ n: Int64) {
            var magnitude = n.magnitude
            if n < 0 { out.append(UInt8(ascii: "-")) }
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 20 digits, last first
            let count = withUnsafeMutableBytes(of: &digits) { raw -> Int in
                var k = 0
                repeat {
                    raw[k] = UInt8(48 + magnitude % 10)
                    magnitude /= 10
                    k += 1
                } while magnitude > 0
                return k
            }
            withUnsafeBytes(of: &digits) { raw in for k in stride(from: count - 1, through: 0, by: -1) { out.append(raw[k]) } }
        }
        key.append(to: &out); out.append(0x09)
        number(e.pointee.size); out.append(0x09)
        number(e.pointee.mtimeNs); out.append(0x09)
        number(e.pointee.ctimeNs); out.append(0x09)
        number(Int64(bitPattern: e.pointee.inode)); out.append(0x09)
        e.pointee.doc.append(to: &out); out.append(0x09)
        e.pointee.base.append(to: &out); out.append(0x09)
        number(e.pointee.baseRevision); out.append(0x0A)
    }

    /// Appends the entries changed since the file was loaded or saved (a line per entry; a line
    /// with only the name removes it; later lines win), or rewrites the file when it has grown
    /// by more than half its entries, or when it is new. Rewriting 100,000 lines for a 1 %
    /// change was a fifth of the sync. Either way the lines go out a megabyte at a time: the
    /// first upload of a large store changes every entry.
    public mutating func save(to path: String) throws(AgentError) {
        if fileLength > 0, FileSystem.exists(path) {
            let changed = entries.changedCount
            let removed = entries.removedSinceSave
            if changed == 0 && removed.isEmpty { return }
            // (A line for a name new to the file supersedes nothing; counted anyway.)
            let superseded = supersededLines + changed + removed.count
            if superseded <= max(1_000, entries.count / 2) {
                var length = 0
                let saving = entries  // (not `self` in the closure: it is mutating)
                let appended = try FileSystem.append(path, at: fileLength, expectingInode: fileInode) { (write) throws(AgentError) in
                    var out: [UInt8] = []
                    out.reserveCapacity(min(changed * 190 + removed.count * 20, 1 << 20))
                    for key in removed { key.append(to: &out); out.append(0x0A) }
                    try saving.forEachChanged { (key, entry) throws(AgentError) in
                        Self.appendLine(key, entry, to: &out)
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
                    supersededLines = superseded
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
        supersededLines = 0
        entries.markSaved()
    }
}

extension Int64 {
    init?(ascii bytes: UnsafeBufferPointer<UInt8>) {
        var k = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { k = 1 }
        // Up to 18 digits cannot overflow; more are checked.
        guard bytes.count > k, bytes.count - k <= 19 else { return nil }
        var value: UInt64 = 0
        while k < bytes.count {
            let digit = bytes[k] &- 48
            guard digit <= 9 else { return nil }
            value = value &* 10 &+ UInt64(digit)
            k += 1
        }
        if negative {
            guard value <= UInt64(Int64.max) + 1 else { return nil }
            self = Int64(truncatingIfNeeded: 0 &- value)
        } else {
            guard value <= UInt64(Int64.max) else { return nil }
            self = Int64(value)
        }
    }
}
