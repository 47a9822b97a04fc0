/// The person a bureau calls about an enterprise (`contact` in the document).
public struct Contact: Sendable, Equatable {
    /// The contact's name, e.g. "王建国".
    public var person: String?
    /// A mobile or landline number as the bureau wrote it; an odd shape is only a warning.
    public var phone: String?
    /// Members this version does not know (and known ones written as null), kept so that a
    /// bureau tool's additions survive every round trip.
    public var extra: JSONObject

    public init(person: String? = nil, phone: String? = nil, extra: JSONObject = [:]) {
        self.person = person
        self.phone = phone
        self.extra = extra
    }

    static let knownKeys: Set<String> = ["person", "phone"]

    /// The `contact` object: `extra` with the known members written over it.
    public var json: JSONValue {
        var members = extra
        if let person { members["person"] = .string(person) }
        if let phone { members["phone"] = .string(phone) }
        return .object(members)
    }

    init?(reading members: JSONObject, at path: String, into reader: inout RecordReader) {
        let before = reader.errorCount
        let person = reader.string(members["person"], at: RecordReader.path(path, "person"))
        let phone = reader.string(members["phone"], at: RecordReader.path(path, "phone"))
        if let phone, !Self.looksLikePhone(phone) {
            reader.warning(RecordReader.path(path, "phone"), "\"\(phone)\" does not look like a phone number")
        }
        guard reader.errorCount == before else { return nil }
        self.init(person: person, phone: phone, extra: reader.leftovers(members, known: Self.knownKeys))
    }

    /// Digits with the usual separators, 7 to 15 digits (a landline with area code, a mobile, or +86…).
    static func looksLikePhone(_ text: String) -> Bool {
        var digits = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "0"..."9": digits += 1
            case " ", "-", "+", "(", ")": continue
            default: return false
            }
        }
        return (7...15).contains(digits)
    }
}
