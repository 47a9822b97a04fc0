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
            case .code(let a, let b, let c): hasher.combine(Self.word(a, b, c))
            case .name(let name): hasher.combine(name)
            }
        }

        /// A credit code's three integers in one word: each multiplied in before the next is
        /// added, so that no two of them share bits unmixed (with `c` shifted onto `b`'s bits,
        /// codes that swapped their 14th and 17th characters had one word).
        static func word(_ a: UInt64, _ b: UInt64, _ c: UInt16) -> UInt64 {
            (a &* 0x9E37_79B9_7F4A_7C15 ^ b) &* 0xBF58_476D_1CE4_E5B9 ^ UInt64(c)
        }

        /// What a `Dictionary` or `Set` asks for a key's bucket (`Hashable`'s underscored, public
        /// requirement, as the standard library's integers answer it): for a credit code, its
        /// word and the table's seed mixed by MurmurHash3's finalizer, without a `Hasher`. Its
        /// set-up and SipHash rounds were a twentieth of an unchanged sync's scan (the index's
        /// 100,000 entries loaded into the table, then each file's looked up). The seed is the
        /// process's random one, per table, as for any key.
        func _rawHashValue(seed: Int) -> Int {
            guard case .code(let a, let b, let c) = self else {
                var hasher = Hasher()
                hasher.combine(seed)
                hash(into: &hasher)
                return hasher.finalize()
            }
            var h = Self.word(a, b, c) ^ UInt64(truncatingIfNeeded: seed)
            h ^= h >> 33
            h &*= 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 33
            h &*= 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 33
            return Int(truncatingIfNeeded: h)
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
}
