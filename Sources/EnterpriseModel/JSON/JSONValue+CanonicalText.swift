extension JSONValue {
    /// The canonical text (`canonicalBytes`) of the JSON in `text`, made from `text` itself by
    /// leaving out the whitespace between tokens, when that is provably what encoding the parsed
    /// value would give; nil when it is not, or when this check cannot tell. A caller then parses
    /// and encodes (`JSONValue.parse(text).canonicalBytes()`): nil never means the text is wrong.
    ///
    /// Most texts a sender made canonical, or a record file the agent wrote (the same order,
    /// indented), pass; encoding them again was a tenth of a first upload on each side.
    ///
    /// Taken as canonical:
    /// - members in strictly increasing order of their names' bytes, the names plain ASCII
    ///   without escapes (two names that differ in bytes may be the same Swift string: é and
    ///   e + U+0301 are one dictionary key, so a non-ASCII name is left to the encoder);
    /// - strings of valid UTF-8 with exactly the escapes the canonical text writes (`\"`, `\\`,
    ///   `\n`, `\r`, `\t`, and `\u00xx` in lower-case hex for the other bytes below 0x20) and
    ///   no other;
    /// - integers without a sign on zero, leading zeros, fraction or exponent, of at most 18
    ///   digits (any other number is left to the encoder: a double's text is Swift's);
    /// - `true`, `false`, `null`; at most 64 levels deep.
    public static func canonicalText(of text: some Collection<UInt8>) -> [UInt8]? {
        func check(_ buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
            var check = CanonicalTextCheck(buffer)
            return check.run()
        }
        return text.withContiguousStorageIfAvailable(check) ?? Array(text).withUnsafeBufferPointer(check)
    }
}

extension JSONValue {
    /// How a text parsed stands to its value's canonical text (`canonicalBytes`), by the rules
    /// of `canonicalText(of:)`.
    public enum TextForm: Sendable, Hashable {
        /// The text is the canonical text.
        case canonical
        /// The text is the canonical text with white space between its tokens (a record file
        /// the agent wrote, indented).
        case canonicalSpaced
        /// Anything else (members out of order, escapes or numbers written otherwise…): the
        /// value must be encoded for its canonical text.
        case other
    }

    /// Parses `bytes` as `parse(_:)` does, telling in the same pass how they stand to the
    /// canonical text: what `canonicalText(of:)` would find walking them again.
    public static func parseNotingForm(_ bytes: [UInt8]) throws(JSONParseError) -> (value: JSONValue, form: TextForm) {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.parseDocument()
        return (value, parser.nonCanonical > 0 ? .other : parser.spaceRuns > 0 ? .canonicalSpaced : .canonical)
    }

    /// Parses `bytes` and gives the value's canonical text when it is `bytes` (or `bytes`
    /// without their white space), as `canonicalText(of:)` does; nil otherwise (then encode).
    /// The white space is left out where the parse found it: walking the text again for it, a
    /// string at a time, was 3 % of the agent's first upload of 100,000 indented record files.
    public static func parseKeepingCanonical(_ bytes: [UInt8]) throws(JSONParseError) -> (value: JSONValue, canonical: [UInt8]?) {
        var parser = JSONParser(bytes: bytes)
        parser.notingSpaces = true
        parser.spaces.reserveCapacity(128)  // (an indented record's: about 60 runs)
        let value = try parser.parseDocument()
        if parser.nonCanonical > 0 { return (value, nil) }
        return (value, parser.spaceRuns == 0 ? bytes : parser.textWithoutSpaces())
    }
}

extension JSONParser {
    /// The text without the runs of white space `spaces` holds (parsed with `notingSpaces`).
    func textWithoutSpaces() -> [UInt8] {
        var removed = 0
        for k in stride(from: 0, to: spaces.count, by: 2) { removed += spaces[k + 1] - spaces[k] }
        return bytes.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: source.count - removed) { out, count in
                count = 0
                guard let from = source.baseAddress, let to = out.baseAddress else { return }
                var start = 0
                func copy(upTo end: Int) {
                    guard end > start else { return }
                    (to + count).initialize(from: from + start, count: end - start)
                    count += end - start
                }
                for k in stride(from: 0, to: spaces.count, by: 2) {
                    copy(upTo: spaces[k])
                    start = spaces[k + 1]
                }
                copy(upTo: source.count)
            }
        }
    }

    /// Whether the four hex digits at `at` make the only `\u` escape of the canonical text
    /// (`JSONValue.isCanonicalControlEscape`).
    func isCanonicalControlEscape(at: Int) -> Bool {
        at + 4 <= bytes.count && JSONValue.isCanonicalControlEscape(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3])
    }
}

extension JSONValue {
    /// Whether the four hex digits of a `\u` escape are `00` and two lower-case ones naming a
    /// byte below 0x20 that has no short escape: the only `\u` escape of the canonical text.
    static func isCanonicalControlEscape(_ d0: UInt8, _ d1: UInt8, _ d2: UInt8, _ d3: UInt8) -> Bool {
        func lowerHex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        guard d0 == UInt8(ascii: "0"), d1 == UInt8(ascii: "0"), let high = lowerHex(d2), let low = lowerHex(d3) else { return false }
        let code = high << 4 | low
        return code < 0x20 && code != 0x0A && code != 0x0D && code != 0x09
    }
}

/// One pass over a JSON text: copies its tokens to `out` and checks each is in canonical form.
private struct CanonicalTextCheck {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    var out: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        out.reserveCapacity(bytes.count)
    }

    mutating func run() -> [UInt8]? {
        guard value(depth: 0) else { return nil }
        skipSpace()
        return i == bytes.count ? out : nil
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) -> Bool {
        skipSpace()
        guard i < bytes.count, depth < JSONValue.maximumDepth else { return false }
        switch bytes[i] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string(name: false)
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return integer()
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { return false }
        for k in 0..<count where bytes[i + k] != word.utf8Start[k] { return false }
        out.append(contentsOf: UnsafeBufferPointer(start: word.utf8Start, count: count))
        i += count
        return true
    }

    mutating func integer() -> Bool {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
        let count = i - digits
        guard count >= 1, count <= 18 else { return false }
        // No leading zero, no -0, and nothing of a fraction or an exponent after it.
        if bytes[digits] == UInt8(ascii: "0"), count > 1 || digits > start { return false }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return false }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        return true
    }

    /// Past the opening bracket at `i`: whether the array or object is empty (its closing
    /// bracket taken too).
    mutating func opens(closing: UInt8) -> Bool {
        out.append(bytes[i])
        i += 1
        skipSpace()
        guard i < bytes.count, bytes[i] == closing else { return false }
        out.append(closing)
        i += 1
        return true
    }

    /// After an element or member: true at the closing bracket, false at a comma (another
    /// follows), nil when the text is malformed.
    mutating func closes(_ closing: UInt8) -> Bool? {
        skipSpace()
        guard i < bytes.count, bytes[i] == closing || bytes[i] == UInt8(ascii: ",") else { return nil }
        out.append(bytes[i])
        i += 1
        return bytes[i - 1] == closing
    }

    mutating func array(depth: Int) -> Bool {
        if opens(closing: UInt8(ascii: "]")) { return true }
        while true {
            guard value(depth: depth + 1), let closed = closes(UInt8(ascii: "]")) else { return false }
            if closed { return true }
        }
    }

    mutating func object(depth: Int) -> Bool {
        if opens(closing: UInt8(ascii: "}")) { return true }
        var previous: Range<Int>?
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return false }
            let start = out.count + 1
            guard string(name: true) else { return false }
            let name = start..<(out.count - 1)
            if let previous, !out[previous].lexicographicallyPrecedes(out[name]) { return false }
            previous = name
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return false }
            out.append(UInt8(ascii: ":"))
            i += 1
            guard value(depth: depth + 1), let closed = closes(UInt8(ascii: "}")) else { return false }
            if closed { return true }
        }
    }

    /// A string from its opening quote; `name`: a member name (plain ASCII, no escape).
    mutating func string(name: Bool) -> Bool {
        out.append(UInt8(ascii: "\""))
        i += 1
        // Copied as it is, escapes and all, once its closing quote is found.
        let first = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[first...i]))
                i += 1
                return true
            }
            if b < 0x20 { return false }
            if b == UInt8(ascii: "\\") {
                guard !name, i + 1 < bytes.count else { return false }
                switch bytes[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    // Only \u00xx for a byte below 0x20 that has no short escape, in lower case.
                    guard i + 5 < bytes.count,
                          JSONValue.isCanonicalControlEscape(bytes[i + 2], bytes[i + 3], bytes[i + 4], bytes[i + 5]) else { return false }
                    i += 6
                default:
                    return false
                }
                continue
            }
            if b < 0x80 {
                i += 1
                continue
            }
            guard !name, let length = utf8Sequence(at: i) else { return false }
            i += length
        }
        return false
    }

    /// The length of the valid UTF-8 sequence of two to four bytes at `at` (no overlong form,
    /// no surrogate, nothing past U+10FFFF), or nil.
    func utf8Sequence(at: Int) -> Int? {
        let b0 = bytes[at]
        func continuation(_ k: Int) -> Bool { at + k < bytes.count && bytes[at + k] & 0xC0 == 0x80 }
        switch b0 {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : nil
        case 0xE0...0xEF:
            guard continuation(1), continuation(2) else { return nil }
            let b1 = bytes[at + 1]
            if b0 == 0xE0, b1 < 0xA0 { return nil }  // overlong
            if b0 == 0xED, b1 >= 0xA0 { return nil }  // a surrogate
            return 3
        case 0xF0...0xF4:
            guard continuation(1), continuation(2), continuation(3) else { return nil }
            let b1 = bytes[at + 1]
            if b0 == 0xF0, b1 < 0x90 { return nil }  // overlong
            if b0 == 0xF4, b1 >= 0x90 { return nil }  // past U+10FFFF
            return 4
        default:
            return nil
        }
    }
}
