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

    /// Moves past the string that starts at `i`.
    mutating func skipString() {
        i += 1
        while i < body.count {
            if body[i] == UInt8(ascii: "\\") { i += 2; continue }
            if body[i] == UInt8(ascii: "\"") { i += 1; return }
            i += 1
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
