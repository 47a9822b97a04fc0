import GRDB

/// `report_totals`, `record_facts`, `measure_totals`, `designation_values`: the report's queries.
extension SQLiteTransaction {
    func reportTotals() throws -> [ReportTotalRow] {
        try Row.fetchAll(db, sql: """
            SELECT region, size_class, status, records, above_scale, srdi, little_giant, revenue_warnings, size_warnings
            FROM report_totals WHERE records > 0
            """).map { row in
            ReportTotalRow(region: row[0], sizeClass: row[1], status: row[2],
                           totals: RecordFacts.Totals(records: row[3], aboveScale: row[4], srdi: row[5], littleGiant: row[6], revenueWarnings: row[7],
                                                      sizeWarnings: row[8]))
        }
    }

    func designationsAdded(_ kind: DesignationKind, year: Int) throws -> [(region: String, month: String?, count: Int)] {
        // Holds a designation of the year now, and held none of an earlier year (a renewal or a
        // re-grant is not new; one revoked and granted again in the same year counts once).
        let ofYear: String, month: String, before: DatabaseValue
        switch kind {
        case .aboveScale:
            ofYear = "f.above_since BETWEEN :y || '-01' AND :y || '-12'"
            month = "substr(f.above_since, 1, 7)"
            before = "\(year)-01".databaseValue
        case .srdi, .littleGiant:
            ofYear = "f.\(kind == .srdi ? "srdi_year" : "little_giant_year") = :y"
            month = "(SELECT substr(d.first_at, 1, 7) FROM designation_values d WHERE d.uscc = f.uscc AND d.kind = '\(kind.rawValue)' AND d.value = :y)"
            before = year.databaseValue
        }
        return try Row.fetchAll(db, sql: """
            SELECT f.region, \(month) AS month, COUNT(*) FROM record_facts f
            WHERE f.deleted = 0 AND \(ofYear)
              AND NOT EXISTS (SELECT 1 FROM designation_values d WHERE d.uscc = f.uscc AND d.kind = '\(kind.rawValue)' AND d.value < :before)
            GROUP BY f.region, month
            """, arguments: ["y": year, "before": before]).map { ($0[0], $0[1], $0[2]) }
    }

    func measureTotals(year: Int) throws -> [(region: String, measure: String, count: Int, amountYuan: Int64, countInYear: Int, amountInYearYuan: Int64)] {
        try Row.fetchAll(db, sql: """
            SELECT region, measure, SUM(count), SUM(amount_yuan),
                   coalesce(SUM(count) FILTER (WHERE year = :y), 0), coalesce(SUM(amount_yuan) FILTER (WHERE year = :y), 0)
            FROM measure_totals GROUP BY region, measure HAVING SUM(count) > 0
            """, arguments: ["y": String(year)]).map { ($0[0], $0[1] ?? "", $0[2], $0[3] ?? 0, $0[4], $0[5]) }
    }

    func warningRecords(region: String?, limit: Int?) throws -> [WarningFacts] {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT uscc, name, region, size_class, employees, revenue_yuan, industry, revenue_warning, \(RecordFacts.computedSizeClass), size_warning
            FROM record_facts WHERE \(RecordFacts.hasWarning) AND (:region IS NULL OR region = :region)
            ORDER BY region, uscc \(limit.map { "LIMIT \($0)" } ?? "")
            """, arguments: ["region": region])
        var out: [WarningFacts] = []
        while let row = try rows.next() {
            out.append(WarningFacts(uscc: row[0], name: row[1], region: row[2], sizeClass: row[3], employees: row[4], revenueYuan: row[5], industry: row[6],
                                    revenueWarning: row[7] ?? false, computedSizeClass: row[8], sizeWarning: row[9] ?? false))
        }
        return out
    }

    func openConflictsByRegion() throws -> [String: Int] {
        var open: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT region, COUNT(*) AS n FROM conflicts WHERE status = 'open' GROUP BY region") { open[row["region"]] = row["n"] }
        return open
    }

    func liveRecordCount(region: String?) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records WHERE deleted = 0 AND (:region IS NULL OR region = :region)", arguments: ["region": region]) ?? 0
    }

    func forEachLiveRecordByCode(region: String?, _ body: (String, String) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT uscc, doc FROM records WHERE deleted = 0 AND (:region IS NULL OR region = :region) ORDER BY uscc",
                                       arguments: ["region": region])
        while let row = try rows.next() { try body(row[0], row[1]) }
    }
}
