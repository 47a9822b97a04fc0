import CEsyncZlib
#if canImport(Glibc)
import Glibc
#endif

/// The bases of a store (the version of each record the province last acknowledged), appended
/// to one file, as git appends objects to a pack, instead of one file each: a first upload of
/// 100,000 records wrote, renamed and flushed 100,000 base files, a seventh of the agent's CPU.
///
/// `.esync/bases`: a 16-byte header (`EBASES01`, then the file's generation, a random
/// UInt64), then entries, each `length (UInt32) | CRC-32 of the payload (UInt32) | payload`
/// (little-endian), the payload being
/// - `B`, the code's length (1 byte), the code, the base's JSON
///   (`{"document":…,"revision":N}`): the base of a record, or
/// - `D`, the code's length, the code: its base dropped.
///
/// The last entry of a code wins. A torn last entry (a crash in the middle of an append) fails
/// its length or its checksum: it is ignored, and cut off by the next append.
///
/// `.esync/bases.index`: where each code's last entry is, sorted by code, for a lookup without
/// reading the log. Like the stat index it is a cache, saved with it: it names the generation
/// and the length of the log it covers, the entries past that length are read when the log is
/// first used, and a missing, damaged or older index costs one read of the whole log.
///
/// Writers hold the store's lock. A reader without it (`status`, `verify`) that finds an entry
/// other than the index says (the log compacted since) reads the whole log again.
///
/// When less than half of a log over `compactionMinimum` bytes is live, `compactIfWorthIt`
/// writes the live entries to a new log of a new generation and renames it over the old one.
public final class BaseLog {
    public let path: String
    public let indexPath: String

    /// Where a code's last entry is: its payload's offset and length in the log, or a drop.
    struct Location: Equatable {
        var offset: Int64
        var length: Int32
        static let dropped = Location(offset: -1, length: -1)
        var isDropped: Bool { length < 0 }
    }

    /// What this process knows of the log.
    struct Loaded {
        var generation: UInt64
        /// Where the valid entries end (a torn tail starts there).
        var end: Int64
        /// The index file's records (sorted, `indexRecordSize` bytes each) and what came since.
        var sorted: [UInt8]
        var sortedCount: Int
        var recent: [StatIndex.Key: Location]
        /// Bytes of live payloads, for compaction.
        var live: Int64
        /// Why the file cannot be trusted (not a base log; an entry damaged before its end): no base
        /// is read from it, and nothing appended, until `restartIfDamaged` moves it aside.
        var damaged: String?

        /// A log with nothing in it (none yet, or a new one of `generation` with only its header).
        static func empty(generation: UInt64 = 0) -> Loaded {
            Loaded(generation: generation, end: generation == 0 ? 0 : Int64(BaseLog.headerSize), sorted: [], sortedCount: 0, recent: [:], live: 0)
        }
    }
    /// The log as loaded: nil until first used (see `load`).
    var loaded: Loaded?
    /// Bases this process is about to append (a push's records): `append` makes room for them
    /// among the entries since the index at once, instead of the table growing from empty
    /// seventeen times over in a first upload of 100,000 records (a hundredth of it). A hint.
    public var expectedAppends = 0
    /// The log opened for reading bases, when first read.
    var readFD: Int32 = -1
    /// A damaged log is moved aside (`bases.damaged-TIME`) by the next append and started
    /// afresh, instead of refusing it: what `pull --full` sets, which brings every base again.
    public var restartIfDamaged = false

    static let magic = Array("EBASES01".utf8)
    static let headerSize = 16
    static let entryHeaderSize = 8
    static let indexMagic = Array("EBIDX001".utf8)
    /// Magic, the log's generation, the length of the log covered, live bytes, the count of
    /// records and their CRC-32, 8 bytes each.
    static let indexHeaderSize = 48
    /// Code length (1 byte), the code (at most `maxCodeLength` bytes, zero-padded), the payload's
    /// offset (8 bytes) and length (4 bytes).
    static let indexRecordSize = 32
    static let maxCodeLength = 19
    static let compactionMinimum: Int64 = 8 << 20

    init(path: String, indexPath: String) {
        self.path = path
        self.indexPath = indexPath
    }

    deinit { if readFD >= 0 { close(readFD) } }

    // MARK: - Reading

    /// The base JSON of `code`, or nil when the log has none (never written, or dropped).
    /// (`again`: read once more, without the index.)
    func read(_ code: String, again: Bool = false) throws(AgentError) -> [UInt8]? {
        let state = try load(ignoringIndex: again)
        try Self.refuse(state, path)
        guard let location = Self.location(of: code, in: state), !location.isDropped else { return nil }
        if let payload = try readPayload(at: location), let json = Self.baseJSON(payload, code: code) { return json }
        // Not the entry the index says: the log was compacted by another process since it was
        // loaded, or the index is wrong. Read the log whole once more, without the index.
        guard !again else { throw Self.damagedBase(code, path) }
        reset()
        return try read(code, again: true)
    }

    /// Whether the log holds a base for `code`.
    func contains(_ code: String) throws(AgentError) -> Bool {
        let state = try load()
        guard let location = Self.location(of: code, in: state) else { return false }
        return !location.isDropped
    }

    /// Every code with a base, unsorted.
    func codes() throws(AgentError) -> [String] {
        let state = try load()
        try Self.refuse(state, path)
        var codes: [String] = []
        codes.reserveCapacity(state.sortedCount + state.recent.count)
        for n in 0..<state.sortedCount {
            let code = Self.indexCode(state.sorted, at: n)
            if state.recent[StatIndex.Key(code)] == nil { codes.append(code) }
        }
        for (key, location) in state.recent where !location.isDropped { codes.append(key.text) }
        return codes
    }

    static func refuse(_ state: Loaded, _ path: String) throws(AgentError) {
        if let damaged = state.damaged { throw damagedError(damaged, path) }
    }

    static func damagedError(_ reason: String, _ path: String) -> AgentError {
        .corruptState(path: path, reason: reason + "; restore the bases with `esync-agent pull --full`")
    }

    /// The base of `code` (in `path`: the log, or an earlier version's base file) is damaged.
    static func damagedBase(_ code: String, _ path: String) -> AgentError {
        .corruptState(path: path, reason: "the base of \(code) is damaged; restore it with `esync-agent pull --full`")
    }

    /// Forgets what was loaded: the next use loads the log again.
    func reset() {
        loaded = nil
        if readFD >= 0 { close(readFD) }
        readFD = -1
    }

    func readPayload(at location: Location) throws(AgentError) -> [UInt8]? {
        if readFD < 0 {
            readFD = open(path, O_RDONLY | O_CLOEXEC)
            guard readFD >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        }
        let count = Int(location.length) + Self.entryHeaderSize
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { buf in
                pread(readFD, buf.baseAddress! + filled, count - filled, off_t(location.offset) - off_t(Self.entryHeaderSize) + off_t(filled))
            }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io(path: path, operation: "read", errno: errno) }
            if n == 0 { return nil }
            filled += n
        }
        guard Self.read(UInt32.self, bytes, at: 0) == UInt32(location.length), Self.read(UInt32.self, bytes, at: 4) == Self.checksum(bytes[Self.entryHeaderSize...])
        else { return nil }
        return Array(bytes[Self.entryHeaderSize...])
    }

    /// The JSON of a `B` payload of `code`, or nil when the payload is another's.
    static func baseJSON(_ payload: [UInt8], code: String) -> [UInt8]? {
        let utf8 = Array(code.utf8)
        guard payload.count >= 2 + utf8.count, payload[0] == UInt8(ascii: "B"), Int(payload[1]) == utf8.count,
              payload[2..<(2 + utf8.count)].elementsEqual(utf8) else { return nil }
        return Array(payload[(2 + utf8.count)...])
    }
}
