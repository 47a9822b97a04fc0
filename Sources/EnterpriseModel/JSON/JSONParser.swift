/// Why a JSON text could not be read, with the line and column where reading stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String

    public var description: String { "line \(line), column \(column): \(reason)" }
}

extension JSONValue {
    /// The deepest nesting accepted; records are three levels deep, so this only stops hostile input.
    public static let maximumDepth = 64

    /// Parses one JSON document (RFC 8259). Integers that fit in 64 bits stay integers.
    ///
    /// For example: `try JSONValue.parse(Array(#"{"employees": 12}"#.utf8))["employees"]` is `.int(12)`.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let buffer = Array(bytes)
        var parser = JSONParser(bytes: buffer)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0
    /// Tokens read that are not in canonical form (`JSONValue.canonicalText(of:)` gives the
    /// rules), and runs of white space between tokens: the text's `TextForm`.
    var nonCanonical = 0
    var spaceRuns = 0
    /// With `notingSpaces` (`JSONValue.parseKeepingCanonical`), where each run of white space
    /// between tokens starts and ends, in turn: the canonical text of a text found spaced is
    /// the bytes between them.
    var notingSpaces = false
    var spaces: [Int] = []
    /// Whether the last string read had an escape, or a byte that is not plain ASCII.
    var stringEscaped = false
    var stringASCII = true
    /// The members of the objects being read whose names came in order, innermost last: an
    /// object's are copied out once, into an array of their number, when it ends. Appended to
    /// an array of its own, a record's twenty members moved five times as it grew (1 % of a
    /// province's first upload).
    var scratch: [JSONObject.Member] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // A UTF-8 byte order mark is tolerated: editors on Windows desktops write one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3
            nonCanonical += 1
        }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count { throw error("unexpected text after the end of the document") }
        return value
    }

    func error(_ reason: String) -> JSONParseError {
        var line = 1
        var column = 1
        for b in bytes[..<min(index, bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JSONParseError(line: line, column: column, reason: reason)
    }

    /// The character that starts at byte `at`, for an error message: `character '洛'` whole,
    /// never one byte of it taken for a character of its own (the first byte of 洛 is 'æ' in
    /// Latin-1); a control character by its code point; a byte that starts no UTF-8 character
    /// as that byte.
    func character(at position: Int) -> String {
        let lead = bytes[position]
        let length = switch lead {
        case 0x00...0x7F: 1
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
        guard length > 0, position + length <= bytes.count,
              let text = String(validating: bytes[position..<position + length], as: UTF8.self), let scalar = text.unicodeScalars.first else {
            return "byte 0x\(String(lead, radix: 16, uppercase: true)) (not UTF-8 text)"
        }
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "control character U+\(String(repeating: "0", count: 4 - hex.count) + hex)"
        }
        return "character '\(text)'"
    }

    mutating func skipWhitespace() {
        let start = index
        defer {
            if index > start {
                spaceRuns += 1
                if notingSpaces {
                    spaces.append(start)
                    spaces.append(index)
                }
            }
        }
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of the document") }
        if depth >= JSONValue.maximumDepth { nonCanonical += 1 }  // (where the canonical check stops)
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected \(character(at: index))")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        guard index + count <= bytes.count, bytes[index..<index + count].elementsEqual(expected) else {
            throw error("invalid literal, expected \(literal)")
        }
        index += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONValue.maximumDepth { throw error("nested deeper than \(JSONValue.maximumDepth) levels") }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(JSONObject()) }
        // While every name so far was plain ASCII, unescaped and after the one before (their
        // bytes compared where they are, not as strings), the members go on `scratch` from
        // `base`; after the first other name, into a builder that sorts and finds names twice.
        let base = scratch.count
        var builder: JSONObjectBuilder?
        var previous: Range<Int>?
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let nameStart = index + 1
            let key = try parseString()
            let plain = !stringEscaped && stringASCII
            if !plain { nonCanonical += 1 }  // a canonical name is plain
            let name = nameStart..<(index - 1)
            if builder == nil, !(plain && (previous.map { bytes[$0].lexicographicallyPrecedes(bytes[name]) } ?? true)) {
                var ordered = JSONObjectBuilder()
                for member in scratch[base...] { ordered.append(inOrder: member.key, member.value) }
                scratch.removeSubrange(base...)
                builder = ordered
            }
            previous = name
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after member name \"\(key)\"") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            if builder == nil {
                scratch.append(JSONObject.Member(key: key, value: value))
            } else if !builder!.add(key, value) {
                throw error("member \"\(key)\" appears twice")
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of the document inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                guard let builder else {
                    let members = Array(scratch[base...])
                    scratch.removeSubrange(base...)
                    return .object(JSONObject(ordered: members, hasNonASCIIName: false))
                }
                if !builder.inCanonicalOrder { nonCanonical += 1 }
                return .object(builder.build())
            }
            throw error("expected ',' or '}' after member \"\(key)\"")
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of the document inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw error("expected ',' or ']' in an array")
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var ascii = true
        stringEscaped = false
        defer { stringASCII = ascii }
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let end = index
                index += 1
                return try text(of: start..<end, ascii: ascii)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in a string (write it as an escape)") }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        var out: [UInt8] = Array(bytes[start..<index])
        stringEscaped = true
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard let s = Self.validText(out) else { throw error("string is not valid UTF-8") }
                return s
            }
            if b < 0x20 { throw error("control character in a string (write it as an escape)") }
            if b != UInt8(ascii: "\\") {
                if b >= 0x80 { ascii = false }
                out.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F); nonCanonical += 1
            case UInt8(ascii: "b"): out.append(0x08); nonCanonical += 1
            case UInt8(ascii: "f"): out.append(0x0C); nonCanonical += 1
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                // Canonical only as \u00xx in lower case, for a byte below 0x20 without a short escape.
                if !isCanonicalControlEscape(at: index) { nonCanonical += 1 }
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired UTF-16 surrogate in \\u escape")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired UTF-16 surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape: \\ before \(character(at: index - 1))")
            }
        }
        throw error("unterminated string")
    }

    /// The text of the string's bytes in `range`, checked as UTF-8 and made in one pass by the
    /// standard library's own core for it (`String._tryFromUTF8`, public and underscored: what
    /// `String(validating:as:)` calls for UTF-8, without that generic entry point's look-ups of
    /// type metadata, a quarter of the parse of a record). Before, the parser's own check and
    /// then `String(decoding:)` each went over the bytes: 1–2 % of a first upload on each side.
    /// (`ascii`: no byte above 0x7F, which needs no check.)
    func text(of range: Range<Int>, ascii: Bool) throws(JSONParseError) -> String {
        let text = bytes.withUnsafeBufferPointer { buffer -> String? in
            let part = UnsafeBufferPointer(rebasing: buffer[range])
            return ascii ? String(decoding: part, as: UTF8.self) : String._tryFromUTF8(part)
        }
        guard let text else { throw error("string is not valid UTF-8") }
        return text
    }

    static func validText(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { String._tryFromUTF8($0) }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v * 16 + d
            index += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw error("invalid number: leading zero") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number: digit expected after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number: digit expected in exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Canonical: an integer of at most 18 digits, and no -0.
        let digits = index - start - (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
        if !isInteger || digits > 18 || (digits == 1 && bytes[start] == UInt8(ascii: "-") && bytes[index - 1] == UInt8(ascii: "0")) {
            nonCanonical += 1
        }
        // An integer of at most 18 digits (every count and amount of a record) is read from
        // its bytes: no text is made for it, and it cannot overflow.
        if isInteger, digits <= 18 {
            let negative = bytes[start] == UInt8(ascii: "-")
            var value: Int64 = 0
            for digit in bytes[(negative ? start + 1 : start)..<index] { value = value * 10 + Int64(digit &- UInt8(ascii: "0")) }
            return .int(negative ? -value : value)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw error("number out of range") }
        return .double(d)
    }

    /// The character that starts at `position`, all of its UTF-8 bytes: a message shows `'洛'`,
    /// never its first byte as `'æ'`. Nil when no valid character starts there.
    func character(at position: Int) -> String? {
        let lead = bytes[position]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard length > 0, position + length <= bytes.count else { return nil }
        return String(validating: bytes[position..<position + length], as: UTF8.self)
    }

    func hex(_ byte: UInt8) -> String {
        (byte < 0x10 ? "0x0" : "0x") + String(byte, radix: 16, uppercase: true)
    }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
