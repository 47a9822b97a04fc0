/// The stat cache of the working copy, `.esync/index`: per record, the size, mtime and inode of
/// its file when last read, the content hash of what was read, and the hash and revision of its
/// base. A scan reads a record file only when its stat differs from the cache.
///
/// Racy files: mtimes come from a coarse clock, so a file edited within the same tick as the
/// read keeps its mtime (and often its size). Like git, an entry read when its mtime was less
/// than `racyWindowNs` old is stored with size -1 and is read again by the next scan, until it
/// is old enough to trust.
public struct StatIndex: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Size of the working file, -1 when it must be re-read (racy or unknown).
        public var size: Int64 = -1
        public var mtimeNs: Int64 = 0
        /// The inode change time catches an edit whose mtime was set back (`touch -d`, `cp -p`).
        public var ctimeNs: Int64 = 0
        public var inode: UInt64 = 0
        /// Content hash of the parsed working document; "" when there is no working file;
        /// "!" followed by the reason when it is invalid.
        public var docHash: String = ""
        /// Content hash of the base document; "" when there is no base.
        public var baseHash: String = ""
        public var baseRevision: Int64 = -1

        public var hasWorkingFile: Bool { !docHash.isEmpty }
        public var invalidReason: String? { docHash.hasPrefix("!") ? String(docHash.dropFirst()) : nil }
        public var hasBase: Bool { !baseHash.isEmpty }
        /// The working copy differs from what the province acknowledged.
        public var isPending: Bool { invalidReason == nil && docHash != baseHash }

        public init() {}
    }

    public static let header = "esync-index 2"
    public static let racyWindowNs: Int64 = 2_000_000_000

    public var entries: [String: Entry] = [:]

    public init() {}

    public static func load(from path: String) throws(AgentError) -> StatIndex {
        guard FileSystem.exists(path) else { return StatIndex() }
        let bytes = try FileSystem.read(path)
        return try parse(bytes, path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(AgentError) -> StatIndex {
        var index = StatIndex()
        let header = Array((Self.header + "\n").utf8)
        guard bytes.starts(with: header) else { throw .corruptState(path: path, reason: "not an esync index (it will be rebuilt)") }
        // One pass over the bytes, no intermediate arrays: the index of a large store has a
        // line per record and is read by every command.
        return try bytes.withUnsafeBufferPointer { (buffer) throws(AgentError) -> StatIndex in
            var position = header.count
            var line = 2
            index.entries.reserveCapacity(buffer.count / 180)
            while position < buffer.count {
                var fields: [Range<Int>] = []
                fields.reserveCapacity(8)
                var start = position
                while position < buffer.count, buffer[position] != 0x0A {
                    if buffer[position] == 0x09 { fields.append(start..<position); start = position + 1 }
                    position += 1
                }
                fields.append(start..<position)
                position += 1
                if fields.count == 1 && fields[0].isEmpty { continue }
                func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[r]), as: UTF8.self) }
                func number(_ r: Range<Int>) -> Int64? { Int64(ascii: UnsafeBufferPointer(rebasing: buffer[r])) }
                guard fields.count == 8, let size = number(fields[1]), let mtime = number(fields[2]), let ctime = number(fields[3]),
                      let inode = number(fields[4]), let revision = number(fields[7])
                else { throw .corruptState(path: path, reason: "line \(line) is damaged (it will be rebuilt)") }
                var entry = Entry()
                entry.size = size
                entry.mtimeNs = mtime
                entry.ctimeNs = ctime
                entry.inode = UInt64(bitPattern: inode)
                entry.docHash = text(fields[5])
                entry.baseHash = text(fields[6])
                entry.baseRevision = revision
                index.entries[text(fields[0])] = entry
                line += 1
            }
            return index
        }
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = Array((Self.header + "\n").utf8)
        out.reserveCapacity(entries.count * 190)
        func number(_ n: some BinaryInteger) { out.append(contentsOf: String(n).utf8) }
        for (uscc, e) in entries {
            out.append(contentsOf: uscc.utf8); out.append(0x09)
            number(e.size); out.append(0x09)
            number(e.mtimeNs); out.append(0x09)
            number(e.ctimeNs); out.append(0x09)
            number(e.inode); out.append(0x09)
            // An invalid file's reason is free text: keep it on its line and in its column.
            for b in e.docHash.utf8 { out.append(b == 0x09 || b == 0x0A ? 0x20 : b) }
            out.append(0x09)
            out.append(contentsOf: e.baseHash.utf8); out.append(0x09)
            number(e.baseRevision); out.append(0x0A)
        }
        return out
    }

    public func save(to path: String) throws(AgentError) {
        try FileSystem.writeAtomically(path, serialized())
    }
}

extension Int64 {
    init?(ascii bytes: some Collection<UInt8>) {
        var value: Int64 = 0
        var negative = false
        var any = false
        for (i, b) in bytes.enumerated() {
            if i == 0 && b == UInt8(ascii: "-") { negative = true; continue }
            guard b >= 48 && b <= 57 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(b - 48))
            if o1 || o2 { return nil }
            value = s
            any = true
        }
        guard any else { return nil }
        self = negative ? -value : value
    }
}

extension UInt64 {
    init?(ascii bytes: some Collection<UInt8>) {
        guard let v = Int64(ascii: bytes), v >= 0 else { return nil }
        self = UInt64(v)
    }
}
