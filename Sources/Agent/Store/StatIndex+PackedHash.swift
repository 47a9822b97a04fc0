extension StatIndex {
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
}
