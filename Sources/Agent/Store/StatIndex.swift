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
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)[...]
        guard let first = lines.popFirst(), String(decoding: first, as: UTF8.self) == header else {
            throw .corruptState(path: path, reason: "not an esync index (it will be rebuilt)")
        }
        index.entries.reserveCapacity(lines.count)
        for (n, line) in lines.enumerated() {
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count == 8, let size = Int64(ascii: fields[1]), let mtime = Int64(ascii: fields[2]),
                  let ctime = Int64(ascii: fields[3]), let inode = UInt64(ascii: fields[4]), let revision = Int64(ascii: fields[7])
            else { throw .corruptState(path: path, reason: "line \(n + 2) is damaged (it will be rebuilt)") }
            var entry = Entry()
            entry.size = size
            entry.mtimeNs = mtime
            entry.ctimeNs = ctime
            entry.inode = inode
            entry.docHash = String(decoding: fields[5], as: UTF8.self)
            entry.baseHash = String(decoding: fields[6], as: UTF8.self)
            entry.baseRevision = revision
            index.entries[String(decoding: fields[0], as: UTF8.self)] = entry
        }
        return index
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
