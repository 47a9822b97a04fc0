/// `report_totals`, `record_facts`, `measure_totals`, `designation_values`: the report's queries.
extension PostgresTransaction {
    func reportTotals() throws -> [ReportTotalRow] {
        try query("""
            SELECT region, size_class, status, records, above_scale, srdi, little_giant, revenue_warnings, size_warnings
            FROM report_totals WHERE records > 0
            """).map { row in
            ReportTotalRow(region: try row.string(0), sizeClass: try row.string(1), status: try row.string(2),
                           totals: RecordFacts.Totals(records: Int(try row.int(3)), aboveScale: Int(try row.int(4)), srdi: Int(try row.int(5)),
                                                      littleGiant: Int(try row.int(6)), revenueWarnings: Int(try row.int(7)), sizeWarnings: Int(try row.int(8))))
        }
    }

    func designationsAdded(_ kind: DesignationKind, year: Int) throws -> [(region: String, month: String?, count: Int)] {
        // Holds a designation of the year now, and held none of an earlier year (a renewal or a
        // re-grant is not new; one revoked and granted again in the same year counts once).
        let sql: String, values: [SQLValue]
        switch kind {
        case .aboveScale:
            sql = """
                SELECT f.region, substr(f.above_since, 1, 7) AS month, COUNT(*) FROM record_facts f
                WHERE NOT f.deleted AND f.above_since BETWEEN $1 AND $2
                  AND NOT EXISTS (SELECT 1 FROM designation_values d WHERE d.uscc = f.uscc AND d.kind = 'above' AND d.value < $1)
                GROUP BY f.region, substr(f.above_since, 1, 7)
                """
            values = [.text("\(year)-01"), .text("\(year)-12")]
        case .srdi, .littleGiant:
            let column = kind == .srdi ? "srdi_year" : "little_giant_year"
            sql = """
                SELECT f.region, m.month, COUNT(*) FROM record_facts f
                LEFT JOIN (SELECT uscc, MIN(substr(first_at, 1, 7)) AS month FROM designation_values WHERE kind = '\(kind.rawValue)' AND year = $1
                           GROUP BY uscc) m ON m.uscc = f.uscc
                WHERE NOT f.deleted AND f.\(column) = $1
                  AND NOT EXISTS (SELECT 1 FROM designation_values d WHERE d.uscc = f.uscc AND d.kind = '\(kind.rawValue)' AND d.year < $1)
                GROUP BY f.region, m.month
                """
            values = [.int(Int64(year))]
        }
        return try query(sql, values).map { (try $0.string(0), try $0.optionalString(1), Int(try $0.int(2))) }
    }

    func measureTotals(year: Int) throws -> [(region: String, measure: String, count: Int, amountYuan: Int64, countInYear: Int, amountInYearYuan: Int64)] {
        try query("""
            SELECT region, measure, CAST(SUM(count) AS BIGINT), CAST(SUM(amount_yuan) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN year = $1 THEN count END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN year = $1 THEN amount_yuan END), 0) AS BIGINT)
            FROM measure_totals GROUP BY region, measure HAVING SUM(count) > 0
            """, [.text(String(year))]).map {
            (try $0.string(0), try $0.string(1), Int(try $0.int(2)), try $0.int(3), Int(try $0.int(4)), try $0.int(5))
        }
    }

    func warningRecords(region: String?, limit: Int?) throws -> [WarningFacts] {
        try query("""
            SELECT uscc, name, region, size_class, employees, revenue_yuan, industry, revenue_warning, computed_size_class, size_warning
            FROM record_facts WHERE NOT deleted AND (revenue_warning OR size_warning) AND (CAST($1 AS TEXT) IS NULL OR region = $1)
            ORDER BY region, uscc \(limit.map { "LIMIT \(max(0, $0))" } ?? "")
            """, [SQLValue(region)]).map { row in
            WarningFacts(uscc: try row.string(0), name: try row.optionalString(1), region: try row.string(2), sizeClass: try row.optionalString(3),
                         employees: try row.optionalInt(4), revenueYuan: try row.optionalInt(5), industry: try row.optionalString(6),
                         revenueWarning: try row.bool(7), computedSizeClass: try row.optionalString(8), sizeWarning: try row.bool(9))
        }
    }

    func openConflictsByRegion() throws -> [String: Int] {
        var open: [String: Int] = [:]
        for row in try query("SELECT region, COUNT(*) FROM conflicts WHERE status = 'open' GROUP BY region") { open[try row.string(0)] = Int(try row.int(1)) }
        return open
    }

    func liveRecordCount(region: String?) throws -> Int {
        Int(try one("SELECT COUNT(*) FROM records WHERE NOT deleted AND (CAST($1 AS TEXT) IS NULL OR region = $1)", [SQLValue(region)])?.int(0) ?? 0)
    }

    func forEachLiveRecordByCode(region: String?, _ body: (String, String) throws -> Void) throws {
        try forEachPage("""
            SELECT uscc, doc FROM records WHERE uscc > $1 AND NOT deleted AND (CAST($3 AS TEXT) IS NULL OR region = $3) ORDER BY uscc LIMIT $2
            """, [SQLValue(region)]) { row in
            try body(try row.string(0), try row.string(1))
        }
    }
}
