/// "Above designated size" (规模以上) status, decided by the statistics system and mirrored by
/// the province: main business revenue of at least 20 million yuan for an industrial enterprise.
public struct AboveDesignatedSize: Sendable, Equatable {
    /// The month the enterprise entered the statistics list, `YYYY-MM`.
    public var since: String
    /// Members this version does not know (and known ones written as null).
    public var extra: JSONObject

    public init(since: String, extra: JSONObject = [:]) {
        self.since = since
        self.extra = extra
    }

    static let knownKeys: Set<String> = ["since"]

    /// The object as stored: `extra` with the known members written over it.
    public var json: JSONValue {
        var members = extra
        members["since"] = .string(since)
        return .object(members)
    }

    init?(reading members: JSONObject, at path: String, into reader: inout RecordReader) {
        let field = RecordReader.path(path, "since")
        guard let value = reader.required(members["since"], at: field), let since = reader.string(value, at: field) else { return nil }
        guard DateText.isYearMonth(since) else {
            reader.error(field, "\"\(since)\" is not a month of the form YYYY-MM")
            return nil
        }
        self.init(since: since, extra: reader.leftovers(members, known: Self.knownKeys))
    }
}
