/// A designation granted for a year: the provincial SRDI list (`srdi`) or MIIT's national
/// little-giant list (`littleGiant`). Both are written by the province, never by a bureau.
public struct Designation: Sendable, Equatable {
    /// The year of the list that granted it.
    public var year: Int
    /// The batch number within that year (MIIT numbers its little-giant batches 第N批).
    public var batch: Int?
    /// The last day of validity, `YYYY-MM-DD`, when the list states it.
    public var validUntil: String?
    /// Members this version does not know (and known ones written as null).
    public var extra: JSONObject

    public init(year: Int, batch: Int? = nil, validUntil: String? = nil, extra: JSONObject = [:]) {
        self.year = year
        self.batch = batch
        self.validUntil = validUntil
        self.extra = extra
    }

    static let knownKeys: Set<String> = ["year", "batch", "validUntil"]

    /// Years outside this range are typing errors, not designations.
    static let plausibleYears: ClosedRange<Int64> = 2000...2100

    /// The object as stored: `extra` with the known members written over it.
    public var json: JSONValue {
        var members = extra
        members["year"] = .int(Int64(year))
        if let batch { members["batch"] = .int(Int64(batch)) }
        if let validUntil { members["validUntil"] = .string(validUntil) }
        return .object(members)
    }

    init?(reading members: JSONObject, at path: String, into reader: inout RecordReader) {
        let before = reader.errorCount
        let yearField = RecordReader.path(path, "year")
        var year: Int64?
        if let value = reader.required(members["year"], at: yearField), let y = reader.integer(value, at: yearField) {
            if Self.plausibleYears.contains(y) {
                year = y
            } else {
                reader.error(yearField, "\(y) is not a plausible year (\(Self.plausibleYears.lowerBound)-\(Self.plausibleYears.upperBound))")
            }
        }
        let batch = reader.integer(members["batch"], at: RecordReader.path(path, "batch"), minimum: 1)
            .flatMap { Int(exactly: $0) }
        let validUntil = reader.date(members["validUntil"], at: RecordReader.path(path, "validUntil"))
        if let year, let validUntil, let untilYear = DateText.year(of: validUntil), Int64(untilYear) < year {
            reader.error(RecordReader.path(path, "validUntil"), "\(validUntil) is before the designation year \(year)")
        }
        guard reader.errorCount == before, let year, let yearValue = Int(exactly: year) else { return nil }
        self.init(year: yearValue, batch: batch, validUntil: validUntil, extra: reader.leftovers(members, known: Self.knownKeys))
    }
}
