import CEsyncZlib
#if canImport(Glibc)
import Glibc
#endif

/// Loading the log: its index, then the entries past what it covers; where a code's base is.
extension BaseLog {
    /// The log as this process knows it, loaded when first needed: the index (unless
    /// `ignoringIndex`), then the entries past what it covers.
    func load(ignoringIndex: Bool = false) throws(AgentError) -> Loaded {
        if let loaded, !ignoringIndex { return loaded }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        let empty = Loaded.empty()
        guard fd >= 0 else {
            if errno != ENOENT { throw .io(path: path, operation: "open", errno: errno) }
            loaded = empty
            return empty
        }
        defer { close(fd) }
        var size = Glibc.stat()
        guard fstat(fd, &size) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
        // Shorter than a header: a crash right after the log was created, nothing in it yet.
        guard size.st_size >= Self.headerSize else {
            loaded = empty
            return empty
        }
        guard let generation = Self.generation(of: fd) else {
            var damaged = empty
            damaged.damaged = "not an esync base log"
            loaded = damaged
            return damaged
        }
        var state = Loaded.empty(generation: generation)
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

    /// The generation in the header of the log open as `fd`, nil when it has no log's header.
    static func generation(of fd: Int32) -> UInt64? {
        var header = [UInt8](repeating: 0, count: headerSize)
        guard header.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, headerSize, 0) }) == headerSize,
              header.prefix(8).elementsEqual(magic) else { return nil }
        return read(UInt64.self, header, at: 8)
    }

    /// The index's figures when it is whole (its checksum holds) and of the log's `generation`.
    static func validIndex(_ index: [UInt8], generation: UInt64) -> (covered: Int64, live: Int64, count: Int)? {
        guard index.count >= indexHeaderSize, index.prefix(8).elementsEqual(indexMagic), read(UInt64.self, index, at: 8) == generation else { return nil }
        let count = Int(read(UInt64.self, index, at: 32))
        guard count >= 0, count < 1 << 26, index.count == indexHeaderSize + count * indexRecordSize,
              UInt64(checksum(index[indexHeaderSize...])) == read(UInt64.self, index, at: 40)
        else { return nil }
        return (Int64(read(UInt64.self, index, at: 16)), Int64(read(UInt64.self, index, at: 24)), count)
    }

    /// Reads the entries from `offset` to the end of the log (`size` bytes) into `state.recent`.
    /// A bad entry that is the last one, runs past the end or is followed by zeros only is a torn
    /// append: the valid entries end there. One with more entries after it is damage: the log is
    /// marked damaged rather than cut there, which would lose the bases after it.
    func scan(_ fd: Int32, from offset: Int64, size: Int64, into state: inout Loaded) throws(AgentError) {
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
            let length = Int(Self.read(UInt32.self, buffer, at: at)), sum = Self.read(UInt32.self, buffer, at: at + 4)
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
    func zerosFrom(_ offset: Int64, fd: Int32, size: Int64) throws(AgentError) -> Bool {
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

    static func location(of code: String, in state: Loaded) -> Location? {
        location(of: StatIndex.Key(code), code: Array(code.utf8), in: state)
    }

    /// `code` as a key and as bytes.
    static func location(of key: StatIndex.Key, code: [UInt8], in state: Loaded) -> Location? {
        if let recent = state.recent[key] { return recent }
        guard code.count <= maxCodeLength else { return nil }
        var low = 0, high = state.sortedCount
        while low < high {
            let mid = (low + high) / 2
            switch compare(state.sorted, at: mid, with: code) {
            case 0: return Location(offset: Int64(bitPattern: read(UInt64.self, state.sorted, at: mid * indexRecordSize + 20)),
                                    length: Int32(bitPattern: read(UInt32.self, state.sorted, at: mid * indexRecordSize + 28)))
            case ..<0: low = mid + 1
            default: high = mid
            }
        }
        return nil
    }

    /// The index record `n`'s code compared with `key` (bytes, then length).
    static func compare(_ sorted: [UInt8], at n: Int, with key: [UInt8]) -> Int {
        let base = n * indexRecordSize
        let length = Int(sorted[base])
        for i in 0..<min(length, key.count) where sorted[base + 1 + i] != key[i] {
            return Int(sorted[base + 1 + i]) - Int(key[i])
        }
        return length - key.count
    }

    /// Index record `a` of `x` against record `b` of `y`: by code bytes, then length (`compare`'s order).
    static func compareRecords(_ x: UnsafeRawPointer, _ a: Int, _ y: UnsafeRawPointer, _ b: Int) -> Int {
        let p = x + a * indexRecordSize, q = y + b * indexRecordSize
        let m = Int(p.load(as: UInt8.self)), n = Int(q.load(as: UInt8.self))
        let c = memcmp(p + 1, q + 1, min(m, n))
        return c != 0 ? Int(c) : m - n
    }

    static func indexCode(_ sorted: [UInt8], at n: Int) -> String {
        let base = n * indexRecordSize
        return String(decoding: sorted[(base + 1)..<(base + 1 + Int(sorted[base]))], as: UTF8.self)
    }
}
