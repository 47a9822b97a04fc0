import CEsyncZlib
#if canImport(Glibc)
import Glibc
#endif

/// Writing the log, under the store's lock: appends, the index, compaction; and the bytes of both files.
extension BaseLog {
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
            state = .empty()
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
        if expectedAppends > written.count, state.recent.capacity < state.recent.count + expectedAppends {
            state.recent.reserveCapacity(state.recent.count + expectedAppends)
        }
        expectedAppends = max(0, expectedAppends - written.count)
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

    static func payload(_ kind: Character, _ code: String, _ json: [UInt8]) throws(AgentError) -> [UInt8] {
        let utf8 = Array(code.utf8)
        guard !utf8.isEmpty, utf8.count <= maxCodeLength else { throw .invalidRecord(file: code, reason: "not a credit code: no base is kept for it") }
        var payload: [UInt8] = [kind.asciiValue!, UInt8(utf8.count)]
        payload.reserveCapacity(2 + utf8.count + json.count)
        payload += utf8
        payload += json
        return payload
    }

    static func putEntry(_ payload: [UInt8], into bytes: inout [UInt8]) {
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
        var next = Loaded.empty(generation: generation)
        try FileSystem.writeAtomically(path) { (write) throws(AgentError) in
            var header = Self.magic
            Self.put(generation, into: &header)
            try write(header)
            var piece: [UInt8] = []
            for code in live {
                guard let location = Self.location(of: code, in: state), let payload = try readPayload(at: location) else {
                    throw Self.damagedBase(code, path)
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
    func isCurrent(_ state: Loaded) throws(AgentError) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var size = Glibc.stat()
        guard fstat(fd, &size) == 0, Int64(size.st_size) == state.end else { return false }
        return Self.generation(of: fd) == state.generation
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

    /// A little-endian `T` at `offset` of `bytes`.
    static func read<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Appends `value` little-endian.
    static func put<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
