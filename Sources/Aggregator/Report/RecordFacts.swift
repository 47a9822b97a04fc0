import EnterpriseModel
import Foundation
import SyncCore

/// What the report needs of one record, computed in Swift from the document the writer has in
/// hand, so that a report over a million records reads a few hundred rows of totals instead of a
/// million documents, and a write parses no document again:
///
/// - `record_facts`: one narrow row per record with the fields the report looks at and its two
///   validation warnings;
/// - `report_totals`: per region, size class and status, how many live records there are, how
///   many hold each designation and how many carry each warning;
/// - `measure_totals`: per region, kind of support measure and year, how many measures and what
///   amount;
/// - `designation_values`: every designation value a record ever held (and when first), which
///   tells a new designation from a renewal without reading history.
///
/// Each value is what SQLite's `json_extract` gave the triggers that computed these until
/// migration v19 (and what the migrations still compute for records stored before): a JSON
/// string is text, a number a number, true and false 1 and 0, an object or array its JSON text;
/// the columns' affinity then applies (`RecordFactsTests` compares both on odd documents).
struct RecordFacts: Sendable, Equatable {
    /// A value as the SQL columns hold it.
    enum Value: Sendable, Hashable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)

        /// `json_extract` of a member.
        init(json: JSONValue?) {
            switch json {
            case nil, .null?: self = .null
            case .bool(let b)?: self = .integer(b ? 1 : 0)
            case .int(let i)?: self = .integer(i)
            case .double(let d)?: self = .real(d)
            case .string(let s)?: self = .text(s)
            case let structure?: self = .text(structure.canonicalString)
            }
        }

        /// As stored in a column of INTEGER affinity: text that reads as a number becomes one,
        /// a real without a fraction an integer.
        var integerAffinity: Value {
            switch self {
            case .real(let d) where d.rounded() == d && abs(d) < 9.2e18: return .integer(Int64(d))
            case .text(let s):
                let trimmed = s.trimmingCharacters(in: .whitespaces)
                if let i = Int64(trimmed) { return .integer(i) }
                if let d = Double(trimmed), d.isFinite, !trimmed.isEmpty, trimmed.allSatisfy({ "0123456789+-.eE".contains($0) }) {
                    return Value.real(d).integerAffinity
                }
                return self
            default: return self
            }
        }

        /// As stored in a column of TEXT affinity: numbers become their text.
        var textAffinity: Value {
            switch self {
            case .integer(let i): return .text(String(i))
            case .real(let d): return .text(Self.sqliteText(d))
            default: return self
            }
        }

        /// SQLite's text of a real ("%!.15g").
        static func sqliteText(_ d: Double) -> String {
            var text = String(format: "%.15g", d)
            if !text.contains(".") && !text.contains("e") && !text.contains("n") && !text.contains("i") { text += ".0" }
            return text
        }

        var text: String? { if case .text(let s) = self { return s } else { return nil } }
        var isNull: Bool { self == .null }

        /// SQLite's `self >= number`: nil when null; text sorts after every number.
        func atLeast(_ number: Int64) -> Bool? {
            switch self {
            case .null: return nil
            case .integer(let i): return i >= number
            case .real(let d): return d >= Double(number)
            case .text: return true
            }
        }
    }

    var uscc: String
    var region: String
    var deleted: Bool
    var name: Value
    var sizeClass: Value
    var status: Value
    var industry: Value
    var employees: Value
    var revenueYuan: Value
    var aboveSince: Value
    var srdiYear: Value
    var littleGiantYear: Value
    /// The support measures' JSON text, when the record has any.
    var measures: Value
    var revenueWarning: Bool
    var sizeWarning: Bool
    /// The support measures by kind and year, as `measure_totals` counts them.
    var measureTotals: [MeasureKey: MeasureTotals] = [:]

    init(uscc: String, region: String, deleted: Bool, document: JSONValue) {
        self.uscc = uscc
        self.region = region
        self.deleted = deleted
        name = Value(json: document["name"]).textAffinity
        sizeClass = Value(json: document["sizeClass"]).textAffinity
        let status = Value(json: document["status"])
        self.status = (status.isNull ? .text("active") : status).textAffinity
        industry = Value(json: document["industry"]).textAffinity
        employees = Value(json: document["employees"]).integerAffinity
        revenueYuan = Value(json: document["revenueYuan"]).integerAffinity
        aboveSince = Value(json: document["aboveDesignatedSize"]?["since"]).textAffinity
        srdiYear = Value(json: document["srdi"]?["year"]).integerAffinity
        littleGiantYear = Value(json: document["littleGiant"]?["year"]).integerAffinity
        if case .array(let list)? = document["supportMeasures"], !list.isEmpty {
            measures = .text(JSONValue.array(list).canonicalString)
            measureTotals = Self.measureTotals(list, region: region)
        } else {
            measures = .null
        }
        let industrial = industry.text.map { $0.first.map { "BCD".contains($0) } ?? false }
        // (revenue_yuan >= 20000000 AND industrial AND above_since IS NULL) IS 1
        revenueWarning = revenueYuan.atLeast(RecordValidator.aboveDesignatedSizeRevenueYuan) == true && industrial == true && aboveSince.isNull
        // (size_class, employees and revenue known AND (no industry OR industrial) AND the stated
        // class is not the computed one) IS 1
        if let stated = sizeClass.text, !employees.isNull, !revenueYuan.isNull,
           industry.isNull || industrial == true {
            sizeWarning = stated != Self.computedSizeClass(employees: employees, revenueYuan: revenueYuan)
        } else {
            sizeWarning = false
        }
    }

    /// The size class under the 2011 industrial standard (`RecordValidator.sizeClass`) of
    /// values as the columns hold them (text sorts after every number, as in SQLite).
    static func computedSizeClass(employees: Value, revenueYuan: Value) -> String {
        func both(_ e: Int64, _ r: Int64) -> Bool { employees.atLeast(e) == true && revenueYuan.atLeast(r) == true }
        if both(1000, 400_000_000) { return "large" }
        if both(300, 20_000_000) { return "medium" }
        if both(20, 3_000_000) { return "small" }
        return "micro"
    }

    /// The top-level fields the facts are computed from.
    static let inputs: Set<String> = ["name", "sizeClass", "status", "industry", "employees", "revenueYuan", "aboveDesignatedSize", "srdi",
                                      "littleGiant", "supportMeasures"]

    /// Whether a revision can change the record's facts: a new record, one deleted, moved or
    /// brought back, or an edit of a field in `inputs`.
    static func mayChange(kind: WritePlan.Revision.Kind, previous: StoredRecord?, region: String, changedFields: [String]) -> Bool {
        guard kind == .update, let previous, previous.region == region, !previous.deleted else { return true }
        return changedFields.contains { FieldPath.components($0).first.map(inputs.contains) ?? true }
    }

    /// The facts' share of `report_totals` (none for a deleted record).
    struct TotalsKey: Hashable, Sendable {
        var region: String
        var sizeClass: String
        var status: String
    }

    struct Totals: Sendable, Equatable {
        var records = 0
        var aboveScale = 0
        var srdi = 0
        var littleGiant = 0
        var revenueWarnings = 0
        var sizeWarnings = 0

        static func += (lhs: inout Totals, rhs: Totals) {
            lhs.records += rhs.records
            lhs.aboveScale += rhs.aboveScale
            lhs.srdi += rhs.srdi
            lhs.littleGiant += rhs.littleGiant
            lhs.revenueWarnings += rhs.revenueWarnings
            lhs.sizeWarnings += rhs.sizeWarnings
        }
        var negated: Totals {
            Totals(records: -records, aboveScale: -aboveScale, srdi: -srdi, littleGiant: -littleGiant,
                   revenueWarnings: -revenueWarnings, sizeWarnings: -sizeWarnings)
        }
    }

    /// A row of `measure_totals`. Its texts compare as their bytes, as the table's key does: a
    /// measure named twice in forms Swift takes as one string (é and e + U+0301) is two rows
    /// there, and hashing by bytes skips the normalisation a Chinese name costs.
    struct MeasureKey: Hashable, Sendable {
        var region: String
        var measure: String
        var year: String

        static func == (a: MeasureKey, b: MeasureKey) -> Bool {
            JSONObject.sameBytes(a.measure, b.measure) && JSONObject.sameBytes(a.year, b.year) && JSONObject.sameBytes(a.region, b.region)
        }

        func hash(into hasher: inout Hasher) {
            func combine(_ text: String) {
                var text = text
                text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
                hasher.combine(0xFF as UInt8)  // (no text holds it: UTF-8 never does)
            }
            combine(region)
            combine(measure)
            combine(year)
        }
    }

    struct MeasureTotals: Sendable, Equatable {
        var count: Int64 = 0
        var amountYuan: Int64 = 0

        mutating func add(_ amount: Int64) {
            count += 1
            amountYuan += amount
        }

        static func += (lhs: inout MeasureTotals, rhs: MeasureTotals) {
            lhs.count += rhs.count
            lhs.amountYuan += rhs.amountYuan
        }

        static func -= (lhs: inout MeasureTotals, rhs: MeasureTotals) {
            lhs.count -= rhs.count
            lhs.amountYuan -= rhs.amountYuan
        }
    }

    private static func text(of value: Value) -> String {
        switch value.textAffinity {
        case .text(let s): s
        default: ""
        }
    }

    var totalsKey: TotalsKey { TotalsKey(region: region, sizeClass: Self.text(of: sizeClass), status: Self.text(of: status)) }

    var totals: Totals {
        Totals(records: 1, aboveScale: aboveSince.isNull ? 0 : 1, srdi: srdiYear.isNull ? 0 : 1, littleGiant: littleGiantYear.isNull ? 0 : 1,
               revenueWarnings: revenueWarning ? 1 : 0, sizeWarnings: sizeWarning ? 1 : 0)
    }

    static func measureTotals(_ list: [JSONValue], region: String) -> [MeasureKey: MeasureTotals] {
        var totals: [MeasureKey: MeasureTotals] = [:]
        for element in list {
            let measure = text(of: Value(json: element["measure"]))
            let date = text(of: Value(json: element["date"]))
            let key = MeasureKey(region: region, measure: measure, year: String(date.prefix(4)))
            let amount: Int64
            switch Value(json: element["amountYuan"]) {
            case .integer(let i): amount = i
            case .real(let d): amount = Int64(d)
            default: amount = 0
            }
            totals[key, default: MeasureTotals()].add(amount)  // (one look-up, not one per member)
        }
        return totals
    }

    /// A designation value the record holds: `above` (the month it became above designated
    /// size, text), `srdi` or `littleGiant` (the year, an integer).
    struct Designation: Hashable, Sendable {
        var kind: String
        var value: Value
    }

    var designations: [Designation] {
        var held: [Designation] = []
        if !aboveSince.isNull { held.append(Designation(kind: "above", value: aboveSince)) }
        if !srdiYear.isNull { held.append(Designation(kind: "srdi", value: srdiYear)) }
        if !littleGiantYear.isNull { held.append(Designation(kind: "littleGiant", value: littleGiantYear)) }
        return held
    }
}

/// How the totals change when records' facts are replaced: added up over a batch of writes and
/// applied with one statement per key.
struct FactsDelta: Sendable {
    var totals: [RecordFacts.TotalsKey: RecordFacts.Totals] = [:]
    var measures: [RecordFacts.MeasureKey: RecordFacts.MeasureTotals] = [:]

    /// What a batch of revisions moves, in order (a record written twice in the batch: each
    /// revision from the one before).
    init(_ revisions: [WritePlan.Revision]) {
        for revision in revisions {
            if let (old, new) = revision.facts { replace(old, with: new) }
        }
    }

    init() {}

    /// Takes out `old` (when it was live) and puts in `new` (when it is live).
    mutating func replace(_ old: RecordFacts?, with new: RecordFacts?) {
        if let old, !old.deleted {
            totals[old.totalsKey, default: .init()] += old.totals.negated
            for (key, value) in old.measureTotals { measures[key, default: .init()] -= value }
        }
        if let new, !new.deleted {
            totals[new.totalsKey, default: .init()] += new.totals
            for (key, value) in new.measureTotals { measures[key, default: .init()] += value }
        }
    }

    /// What two batches move, one after the other: a delta is a sum over its revisions, so the
    /// delta of a batch's two halves added is the batch's (`ChangeSetMerge.joined`).
    static func + (first: FactsDelta, second: FactsDelta) -> FactsDelta {
        var sum = first
        for (key, value) in second.totals { sum.totals[key, default: .init()] += value }
        for (key, value) in second.measures { sum.measures[key, default: .init()] += value }
        return sum
    }
}
