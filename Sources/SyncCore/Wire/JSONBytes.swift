#if canImport(Glibc)
import Glibc
#endif

/// A position in a JSON text, moved past its tokens without parsing them: strings are skipped
/// whole (a `"signature"` or `"document"` inside a record's data is data, not a member), so is
/// every nested value. For finding a member's bytes in a body already parsed.
struct JSONBytes {
    let body: [UInt8]
    var i = 0

    init(_ body: [UInt8]) { self.body = body }

    mutating func skipSpace() {
        while i < body.count, body[i] == 0x20 || body[i] == 0x0A || body[i] == 0x0D || body[i] == 0x09 { i += 1 }
    }

    /// Moves past the string that starts at `i` (to the end of the text if it has no end). Its
    /// closing quote is found with `memchr`, an escaped one (after an odd run of backslashes)
    /// passed over: walked a byte at a time, the documents' text was 1.6 % of a province's first
    /// upload, in the search for their spans.
    mutating func skipString() {
        i += 1
        i = body.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return buffer.count }
            var from = i
            while from < buffer.count, let found = memchr(base + from, 0x22, buffer.count - from) {
                let quote = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                var backslashes = 0
                while quote - backslashes > from, base[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
                from = quote + 1
                if backslashes % 2 == 0 { return from }
            }
            return buffer.count
        }
    }

    /// Moves past the value that starts at `i`, spaces before it included (to the `,`, `}` or
    /// `]` after it).
    mutating func skipValue() {
        skipSpace()
        var depth = 0
        while i < body.count {
            switch body[i] {
            case UInt8(ascii: "\""): skipString(); continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return }
                depth -= 1
            case UInt8(ascii: ","): if depth == 0 { return }
            default: break
            }
            i += 1
        }
    }
}
