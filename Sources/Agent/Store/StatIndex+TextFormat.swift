#if canImport(Glibc)
import Glibc
#endif

/// The index as versions before 3 wrote it: a header line (`textHeader`), then per entry a line
/// of eight tab-separated fields (name, size, mtime, ctime, inode, document hash, base hash,
/// base revision); a line with the name only removes the entry. Read only: the next save writes
/// the binary form.
extension StatIndex {
    static let textHeader = "esync-index 2"

    static func parseText(_ bytes: [UInt8], path: String) throws(AgentError) -> StatIndex {
        var index = StatIndex()
        let header = Array((Self.textHeader + "\n").utf8)
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
            index.supersededRecords = lines - index.entries.count
            index.fileLength = position
            return index
        }
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
