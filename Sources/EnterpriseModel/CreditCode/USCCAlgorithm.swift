/// The two check-character computations of a credit code, kept apart from `USCC` so that
/// validation and `USCC.make` share one copy.
///
/// GB 32100 and GB 11714 value letters differently: the final check uses the 31-character credit
/// code alphabet (A=10 … Y=30, skipping I, O, S, V, Z), the organisation-code check the full
/// 36-character set (A=10 … Z=35). Mixing them up fails about a third of real codes.
enum USCCAlgorithm {
    /// The credit code alphabet in value order.
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)

    /// W_i = 3^(i-1) mod 31 for i = 1…17.
    static let weights: [Int] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// GB 11714 weights for the eight body characters of the organisation code.
    static let organizationWeights: [Int] = [3, 7, 9, 10, 5, 8, 4, 2]

    /// Value of an ASCII byte in the 31-character alphabet, or nil when it is not in it.
    static func value31(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        default: return alphabet.firstIndex(of: byte)
        }
    }

    /// Value of an ASCII digit or upper-case letter in the 36-character set (GB 11714).
    static func value36(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// The check character (position 18) of the first 17 characters, or nil if one is not in the alphabet.
    static func checkCharacter(_ first17: some Collection<UInt8>) -> UInt8? {
        var sum = 0
        for (byte, weight) in zip(first17, weights) {
            guard let v = value31(byte) else { return nil }
            sum += v * weight
        }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// The organisation-code check character (position 17) of the 8 body characters (positions 9–16).
    static func organizationCheckCharacter(_ body: some Collection<UInt8>) -> UInt8? {
        var sum = 0
        for (byte, weight) in zip(body, organizationWeights) {
            guard let v = value36(byte) else { return nil }
            sum += v * weight
        }
        switch 11 - sum % 11 {
        case 10: return UInt8(ascii: "X")
        case 11: return UInt8(ascii: "0")
        case let digit: return UInt8(ascii: "0") + UInt8(digit)
        }
    }
}
