/// One row of the report's totals (see `RecordFacts`).
struct ReportTotalRow: Sendable {
    var region: String
    var sizeClass: String
    var status: String
    var totals: RecordFacts.Totals
}

/// A kind of designation the report counts new ones of.
enum DesignationKind: String, Sendable, CaseIterable {
    case aboveScale = "above"
    case srdi
    case littleGiant
}

/// A record with a warning, as the report lists it.
struct WarningFacts: Sendable {
    var uscc: String
    var name: String?
    var region: String
    var sizeClass: String?
    var employees: Int64?
    var revenueYuan: Int64?
    var industry: String?
    var revenueWarning: Bool
    /// The size class the 2011 standard gives.
    var computedSizeClass: String?
    var sizeWarning: Bool
}

/// The report's figures, and the register read whole (the CSV export).
protocol ReportStorage {
    /// The totals, by region, size class and status (live records only).
    func reportTotals() throws -> [ReportTotalRow]
    /// Records holding a designation of `year` that never held one of an earlier year, by
    /// region and the month it was added.
    func designationsAdded(_ kind: DesignationKind, year: Int) throws -> [(region: String, month: String?, count: Int)]
    /// Support measures by region and kind: all of them, and those of `year`.
    func measureTotals(year: Int) throws -> [(region: String, measure: String, count: Int, amountYuan: Int64, countInYear: Int, amountInYearYuan: Int64)]
    /// Records with a warning (of `region`, or all), by region and credit code.
    func warningRecords(region: String?, limit: Int?) throws -> [WarningFacts]
    /// Open conflicts by region.
    func openConflictsByRegion() throws -> [String: Int]
    /// How many live records there are (of `region`, or all).
    func liveRecordCount(region: String?) throws -> Int
    /// Each live record (of `region`, or all) by credit code: its code and stored document.
    func forEachLiveRecordByCode(region: String?, _ body: (String, String) throws -> Void) throws
}
