/// Why a text is not an acceptable unified social credit code.
///
/// Every case carries the code as it was read (after normalisation) so that a message shown to a
/// bureau operator names the record; callers that need to react to a reason `switch` on the case.
public enum USCCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing was left after normalisation.
    case empty
    /// The code does not have 18 characters.
    case wrongLength(code: String, length: Int)
    /// A character outside `0123456789ABCDEFGHJKLMNPQRTUWXY`; `position` counts from 1.
    case invalidCharacter(code: String, character: Character, position: Int)
    /// Positions 3–8 must be the six digits of the registering authority's division code.
    case divisionNotDigits(code: String, division: String)
    /// The final check character (position 18, GB 32100 mod 31) does not match.
    case checkCharacterMismatch(code: String, expected: Character, found: Character)
    /// The check character of the embedded organisation code (position 17, GB 11714) does not match.
    case orgCodeCheckMismatch(code: String, expected: Character, found: Character)
    /// Prefix `92`: an individual business (个体工商户), which is not an enterprise.
    case individualBusiness(code: String)

    public var description: String {
        switch self {
        case .empty:
            return "credit code is empty"
        case .wrongLength(let code, let length):
            return "credit code \(code): has \(length) characters, expected 18"
        case .invalidCharacter(let code, let character, let position):
            let hint = "IOSVZ".contains(character) ? " (I, O, S, V and Z are never used)" : ""
            return "credit code \(code): invalid character '\(character)' at position \(position)\(hint)"
        case .divisionNotDigits(let code, let division):
            return "credit code \(code): positions 3-8 (\(division)) must be the six digits of a division code"
        case .checkCharacterMismatch(let code, let expected, let found):
            return "credit code \(code): check character is \(found), expected \(expected)"
        case .orgCodeCheckMismatch(let code, let expected, let found):
            return "credit code \(code): organisation-code check character (position 17) is \(found), expected \(expected)"
        case .individualBusiness(let code):
            return "credit code \(code): prefix 92 is an individual business (个体工商户), not an enterprise"
        }
    }
}
