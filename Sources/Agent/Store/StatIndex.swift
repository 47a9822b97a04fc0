#if canImport(Glibc)
import Glibc
#endif

/// The stat cache of the working copy, `.esync/index`: per record, the size, mtime and inode of
/// its file when last read, the content hash of what was read, and the hash and revision of its
/// base. A scan reads a record file only when its stat differs from the cache.
///
/// Racy files: mtimes come from a coarse clock, so a file edited within the same tick as the
/// read keeps its mtime (and often its size). Like git, an entry read when its mtime was less
/// than `racyWindowNs` old is stored with size -1 and is read again by the next scan, until it
/// is old enough to trust.
///
/// Every command reads the index, and a sync of a store of 100,000 records looks up every
/// entry: entries are kept without a heap allocation each (credit codes and hashes packed into
/// integers), the file is parsed without making strings, and a save appends the entries that
/// changed instead of rewriting them all.
public struct StatIndex: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Size of the working file, -1 when it must be re-read (racy or unknown).
        public var size: Int64 = -1
        public var mtimeNs: Int64 = 0
        /// The inode change time catches an edit whose mtime was set back (`touch -d`, `cp -p`).
        public var ctimeNs: Int64 = 0
        public var inode: UInt64 = 0
        var doc = PackedHash()
        var base = PackedHash()
        public var baseRevision: Int64 = -1

        /// Content hash of the parsed working document; "" when there is no working file;
        /// "!" followed by the reason when it is invalid.
        public var docHash: String {
            get { doc.text }
            set { doc = PackedHash(newValue) }
        }
        /// Content hash of the base document; "" when there is no base.
        public var baseHash: String {
            get { base.text }
            set { base = PackedHash(newValue) }
        }

        public var hasWorkingFile: Bool { !doc.isEmpty }
        public var invalidReason: String? { doc.invalidReason }
        public var hasBase: Bool { !base.isEmpty }
        /// The working copy differs from what the province acknowledged.
        public var isPending: Bool { doc.invalidReason == nil && doc != base }

        public init() {}
    }

    public static let header = "esync-index 2"
    public static let racyWindowNs: Int64 = 2_000_000_000

    public var entries = Entries()
    /// Lines in the file beyond one per entry: superseded lines and removals.
    private var supersededLines = 0
    /// Where the file's last whole line ends; 0 before the file was read or written.
    private var fileLength = 0
    /// The file's inode when read or written: a save appends only to that file (a command that
    /// read the index without the store's lock may find it rewritten by another since).
    private var fileInode: UInt64 = 0

    public init() {}

    public static func == (a: StatIndex, b: StatIndex) -> Bool { a.entries == b.entries }

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
        try entries.storage.forEach(where: { _ in true }) { (key, entry) throws(E) in
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
            let changed = entries.storage.changedCount
            let removed = entries.storage.removedSinceSave
            if changed == 0 && removed.isEmpty { return }
            // (A line for a name new to the file supersedes nothing; counted anyway.)
            let superseded = supersededLines + changed + removed.count
            if superseded <= max(1_000, entries.count / 2) {
                var length = 0
                let storage = entries.storage
                let appended = try FileSystem.append(path, at: fileLength, expectingInode: fileInode) { (write) throws(AgentError) in
                    var out: [UInt8] = []
                    out.reserveCapacity(min(changed * 190 + removed.count * 20, 1 << 20))
                    for key in removed { key.append(to: &out); out.append(0x0A) }
                    try storage.forEachChanged { (key, entry) throws(AgentError) in
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
                    entries.storage.markSaved()
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
        entries.storage.markSaved()
    }
}

extension StatIndex {
    /// A record file's name without `.json`: a credit code (18 bytes) packed into integers,
    /// any other name as it is.
    enum Key: Hashable, Sendable {
        case code(UInt64, UInt64, UInt16)
        case name(String)

        init(_ name: String) {
            var name = name
            self = name.withUTF8 { Key(UnsafeRawBufferPointer($0)) }
        }

        /// One word for a credit code (its 18 bytes are spread over the three): the table of a
        /// large store is filled and searched 100,000 times by every command.
        func hash(into hasher: inout Hasher) {
            switch self {
            case .code(let a, let b, let c): hasher.combine(a &* 0x9E37_79B9_7F4A_7C15 ^ b ^ UInt64(c) << 40)
            case .name(let name): hasher.combine(name)
            }
        }

        init(_ bytes: UnsafeRawBufferPointer) {
            if bytes.count == 18 {
                self = .code(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                             bytes.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
            } else {
                self = .name(String(decoding: bytes, as: UTF8.self))
            }
        }

        func append(to out: inout [UInt8]) {
            switch self {
            case .code(var a, var b, var c):
                withUnsafeBytes(of: &a) { out.append(contentsOf: $0) }
                withUnsafeBytes(of: &b) { out.append(contentsOf: $0) }
                withUnsafeBytes(of: &c) { out.append(contentsOf: $0) }
            case .name(let name):
                // A name is free text: keep it on its line and in its column.
                for b in name.utf8 { out.append(b == 0x09 || b == 0x0A ? 0x20 : b) }
            }
        }

        var text: String {
            switch self {
            case .code:
                var bytes: [UInt8] = []
                bytes.reserveCapacity(18)
                append(to: &bytes)
                return String(decoding: bytes, as: UTF8.self)
            case .name(let name): return name
            }
        }
    }

    /// A content hash (64 lower-case hex digits) in 32 bytes; "" (none) and anything else (an
    /// invalid file's "!reason") as text.
    struct PackedHash: Sendable, Equatable {
        // (Four words, not a SIMD4: its 32-byte alignment padded every entry of the index.)
        var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
        /// The text when it is not a hash (an invalid file's "!reason"); nil for a hash or none.
        var other: String?
        var isHex: Bool { other == nil && (w0 | w1 | w2 | w3) != 0 }

        init() {}

        init(_ text: String) {
            var text = text
            self = text.withUTF8 { PackedHash($0) }
        }

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            if bytes.isEmpty { return }
            if bytes.count == 64, let packed = Self.pack(bytes), packed != .zero {
                (w0, w1, w2, w3) = (packed[0], packed[1], packed[2], packed[3])
            } else {
                other = String(decoding: bytes, as: UTF8.self)
            }
        }

        static func pack(_ hex: UnsafeBufferPointer<UInt8>) -> SIMD4<UInt64>? {
            guard hex.count == 64, let p = hex.baseAddress else { return nil }
            // Eight digits at a time in one word (this runs for 200,000 hashes on every
            // command); '0'…'9' and 'a'…'f' only, anything else makes it text.
            let raw = UnsafeRawPointer(p)
            var words = SIMD4<UInt64>.zero
            var valid = true
            for w in 0..<4 {
                guard let high = Self.nibbles(raw.loadUnaligned(fromByteOffset: w &* 16, as: UInt64.self)),
                      let low = Self.nibbles(raw.loadUnaligned(fromByteOffset: w &* 16 &+ 8, as: UInt64.self))
                else { valid = false; break }
                words[w] = high << 32 | low
            }
            return valid ? words : nil
        }

        /// Eight hex digits, as loaded from memory (the first digit in the lowest byte), as the
        /// 32-bit number they write; nil when one is not a lower-case hex digit.
        @inline(__always)
        static func nibbles(_ x: UInt64) -> UInt64? {
            let ones: UInt64 = 0x0101_0101_0101_0101, highBits: UInt64 = 0x8080_8080_8080_8080
            guard x & highBits == 0 else { return nil }
            // Per byte b < 0x80: b + (0x80 - n) has its high bit set exactly when b >= n.
            func atLeast(_ n: UInt64) -> UInt64 { (x &+ (0x80 &- n) &* ones) & highBits }
            let digit = atLeast(0x30) & ~atLeast(0x3A)
            let letter = atLeast(0x61) & ~atLeast(0x67)
            guard digit | letter == highBits else { return nil }
            // '0'…'9' are 0x30…0x39, 'a'…'f' are 0x61…0x66: the low four bits, plus 9 for letters.
            var v = ((x & 0x0F0F_0F0F_0F0F_0F0F) &+ (x >> 6 & ones) &* 9).byteSwapped
            v = (v | v >> 4) & 0x00FF_00FF_00FF_00FF
            v = (v | v >> 8) & 0x0000_FFFF_0000_FFFF
            return (v | v >> 16) & 0xFFFF_FFFF
        }

        var isEmpty: Bool { !isHex && (other?.isEmpty ?? true) }

        var invalidReason: String? {
            guard let other, other.utf8.first == UInt8(ascii: "!") else { return nil }
            return String(other.dropFirst())
        }

        func append(to out: inout [UInt8]) {
            if isHex {
                let digits: StaticString = "0123456789abcdef"
                digits.withUTF8Buffer { digits in
                    func hex(_ word: UInt64) {
                        for k in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((word >> UInt64(k)) & 0xF)]) }
                    }
                    hex(w0); hex(w1); hex(w2); hex(w3)
                }
            } else if let other {
                // An invalid file's reason is free text: keep it on its line and in its column.
                for b in other.utf8 { out.append(b == 0x09 || b == 0x0A ? 0x20 : b) }
            }
        }

        var text: String {
            guard isHex else { return other ?? "" }
            var out: [UInt8] = []
            out.reserveCapacity(64)
            append(to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The entries by record file name (without `.json`), as a dictionary would hold them.
    public struct Entries: Sendable, Equatable, Sequence {
        /// Read freely; written through `set` (or the subscripts), which notes what changed.
        var storage = Storage()

        public static func == (a: Entries, b: Entries) -> Bool { a.storage == b.storage }

        mutating func set(_ key: Key, _ entry: Entry?) {
            if storage[key] == entry { return }
            storage.set(key, entry, noting: true)
        }

        /// For parsing the file: not a change.
        mutating func load(_ key: Key, _ entry: Entry?) { storage.set(key, entry, noting: false) }
        mutating func reserveCapacity(_ n: Int) { storage.reserveCapacity(n) }

        public subscript(_ name: String) -> Entry? {
            get { storage[Key(name)] }
            set { set(Key(name), newValue) }
        }

        public subscript(_ name: String, default fallback: Entry) -> Entry {
            get { storage[Key(name)] ?? fallback }
            set { set(Key(name), newValue) }
        }

        public var count: Int { storage.count }
        public var isEmpty: Bool { storage.count == 0 }
        public var values: some Sequence<Entry> { storage.values }
        public var keys: [String] { storage.map(\.key.text) }

        public func makeIterator() -> some IteratorProtocol<(key: String, value: Entry)> {
            storage.lazy.map { (key: $0.key.text, value: $0.value) }.makeIterator()
        }
    }

    /// A dictionary from names to entries that keeps the entries in one array and only a slot
    /// number in the hash table: a hash table sized for 100,000 entries has room for 262,144,
    /// and holding the entries themselves in it cost 40 MB more.
    struct Storage: Sendable, Equatable, Sequence {
        private var slots: [Key: Int32] = [:]
        private var entries: ContiguousArray<Entry> = []
        private var free: [Int32] = []
        /// A bit per slot set since the file was read or written, and the names removed: what a
        /// save appends (a bit set, not a set of names: an upload sets every entry).
        private var changedSlots: [UInt64] = []
        private var removed: [Key] = []

        var count: Int { slots.count }

        subscript(_ key: Key) -> Entry? { slots[key].map { entries[Int($0)] } }

        /// Looks at the entry of `key` where it is, without copying it (an entry is 136 bytes
        /// with two optional strings; copying each one out was a tenth of a no-change scan).
        func withEntry<R>(_ key: Key, _ body: (UnsafePointer<Entry>?) -> R) -> R {
            guard let slot = slots[key] else { return body(nil) }
            return entries.withUnsafeBufferPointer { body($0.baseAddress.map { $0 + Int(slot) }) }
        }

        /// Calls `body` with the name, slot and place of every entry, looked at where it is.
        private func forEachSlot<E: Error>(_ body: (Key, Int, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            try entries.withUnsafeBufferPointer { (buffer) throws(E) in
                guard let base = buffer.baseAddress else { return }
                for (key, slot) in slots { try body(key, Int(slot), base + Int(slot)) }
            }
        }

        /// How many entries `isIncluded` holds for, looked at in place.
        func count(where isIncluded: (UnsafePointer<Entry>) -> Bool) -> Int {
            var count = 0
            forEachSlot { _, _, entry in if isIncluded(entry) { count += 1 } }
            return count
        }

        /// Calls `body` with each entry for which `isIncluded` holds, both looking at it in place.
        func forEach<E: Error>(where isIncluded: (UnsafePointer<Entry>) -> Bool,
                               _ body: (Key, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            try forEachSlot { (key, _, entry) throws(E) in if isIncluded(entry) { try body(key, entry) } }
        }

        mutating func set(_ key: Key, _ entry: Entry?, noting: Bool) {
            let slot: Int32
            if let entry {
                if let known = slots[key] {
                    slot = known
                    entries[Int(slot)] = entry
                } else if let reused = free.popLast() {
                    slot = reused
                    entries[Int(slot)] = entry
                    slots[key] = slot
                } else {
                    slot = Int32(entries.count)
                    slots[key] = slot
                    entries.append(entry)
                }
                if noting {
                    let word = Int(slot) >> 6
                    if word >= changedSlots.count { changedSlots.append(contentsOf: repeatElement(0, count: word - changedSlots.count + 1)) }
                    changedSlots[word] |= 1 << UInt64(slot & 63)
                }
            } else if let freed = slots.removeValue(forKey: key) {
                entries[Int(freed)] = Entry()
                free.append(freed)
                let word = Int(freed) >> 6
                if word < changedSlots.count { changedSlots[word] &= ~(1 << UInt64(freed & 63)) }
                if noting { removed.append(key) }
            }
        }

        /// How many entries were set since the file was read or written.
        var changedCount: Int { changedSlots.reduce(0) { $0 + $1.nonzeroBitCount } }

        /// Calls `body` with each entry set since the file was read or written, in place.
        func forEachChanged<E: Error>(_ body: (Key, UnsafePointer<Entry>) throws(E) -> Void) throws(E) {
            guard changedSlots.contains(where: { $0 != 0 }) else { return }
            try forEachSlot { (key, slot, entry) throws(E) in
                if slot >> 6 < changedSlots.count && changedSlots[slot >> 6] & (1 << UInt64(slot & 63)) != 0 { try body(key, entry) }
            }
        }

        /// The names removed since the file was read or written. A name removed and set again
        /// since is written as set: a crash in the middle of the append then cannot keep the
        /// removal and lose the entry.
        var removedSinceSave: [Key] { removed.filter { slots[$0] == nil } }

        mutating func markSaved() {
            changedSlots = []
            removed = []
        }

        mutating func reserveCapacity(_ n: Int) {
            slots.reserveCapacity(n)
            entries.reserveCapacity(n)
        }

        var values: some Sequence<Entry> { slots.values.lazy.map { entries[Int($0)] } }

        func makeIterator() -> some IteratorProtocol<(key: Key, value: Entry)> {
            slots.lazy.map { (key: $0.key, value: entries[Int($0.value)]) }.makeIterator()
        }

        static func == (a: Storage, b: Storage) -> Bool {
            a.count == b.count && a.allSatisfy { b[$0.key] == $0.value }
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
