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

    /// The log as loaded: nil until first used.
    private struct Loaded {
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
    }
    private var loaded: Loaded?
    private var readFD: Int32 = -1
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
    func read(_ code: String) throws(AgentError) -> [UInt8]? { try readOnce(code) }

    private func readOnce(_ code: String, again: Bool = false) throws(AgentError) -> [UInt8]? {
        let state = try load(ignoringIndex: again)
        try Self.refuse(state, path)
        guard let location = Self.location(of: code, in: state), !location.isDropped else { return nil }
        if let payload = try readPayload(at: location), let json = Self.baseJSON(payload, code: code) { return json }
        // Not the entry the index says: the log was compacted by another process since it was
        // loaded, or the index is wrong. Read the log whole once more, without the index.
        guard !again else { throw .corruptState(path: path, reason: "the base of \(code) is damaged; restore it with `esync-agent pull --full`") }
        reset()
        return try readOnce(code, again: true)
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

    private static func refuse(_ state: Loaded, _ path: String) throws(AgentError) {
        if let damaged = state.damaged { throw damagedError(damaged, path) }
    }

    private static func damagedError(_ reason: String, _ path: String) -> AgentError {
        .corruptState(path: path, reason: reason + "; restore the bases with `esync-agent pull --full`")
    }

    /// Forgets what was loaded: the next use loads the log again.
    func reset() {
        loaded = nil
        if readFD >= 0 { close(readFD) }
        readFD = -1
    }

    private func readPayload(at location: Location) throws(AgentError) -> [UInt8]? {
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
        guard Self.uint32(bytes, at: 0) == UInt32(location.length), Self.uint32(bytes, at: 4) == Self.checksum(bytes[Self.entryHeaderSize...])
        else { return nil }
        return Array(bytes[Self.entryHeaderSize...])
    }

    /// The JSON of a `B` payload of `code`, or nil when the payload is another's.
    private static func baseJSON(_ payload: [UInt8], code: String) -> [UInt8]? {
        let utf8 = Array(code.utf8)
        guard payload.count >= 2 + utf8.count, payload[0] == UInt8(ascii: "B"), Int(payload[1]) == utf8.count,
              payload[2..<(2 + utf8.count)].elementsEqual(utf8) else { return nil }
        return Array(payload[(2 + utf8.count)...])
    }

    // MARK: - Loading

    /// The log as this process knows it, loaded when first needed: the index (unless
    /// `ignoringIndex`), then the entries past what it covers.
    private func load(ignoringIndex: Bool = false) throws(AgentError) -> Loaded {
        if let loaded, !ignoringIndex { return loaded }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        let empty = Loaded(generation: 0, end: 0, sorted: [], sortedCount: 0, recent: [:], live: 0)
        guard fd >= 0 else {
            if errno != ENOENT { throw .io(path: path, operation: "open", errno: errno) }
            loaded = empty
            return empty
        }
        defer { close(fd) }
        var size = Glibc.stat()
        guard fstat(fd, &size) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, Self.headerSize, 0) }
        // Shorter than a header: a crash right after the log was created, nothing in it yet.
        guard size.st_size >= Self.headerSize else {
            loaded = empty
            return empty
        }
        guard got == Self.headerSize, header.prefix(8).elementsEqual(Self.magic) else {
            var damaged = empty
            damaged.damaged = "not an esync base log"
            loaded = damaged
            return damaged
        }
        let generation = Self.uint64(header, at: 8)
        var state = Loaded(generation: generation, end: Int64(Self.headerSize), sorted: [], sortedCount: 0, recent: [:], live: 0)
        if !ignoringIndex, let index = try? FileSystem.readIfPresent(indexPath), let valid = Self.validIndex(index, generation: generation),
           Int64(size.st_size) >= valid.covered {
            state.end = valid.covered
            state.live = valid.live
            state.sorted = Array(index[Self.indexHeaderSize...])
            state.sortedCount = valid.count
        }
        try scan(fd, from: state.end, size: Int64(size.st_size), into: &state)
        loaded = state
        return state
    }

    /// The index's figures when it is whole (its checksum holds) and of the log's `generation`.
    private static func validIndex(_ index: [UInt8], generation: UInt64) -> (covered: Int64, live: Int64, count: Int)? {
        guard index.count >= indexHeaderSize, index.prefix(8).elementsEqual(indexMagic), uint64(index, at: 8) == generation else { return nil }
        let count = Int(uint64(index, at: 32))
        guard count >= 0, count < 1 << 26, index.count == indexHeaderSize + count * indexRecordSize,
              UInt64(checksum(index[indexHeaderSize...])) == uint64(index, at: 40)
        else { return nil }
        return (Int64(uint64(index, at: 16)), Int64(uint64(index, at: 24)), count)
    }

    /// Reads the entries from `offset` to the end of the log (`size` bytes) into `state.recent`.
    /// A bad entry that is the last one, runs past the end or is followed by zeros only is a torn
    /// append: the valid entries end there. One with more entries after it is damage: the log is
    /// marked damaged rather than cut there, which would lose the bases after it.
    private func scan(_ fd: Int32, from offset: Int64, size: Int64, into state: inout Loaded) throws(AgentError) {
        var position = offset
        var buffer: [UInt8] = []
        var bufferStart = offset
        var eof = false
        // Reads in 1 MB pieces: the log of a large store is 100s of MB.
        func ensure(_ count: Int) throws(AgentError) -> Bool {
            while Int(position - bufferStart) + count > buffer.count && !eof {
                buffer.removeFirst(Int(position - bufferStart))
                bufferStart = position
                var piece = [UInt8](repeating: 0, count: max(1 << 20, count))
                let n = piece.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(bufferStart) + off_t(buffer.count)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .io(path: path, operation: "read", errno: errno)
                }
                if n == 0 { eof = true } else { buffer += piece[..<n] }
            }
            return Int(position - bufferStart) + count <= buffer.count
        }
        while try ensure(Self.entryHeaderSize) {
            let at = Int(position - bufferStart)
            let length = Int(Self.uint32(buffer, at: at)), sum = Self.uint32(buffer, at: at + 4)
            let whole = length >= 2 && length < 1 << 30 && position + Int64(Self.entryHeaderSize + length) <= size
            guard whole, try ensure(Self.entryHeaderSize + length) else {
                if length >= 2 && length < 1 << 30 && position + Int64(Self.entryHeaderSize + length) > size { break }  // runs past the end
                if try zerosFrom(position, fd: fd, size: size) { break }
                state.damaged = "the entry at byte \(position) is damaged"
                break
            }
            let start = Int(position - bufferStart) + Self.entryHeaderSize
            let payload = buffer[start..<(start + length)]
            let codeLength = Int(payload[payload.startIndex + 1])
            guard Self.checksum(payload) == sum, payload.count >= 2 + codeLength, codeLength >= 1, codeLength <= Self.maxCodeLength,
                  payload.first == UInt8(ascii: "B") || payload.first == UInt8(ascii: "D")
            else {
                if position + Int64(Self.entryHeaderSize + length) == size { break }  // the last entry, torn
                if try zerosFrom(position + Int64(Self.entryHeaderSize), fd: fd, size: size) { break }
                state.damaged = "the entry at byte \(position) is damaged"
                break
            }
            let code = payload[(payload.startIndex + 2)..<(payload.startIndex + 2 + codeLength)]
            let key = code.withUnsafeBytes { StatIndex.Key($0) }
            if let old = Self.location(of: key, code: Array(code), in: state), !old.isDropped { state.live -= Int64(old.length) }
            if payload.first == UInt8(ascii: "B") {
                state.recent[key] = Location(offset: position + Int64(Self.entryHeaderSize), length: Int32(length))
                state.live += Int64(length)
            } else {
                state.recent[key] = .dropped
            }
            position += Int64(Self.entryHeaderSize + length)
        }
        state.end = position
    }

    /// Whether the log holds only zero bytes from `offset` on (a file grown by a crash before
    /// its data reached the disk).
    private func zerosFrom(_ offset: Int64, fd: Int32, size: Int64) throws(AgentError) -> Bool {
        var at = offset
        var piece = [UInt8](repeating: 0, count: 1 << 16)
        while at < size {
            let n = piece.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(at)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n == 0 }
            if piece[..<n].contains(where: { $0 != 0 }) { return false }
            at += Int64(n)
        }
        return true
    }

    private static func location(of code: String, in state: Loaded) -> Location? {
        location(of: StatIndex.Key(code), code: Array(code.utf8), in: state)
    }

    /// `code` as a key and as bytes.
    private static func location(of key: StatIndex.Key, code: [UInt8], in state: Loaded) -> Location? {
        if let recent = state.recent[key] { return recent }
        guard code.count <= maxCodeLength else { return nil }
        var low = 0, high = state.sortedCount
        while low < high {
            let mid = (low + high) / 2
            switch compare(state.sorted, at: mid, with: code) {
            case 0: return Location(offset: Int64(bitPattern: uint64(state.sorted, at: mid * indexRecordSize + 20)),
                                    length: Int32(bitPattern: uint32(state.sorted, at: mid * indexRecordSize + 28)))
            case ..<0: low = mid + 1
            default: high = mid
            }
        }
        return nil
    }

    /// The index record `n`'s code compared with `key` (bytes, then length).
    private static func compare(_ sorted: [UInt8], at n: Int, with key: [UInt8]) -> Int {
        let base = n * indexRecordSize
        let length = Int(sorted[base])
        for i in 0..<min(length, key.count) where sorted[base + 1 + i] != key[i] {
            return Int(sorted[base + 1 + i]) - Int(key[i])
        }
        return length - key.count
    }

    /// Index record `a` of `x` against record `b` of `y`: by code bytes, then length (`compare`'s order).
    private static func compareRecords(_ x: UnsafeRawPointer, _ a: Int, _ y: UnsafeRawPointer, _ b: Int) -> Int {
        let p = x + a * indexRecordSize, q = y + b * indexRecordSize
        let m = Int(p.load(as: UInt8.self)), n = Int(q.load(as: UInt8.self))
        let c = memcmp(p + 1, q + 1, min(m, n))
        return c != 0 ? Int(c) : m - n
    }

    private static func indexCode(_ sorted: [UInt8], at n: Int) -> String {
        let base = n * indexRecordSize
        return String(decoding: sorted[(base + 1)..<(base + 1 + Int(sorted[base]))], as: UTF8.self)
    }

    // MARK: - Writing (under the store's lock)

    /// Appends the bases `written` (code → base JSON) and drops `dropped`, in one write, and
    /// flushes the log. A torn entry left by a crash is cut off first.
    func append(_ written: [(code: String, json: [UInt8])], dropped: [String]) throws(AgentError) {
        if written.isEmpty && dropped.isEmpty { return }
        var state = try load()
        if state.damaged != nil {
            // Refused, unless told to start afresh: then kept aside, for whoever wants to look.
            guard restartIfDamaged else { throw Self.damagedError(state.damaged!, path) }
            let aside = path + ".damaged-\(FileSystem.nowNs() / 1_000_000_000)"
            if rename(path, aside) != 0 { throw .io(path: path, operation: "move aside to \(aside)", errno: errno) }
            reset()
            state = Loaded(generation: 0, end: 0, sorted: [], sortedCount: 0, recent: [:], live: 0)
        }
        // Taken out, so that its table is changed in place, not copied (once per change set of a
        // first upload, that was a tenth of it); put back once the entries are on disk, and after
        // an error loaded again from the file.
        loaded = nil
        var bytes: [UInt8] = []
        bytes.reserveCapacity(written.reduce(0) { $0 + $1.json.count + 32 })
        var fresh = false
        if state.generation == 0 {
            state.generation = UInt64.random(in: 1...UInt64.max)
            bytes += Self.magic
            Self.put(state.generation, into: &bytes)
            state.end = 0
            fresh = true
        }
        let start = state.end
        var locations: [(String, Location)] = []
        for (code, json) in written {
            let payload = try Self.payload("B", code, json)
            locations.append((code, Location(offset: start + Int64(bytes.count + Self.entryHeaderSize), length: Int32(payload.count))))
            Self.putEntry(payload, into: &bytes)
        }
        for code in dropped {
            Self.putEntry(try Self.payload("D", code, []), into: &bytes)
            locations.append((code, .dropped))
        }
        let flags = fresh ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC : O_WRONLY | O_CLOEXEC
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: fresh ? "create" : "open for appending", errno: errno) }
        defer { close(fd) }
        // Whatever follows the valid entries is a torn append: cut off.
        if !fresh && ftruncate(fd, off_t(state.end)) != 0 { throw .io(path: path, operation: "truncate", errno: errno) }
        if let e = FileSystem.writeAll(fd, bytes, at: Int(start)) { throw .io(path: path, operation: "append", errno: e) }
        if fdatasync(fd) != 0 { throw .io(path: path, operation: "fdatasync", errno: errno) }
        if fresh { try FileSystem.syncDirectory(of: path) }
        for (code, location) in locations {
            if let old = Self.location(of: code, in: state), !old.isDropped { state.live -= Int64(old.length) }
            if !location.isDropped { state.live += Int64(location.length) }
            state.recent[StatIndex.Key(code)] = location
        }
        state.end = start + Int64(bytes.count)
        loaded = state
    }

    private static func payload(_ kind: Character, _ code: String, _ json: [UInt8]) throws(AgentError) -> [UInt8] {
        let utf8 = Array(code.utf8)
        guard !utf8.isEmpty, utf8.count <= maxCodeLength else { throw .invalidRecord(file: code, reason: "not a credit code: no base is kept for it") }
        var payload: [UInt8] = [kind.asciiValue!, UInt8(utf8.count)]
        payload.reserveCapacity(2 + utf8.count + json.count)
        payload += utf8
        payload += json
        return payload
    }

    private static func putEntry(_ payload: [UInt8], into bytes: inout [UInt8]) {
        put(UInt32(payload.count), into: &bytes)
        put(checksum(payload[...]), into: &bytes)
        bytes += payload
    }

    /// Writes the index of where each code's last entry is, when entries came since it was
    /// read (a cache: no flush).
    func saveIndex() throws(AgentError) {
        guard let state = loaded, state.damaged == nil, !state.recent.isEmpty else { return }
        // Another process appended or compacted since this one loaded the log (a command that
        // read without the lock): its view is not written over the file's.
        guard try isCurrent(state) else {
            reset()
            return
        }
        // The entries since, as index records sorted by code (a drop as a record of length -1),
        // merged with the index's records, which are sorted already: a 1 % sync of 100,000
        // records sorts 1,000, not 100,000.
        var recent: [UInt8] = []
        recent.reserveCapacity(state.recent.count * Self.indexRecordSize)
        for (key, location) in state.recent {
            var code: [UInt8] = []
            key.append(to: &code)
            recent.append(UInt8(code.count))
            recent += code
            recent += repeatElement(0, count: Self.maxCodeLength - code.count)
            Self.put(UInt64(bitPattern: location.offset), into: &recent)
            Self.put(UInt32(bitPattern: location.length), into: &recent)
        }
        let order = recent.withUnsafeBytes { buf in
            (0..<state.recent.count).sorted { Self.compareRecords(buf.baseAddress!, $0, buf.baseAddress!, $1) < 0 }
        }
        var sorted: [UInt8] = []
        sorted.reserveCapacity(state.sorted.count + recent.count)
        var i = 0, j = 0
        state.sorted.withUnsafeBytes { old in
            recent.withUnsafeBytes { new in
                func take(_ buf: UnsafeRawBufferPointer, _ n: Int) {
                    // A drop (length -1) leaves the code out.
                    guard buf.loadUnaligned(fromByteOffset: n * Self.indexRecordSize + 28, as: UInt32.self) != UInt32.max else { return }
                    sorted += buf[(n * Self.indexRecordSize)..<((n + 1) * Self.indexRecordSize)]
                }
                while i < state.sortedCount || j < order.count {
                    let c = i == state.sortedCount ? 1 : j == order.count ? -1 : Self.compareRecords(old.baseAddress!, i, new.baseAddress!, order[j])
                    if c < 0 {
                        take(old, i)
                        i += 1
                    } else {
                        take(new, order[j])  // the entry since replaces the index's
                        if c == 0 { i += 1 }
                        j += 1
                    }
                }
            }
        }
        let count = sorted.count / Self.indexRecordSize
        var header = Self.indexMagic
        Self.put(state.generation, into: &header)
        Self.put(UInt64(state.end), into: &header)
        Self.put(UInt64(max(state.live, 0)), into: &header)
        Self.put(UInt64(count), into: &header)
        Self.put(UInt64(Self.checksum(sorted[...])), into: &header)
        // A cache: written whole under a temporary name and renamed, not flushed.
        let temp = indexPath + ".tmp-\(FileSystem.processID)"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: temp, operation: "create", errno: errno) }
        let failed = FileSystem.writeAll(fd, header) ?? FileSystem.writeAll(fd, sorted)
        close(fd)
        if failed == nil && rename(temp, indexPath) == 0 {
            loaded = Loaded(generation: state.generation, end: state.end, sorted: sorted, sortedCount: count, recent: [:], live: state.live)
            return
        }
        let e = failed ?? errno
        unlink(temp)
        throw .io(path: indexPath, operation: failed == nil ? "rename into place" : "write", errno: e)
    }

    /// Rewrites the log with its live entries only, under a new generation, when less than half
    /// of it is live and it is over `minimum` bytes; then saves the index. Returns whether it did.
    /// A log this process has not used is left alone (a sync that changed no base never loads it).
    @discardableResult
    func compactIfWorthIt(minimum: Int64 = BaseLog.compactionMinimum) throws(AgentError) -> Bool {
        guard let state = loaded, state.damaged == nil, state.end > minimum, state.live * 2 < state.end else { return false }
        guard try isCurrent(state) else {
            reset()
            return false
        }
        let live = try codes().sorted()
        var generation = UInt64.random(in: 1...UInt64.max)
        while generation == state.generation { generation = UInt64.random(in: 1...UInt64.max) }
        var next = Loaded(generation: generation, end: Int64(Self.headerSize), sorted: [], sortedCount: 0, recent: [:], live: 0)
        try FileSystem.writeAtomically(path) { (write) throws(AgentError) in
            var header = Self.magic
            Self.put(generation, into: &header)
            try write(header)
            var piece: [UInt8] = []
            for code in live {
                guard let location = Self.location(of: code, in: state), let payload = try readPayload(at: location) else {
                    throw .corruptState(path: path, reason: "the base of \(code) is damaged; restore it with `esync-agent pull --full`")
                }
                next.recent[StatIndex.Key(code)] = Location(offset: next.end + Int64(piece.count) + Int64(Self.entryHeaderSize), length: Int32(payload.count))
                next.live += Int64(payload.count)
                Self.putEntry(payload, into: &piece)
                if piece.count >= 1 << 20 {
                    try write(piece)
                    next.end += Int64(piece.count)
                    piece.removeAll(keepingCapacity: true)
                }
            }
            try write(piece)
            next.end += Int64(piece.count)
        }
        if readFD >= 0 { close(readFD) }
        readFD = -1
        loaded = next
        try saveIndex()
        return true
    }

    /// Whether the file is still the log `state` was loaded from and holds nothing after it.
    private func isCurrent(_ state: Loaded) throws(AgentError) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var size = Glibc.stat()
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        guard fstat(fd, &size) == 0, Int64(size.st_size) == state.end,
              header.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, Self.headerSize, 0) }) == Self.headerSize
        else { return false }
        return Self.uint64(header, at: 8) == state.generation
    }

    /// Bytes of the log (its valid entries) and of the live bases in it.
    func sizes() throws(AgentError) -> (log: Int64, live: Int64) {
        let state = try load()
        return (state.end, state.live)
    }

    // MARK: - Bytes

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBytes { buf in UInt32(crc32(0, buf.bindMemory(to: Bytef.self).baseAddress, uInt(buf.count))) }
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    static func put(_ value: UInt32, into bytes: inout [UInt8]) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    static func put(_ value: UInt64, into bytes: inout [UInt8]) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
