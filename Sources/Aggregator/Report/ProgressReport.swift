import EnterpriseModel
import Foundation

/// The province's progress report on the merged register (issue 7): per region and for the
/// province, enterprises by size class and status, the designations held and added in the
/// year against the yearly targets, support measures, records with validation warnings, and
/// when each bureau last synced. Built by `ProgressReport.build` in SQL over `record_facts`
/// and `history`; served as JSON (`GET /v1/report`), CSV tables and the page `/review/report`.
public struct ProgressReport: Sendable, Encodable {
    /// Above-designated-size, provincial SRDI and national little-giant figures side by side.
    public struct Counts: Sendable, Encodable, Equatable {
        public var aboveScale = 0
        public var srdi = 0
        public var littleGiant = 0

        public init(aboveScale: Int = 0, srdi: Int = 0, littleGiant: Int = 0) {
            self.aboveScale = aboveScale
            self.srdi = srdi
            self.littleGiant = littleGiant
        }

        static func + (a: Counts, b: Counts) -> Counts {
            Counts(aboveScale: a.aboveScale + b.aboveScale, srdi: a.srdi + b.srdi, littleGiant: a.littleGiant + b.littleGiant)
        }
    }

    /// Records whose figures contradict their flags (the validator's warnings).
    public struct Warnings: Sendable, Encodable, Equatable {
        /// Industrial, revenue of 20,000,000 yuan or more, but no `aboveDesignatedSize`.
        public var revenueWithoutAboveScale = 0
        /// `sizeClass` differs from the class employees and revenue give under the 2011 standard.
        public var sizeClassMismatch = 0
    }

    public struct RegionFigures: Sendable, Encodable {
        public var region: String
        public var name: String
        /// Live (not deleted) records.
        public var records = 0
        /// micro, small, medium, large, and `unknown` for records without a size class.
        public var sizeClasses: [String: Int] = [:]
        /// active, closed, relocated.
        public var statuses: [String: Int] = [:]
        /// Records holding each designation now.
        public var holders = Counts()
        /// Records that gained it in the report's year (see README, "Progress report").
        public var added = Counts()
        /// This region's share of the province's targets.
        public var share = 0.0
        public var targets = Counts()
        public var supportMeasures = 0
        public var supportAmountYuan: Int64 = 0
        public var warnings = Warnings()
        public var lastPushAt: String?
        public var lastPullAt: String?
    }

    public struct Measure: Sendable, Encodable {
        public var measure: String
        public var count: Int
        public var amountYuan: Int64
        /// Of which dated in the report's year.
        public var countInYear: Int
        public var amountInYearYuan: Int64
    }

    /// Designations added in a month (`YYYY-MM`; for SRDI and little giants the month the
    /// province recorded the grant, for above-scale the `since` month).
    public struct Month: Sendable, Encodable {
        public var month: String
        public var added: Counts
    }

    public struct WarningRecord: Sendable, Encodable {
        public var uscc: String
        public var name: String
        public var region: String
        /// `revenueWithoutAboveScale` or `sizeClassMismatch`.
        public var warning: String
        public var detail: String
    }

    public var year: Int
    /// The region the report was asked for; nil: the whole province.
    public var region: String?
    public var generatedAt: String
    /// The province's yearly targets.
    public var targets: Counts
    /// The whole province, whatever `region` is.
    public var province: RegionFigures
    public var regions: [RegionFigures]
    /// By kind, largest amount first (in `region` when given).
    public var measures: [Measure]
    /// The twelve months of the year, then any other month a grant of the year was recorded in.
    public var months: [Month]
    /// The first `warningSampleLimit` records with warnings (all of them: the `warnings` CSV table).
    public var warningSamples: [WarningRecord]

    public static let warningSampleLimit = 100
    static let sizeClassKeys = ["micro", "small", "medium", "large", "unknown"]
    static let statusKeys = ["active", "closed", "relocated"]

    /// Progress in percent of a target (0 when the target is 0).
    public static func percent(_ value: Int, of target: Int) -> Double {
        target <= 0 ? 0 : (Double(value) * 1000 / Double(target)).rounded() / 10
    }

    /// The current year in Beijing time.
    public static func currentYear() -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        return calendar.component(.year, from: Date())
    }
}
