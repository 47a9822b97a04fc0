/// One payment or relief an enterprise received under a provincial policy (the 30 bail-out
/// measures, the 10 "grow above designated size" measures, the 20 SRDI measures, …).
public struct SupportMeasure: Sendable, Equatable {
    /// What it was, as the bureau names it, e.g. "小升规奖励".
    public var measure: String
    /// The amount in whole yuan.
    public var amountYuan: Int64
    /// The day it was granted or paid, `YYYY-MM-DD`.
    public var date: String
    /// Members this version does not know (and known ones written as null).
    public var extra: JSONObject

    public init(measure: String, amountYuan: Int64, date: String, extra: JSONObject = [:]) {
        self.measure = measure
        self.amountYuan = amountYuan
        self.date = date
        self.extra = extra
    }

    static let knownKeys: Set<String> = ["measure", "amountYuan", "date"]

    /// The object as stored: `extra` with the known members written over it.
    public var json: JSONValue {
        var members = extra
        members["measure"] = .string(measure)
        members["amountYuan"] = .int(amountYuan)
        members["date"] = .string(date)
        return .object(members)
    }

    init?(reading members: JSONObject, at path: @autoclosure () -> String, into reader: inout RecordReader) {
        let before = reader.errorCount
        func field(_ key: String) -> String { RecordReader.path(path(), key) }
        let measure = reader.required(members["measure"], at: field("measure")).flatMap { reader.nonEmptyString($0, at: field("measure")) }
        let amount = reader.required(members["amountYuan"], at: field("amountYuan")).flatMap { reader.integer($0, at: field("amountYuan")) }
        let date = reader.required(members["date"], at: field("date")).flatMap { reader.date($0, at: field("date")) }
        guard reader.errorCount == before, let measure, let amount, let date else { return nil }
        self.init(measure: measure, amountYuan: amount, date: date, extra: reader.leftovers(members, known: Self.knownKeys))
    }
}
