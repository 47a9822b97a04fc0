/// A unified social credit code (统一社会信用代码, GB 32100-2015), the key of every enterprise record.
///
/// A value of this type is always valid and in canonical form (18 upper-case ASCII characters),
/// because the only ways to get one are `init(_:)`, which normalises and checks both check
/// characters, and `make(prefix:division:organizationBody:)`, which computes them. For example:
///
/// ```swift
/// let code = try USCC("９１４１１２８１-０７１３７４１８１４")   // full-width and hyphens are fine
/// code.rawValue                                           // "914112810713741814"
/// ```
///
/// The division in positions 3–8 is where the enterprise was first registered and never changes,
/// even when it moves: never derive the owning region from it.
public struct USCC: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The canonical 18-character code.
    public let rawValue: String

    /// Only for codes already known to be valid and canonical.
    init(validated rawValue: String) {
        self.rawValue = rawValue
    }

    /// Normalises `text` (see `normalize(_:)`) and checks it: 18 characters of the credit code
    /// alphabet, six digits in positions 3–8, the organisation-code check (position 17), the final
    /// mod-31 check (position 18), and not an individual business (prefix 92).
    public init(_ text: String) throws(USCCError) {
        var code = Self.normalize(text)
        // A valid code (the usual case) is checked over its bytes where they are; what is wrong
        // with any other is found and named below.
        if code.withUTF8(Self.isValid) {
            self.rawValue = code
            return
        }
        let bytes = Array(code.utf8)
        guard !code.isEmpty else { throw .empty }
        // Eighteen bytes of the alphabet (the usual case) are eighteen characters of it: checked
        // over the bytes. Walking the characters (grapheme by grapheme) was a tenth of reading a
        // record; it is left for naming what is wrong.
        if bytes.count != 18 || !bytes.allSatisfy({ USCCAlgorithm.value31($0) != nil }) {
            guard code.count == 18 else { throw .wrongLength(code: code, length: code.count) }
            for (offset, character) in code.enumerated() {
                guard let ascii = character.asciiValue, USCCAlgorithm.value31(ascii) != nil else {
                    throw .invalidCharacter(code: code, character: character, position: offset + 1)
                }
            }
        }
        // Every character is ASCII from here on, so `bytes` has 18 elements that line up with them.
        let division = bytes[2..<8]
        guard division.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .divisionNotDigits(code: code, division: String(decoding: division, as: UTF8.self))
        }
        // The final check covers all 17 characters, so it is the one that names a typo anywhere.
        if let expected = USCCAlgorithm.checkCharacter(bytes[0..<17]), expected != bytes[17] {
            throw .checkCharacterMismatch(
                code: code, expected: Character(Unicode.Scalar(expected)), found: Character(Unicode.Scalar(bytes[17])))
        }
        if let expected = USCCAlgorithm.organizationCheckCharacter(bytes[8..<16]), expected != bytes[16] {
            throw .orgCodeCheckMismatch(
                code: code, expected: Character(Unicode.Scalar(expected)), found: Character(Unicode.Scalar(bytes[16])))
        }
        if bytes[0] == UInt8(ascii: "9"), bytes[1] == UInt8(ascii: "2") { throw .individualBusiness(code: code) }
        self.rawValue = code
    }

    /// Whether `bytes` are a valid canonical code: every check of `init(_:)`, none of its messages.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 18, bytes.allSatisfy({ USCCAlgorithm.value31($0) != nil }),
              bytes[2..<8].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              USCCAlgorithm.checkCharacter(bytes[0..<17]) == bytes[17],
              USCCAlgorithm.organizationCheckCharacter(bytes[8..<16]) == bytes[16] else { return false }
        return !(bytes[0] == UInt8(ascii: "9") && bytes[1] == UInt8(ascii: "2"))
    }

    /// The form codes are stored and compared in: surrounding and inner white space, zero-width
    /// characters and hyphens (ASCII, full-width and Unicode dashes) removed, full-width characters
    /// turned into ASCII, letters upper-cased. People paste codes from PDFs, spreadsheets and
    /// Chinese input methods; all of these must land on the same key.
    public static func normalize(_ text: String) -> String {
        // A code already in canonical form (upper-case letters and digits) is the common case:
        // nothing to take out or convert.
        if text.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }) {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            var value = scalar.value
            if (0xFF01...0xFF5E).contains(value) { value -= 0xFEE0 }  // full-width ASCII block
            switch value {
            case 0x2D, 0x2010...0x2015, 0x2212, 0xFE63, 0x200B...0x200D, 0x2060, 0xFEFF: continue
            case 0x61...0x7A: value -= 0x20
            default: break
            }
            guard let normalized = Unicode.Scalar(value) else { continue }
            if normalized.properties.isWhitespace { continue }
            out.append(normalized)
        }
        return String(out)
    }

    /// Things a reviewer should look at in a valid code; none of them makes the code invalid.
    public var warnings: [String] {
        // An enterprise (91) first registered in Henan (41…), the usual code, has none.
        var code = rawValue
        if code.withUTF8({ $0.starts(with: "9141".utf8) }) { return [] }
        var notes: [String] = []
        let bytes = Array(rawValue.utf8)
        if bytes[0] != UInt8(ascii: "9") {
            notes.append(
                "credit code \(rawValue): registration authority \(Character(Unicode.Scalar(bytes[0]))) is not market supervision (9); this is not a registered company")
        } else if bytes[1] == UInt8(ascii: "3") {
            notes.append("credit code \(rawValue): prefix 93 is a farmers' cooperative (农民专业合作社), not a company")
        } else if bytes[1] != UInt8(ascii: "1") {
            notes.append("credit code \(rawValue): category \(Character(Unicode.Scalar(bytes[1]))) under market supervision is not an enterprise (91)")
        }
        if !registrationDivision.hasPrefix("41") {
            notes.append(
                "credit code \(rawValue): registered in division \(registrationDivision), outside Henan; the enterprise moved in")
        }
        return notes
    }

    /// Positions 3–8: the division of the authority that first registered the enterprise.
    public var registrationDivision: String { String(decoding: rawValue.utf8.dropFirst(2).prefix(6), as: UTF8.self) }

    /// Positions 9–17: the GB 11714 organisation code (with its own check character), the part
    /// that links a record to legacy 9-character organisation codes.
    public var organizationCode: String { String(decoding: rawValue.utf8.dropFirst(8).prefix(9), as: UTF8.self) }

    /// Positions 3–17: the legacy 15-character taxpayer ID (division + organisation code), for
    /// linking records that were entered with the old identifier.
    public var legacyTaxpayerID: String { String(decoding: rawValue.utf8.dropFirst(2).prefix(15), as: UTF8.self) }

    public var description: String { rawValue }

    public static func < (lhs: USCC, rhs: USCC) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Builds a valid code from its parts, computing both check characters: for sample
    /// generators and tests, so that fixtures are computed rather than typed by hand.
    ///
    /// `prefix` is two characters of the credit code alphabet, `division` six digits and
    /// `organizationBody` eight characters of the credit code alphabet. The parts are the caller's
    /// constants, not input; a malformed part is a programming error and traps. The prefix is not
    /// judged, so `make(prefix: "92", …)` gives a well-formed code that `init(_:)` rejects.
    public static func make(prefix: String = "91", division: String, organizationBody: String) -> USCC {
        let head = Array(prefix.utf8) + Array(division.utf8) + Array(organizationBody.utf8)
        precondition(prefix.utf8.count == 2 && division.utf8.count == 6 && organizationBody.utf8.count == 8,
                     "USCC.make: expected 2 + 6 + 8 characters, got \(prefix)|\(division)|\(organizationBody)")
        precondition(head.allSatisfy { USCCAlgorithm.value31($0) != nil }
                     && division.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") },
                     "USCC.make: \(prefix)\(division)\(organizationBody) has characters outside the credit code alphabet")
        guard let orgCheck = USCCAlgorithm.organizationCheckCharacter(head[8..<16]) else {
            preconditionFailure("USCC.make: body \(organizationBody) is not in the 36-character set")
        }
        let first17 = head + [orgCheck]
        guard let check = USCCAlgorithm.checkCharacter(first17) else {
            preconditionFailure("USCC.make: \(prefix)\(division)\(organizationBody) is not in the credit code alphabet")
        }
        return USCC(validated: String(decoding: first17 + [check], as: UTF8.self))
    }
}
