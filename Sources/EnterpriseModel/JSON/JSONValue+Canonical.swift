extension JSONValue {
    /// The canonical text of the document: members sorted by the bytes of their names, no
    /// insignificant whitespace, UTF-8 (Chinese stays readable). Two equal documents always give
    /// the same bytes, so hashes of this text identify content on both ends.
    public func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// The same canonical order, indented by two spaces and ending in a newline: the form a bureau's
    /// record files are written in, so that people and `diff` can read them.
    public func prettyBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2048)
        write(to: &out, indent: 2, level: 0)
        out.append(0x0A)
        return out
    }

    public var canonicalString: String { String(decoding: canonicalBytes(), as: UTF8.self) }

    /// Appends the canonical text of the value (for writers that build a larger text around it).
    public func writeCanonical(to out: inout [UInt8]) { write(to: &out, indent: nil, level: 0) }

    /// Appends `text` as a JSON string, as the canonical text writes it.
    public static func writeCanonical(string text: String, to out: inout [UInt8]) { writeString(text, to: &out) }

    /// Whether member name `a` comes before `b` in canonical order (the bytes of their UTF-8).
    public static func canonicalOrder(_ a: String, _ b: String) -> Bool { JSONObject.precedes(a, b) }

    func write(to out: inout [UInt8], indent: Int?, level: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.rounded() == d, abs(d) < 1e15 { out.append(contentsOf: String(Int64(d)).utf8) } else { out.append(contentsOf: "\(d)".utf8) }
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let elements):
            if elements.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (n, element) in elements.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(&out, indent: indent, level: level + 1)
                element.write(to: &out, indent: indent, level: level + 1)
            }
            Self.newline(&out, indent: indent, level: level)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            // Already in canonical order (`JSONObject`).
            for (n, pair) in members.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(&out, indent: indent, level: level + 1)
                Self.writeString(pair.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(0x20) }
                pair.value.write(to: &out, indent: indent, level: level + 1)
            }
            Self.newline(&out, indent: indent, level: level)
            out.append(UInt8(ascii: "}"))
        }
    }

    static func newline(_ out: inout [UInt8], indent: Int?, level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent * level))
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Runs that need no escape are copied whole, straight from the string's UTF-8.
        var text = s
        text.withUTF8 { bytes in
            var start = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                switch b {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
