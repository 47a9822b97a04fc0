import EnterpriseModel
import Foundation
import GRDB

/// The report in SQL: the totals the writer keeps (`RecordFacts`), `record_facts` for the records
/// that hold a designation of the year or carry a warning, and `designation_values` for the
/// former (to tell a new designation from a re-grant).
extension ProgressReport {
    /// One kind of designation: where the report finds it now and among the values it held.
    struct Kind: Sendable {
        let column: String
        /// Its name in `designation_values` (see `RecordFacts.designations`).
        let kind: String
        /// Selects the records holding a designation of the year.
        let ofYear: String
        /// A value strictly before the year.
        let before: @Sendable (Int) -> DatabaseValue
        /// The month it was added in.
        let month: String

        static let aboveScale = Kind(
            column: "above_since", kind: "above",
            ofYear: "f.above_since BETWEEN :y || '-01' AND :y || '-12'", before: { "\($0)-01".databaseValue }, month: "substr(f.above_since, 1, 7)")
        static func designation(_ kind: String, column: String) -> Kind {
            Kind(column: column, kind: kind, ofYear: "f.\(column) = :y", before: { $0.databaseValue },
                 month: "(SELECT substr(d.first_at, 1, 7) FROM designation_values d WHERE d.uscc = f.uscc AND d.kind = '\(kind)' AND d.value = :y)")
        }
        static let srdi = designation("srdi", column: "srdi_year")
        static let littleGiant = designation("littleGiant", column: "little_giant_year")
    }

    /// The report for `year`, for the whole province or one region (the province row always
    /// covers every region).
    public static func build(year: Int, region: String? = nil, targets: ReportTargets, database: ProvinceDatabase) async throws -> ProgressReport {
        try await database.pool.read { db in try build(year: year, region: region, targets: targets, db: db) }
    }

    static func build(year: Int, region: String?, targets: ReportTargets, db: Database) throws -> ProgressReport {
        var figures: [String: RegionFigures] = [:]
        for r in Regions.all { figures[r.code] = RegionFigures(region: r.code, name: r.name) }
        // Counts, from the totals the writer keeps (a few rows per region).
        for row in try Row.fetchAll(db, sql: """
            SELECT region, size_class, status, records, above_scale, srdi, little_giant, revenue_warnings, size_warnings
            FROM report_totals WHERE records > 0
            """) {
            let code: String = row[0], sizeClass: String = row[1], status: String = row[2], records: Int = row[3]
            var f = figures[code] ?? RegionFigures(region: code, name: code)
            f.records += records
            let sizeKey = sizeClassKeys.dropLast().contains(sizeClass) ? sizeClass : "unknown"
            f.sizeClasses[sizeKey, default: 0] += records
            if statusKeys.contains(status) { f.statuses[status, default: 0] += records }
            f.holders = f.holders + Counts(aboveScale: row[4], srdi: row[5], littleGiant: row[6])
            f.warnings.revenueWithoutAboveScale += row[7] as Int
            f.warnings.sizeClassMismatch += row[8] as Int
            figures[code] = f
        }
        for code in figures.keys {
            for key in sizeClassKeys where figures[code]?.sizeClasses[key] == nil { figures[code]?.sizeClasses[key] = 0 }
            for key in statusKeys where figures[code]?.statuses[key] == nil { figures[code]?.statuses[key] = 0 }
        }

        // Added in the year: holds a designation of the year now, and no earlier revision held
        // one of an earlier year (a renewal or a re-grant is not new; a designation revoked and
        // granted again in the same year is one record, counted once).
        var months: [String: Counts] = [:]
        let kinds: [(Kind, WritableKeyPath<Counts, Int>)] = [(.aboveScale, \.aboveScale), (.srdi, \.srdi), (.littleGiant, \.littleGiant)]
        for (kind, path) in kinds {
            let added = try Row.fetchAll(db, sql: """
                SELECT f.region, \(kind.month) AS month, COUNT(*) FROM record_facts f
                WHERE f.deleted = 0 AND \(kind.ofYear)
                  AND NOT EXISTS (SELECT 1 FROM designation_values d WHERE d.uscc = f.uscc AND d.kind = '\(kind.kind)' AND d.value < :before)
                GROUP BY f.region, month
                """, arguments: ["y": year, "before": kind.before(year)])
            for row in added {
                let code: String = row[0], count: Int = row[2]
                figures[code]?.added[keyPath: path] += count
                if region == nil || region == code {
                    months[row[1] as String? ?? "", default: Counts()][keyPath: path] += count
                }
            }
        }

        // Support measures, by region and kind.
        var measures: [String: Measure] = [:]
        let measureRows = try Row.fetchAll(db, sql: """
            SELECT region, measure, SUM(count), SUM(amount_yuan),
                   coalesce(SUM(count) FILTER (WHERE year = :y), 0), coalesce(SUM(amount_yuan) FILTER (WHERE year = :y), 0)
            FROM measure_totals GROUP BY region, measure HAVING SUM(count) > 0
            """, arguments: ["y": String(year)])
        for row in measureRows {
            let code: String = row[0], kind: String = row[1] ?? "", count: Int = row[2], amount: Int64 = row[3] ?? 0
            figures[code]?.supportMeasures += count
            figures[code]?.supportAmountYuan += amount
            guard region == nil || region == code else { continue }
            var m = measures[kind] ?? Measure(measure: kind, count: 0, amountYuan: 0, countInYear: 0, amountInYearYuan: 0)
            m.count += count
            m.amountYuan += amount
            m.countInYear += row[4] as Int
            m.amountInYearYuan += row[5] as Int64
            measures[kind] = m
        }

        // Freshness.
        for row in try Row.fetchAll(db, sql: "SELECT region, last_push_at, last_pull_at FROM region_activity") {
            let code: String = row[0]
            figures[code]?.lastPushAt = row[1]
            figures[code]?.lastPullAt = row[2]
        }

        // Targets.
        let provinceTargets = Counts(aboveScale: targets.aboveScale, srdi: targets.srdi, littleGiant: targets.littleGiant)
        let shares = targets.shares(records: figures.mapValues(\.records))
        for code in figures.keys {
            let share = shares[code] ?? 0
            figures[code]?.share = share
            figures[code]?.targets = Counts(aboveScale: Int((Double(targets.aboveScale) * share).rounded()),
                                            srdi: Int((Double(targets.srdi) * share).rounded()),
                                            littleGiant: Int((Double(targets.littleGiant) * share).rounded()))
        }

        let ordered = Regions.all.compactMap { figures[$0.code] }
        var province = RegionFigures(region: "410000", name: "全省")
        province.share = 1
        province.targets = provinceTargets
        province.sizeClasses = Dictionary(uniqueKeysWithValues: sizeClassKeys.map { key in (key, ordered.reduce(0) { $0 + ($1.sizeClasses[key] ?? 0) }) })
        province.statuses = Dictionary(uniqueKeysWithValues: statusKeys.map { key in (key, ordered.reduce(0) { $0 + ($1.statuses[key] ?? 0) }) })
        for f in ordered {
            province.records += f.records
            province.holders = province.holders + f.holders
            province.added = province.added + f.added
            province.supportMeasures += f.supportMeasures
            province.supportAmountYuan += f.supportAmountYuan
            province.warnings.revenueWithoutAboveScale += f.warnings.revenueWithoutAboveScale
            province.warnings.sizeClassMismatch += f.warnings.sizeClassMismatch
            province.lastPushAt = max(province.lastPushAt ?? "", f.lastPushAt ?? "").nilIfEmpty
            province.lastPullAt = max(province.lastPullAt ?? "", f.lastPullAt ?? "").nilIfEmpty
        }

        let yearMonths = (1...12).map { String(format: "%04d-%02d", year, $0) }
        let otherMonths = months.keys.filter { !yearMonths.contains($0) }.sorted()
        return ProgressReport(
            year: year, region: region, generatedAt: Date().formatted(.iso8601), targets: provinceTargets, province: province,
            regions: ordered.filter { region == nil || $0.region == region },
            measures: measures.values.sorted { ($0.amountYuan, $1.measure) > ($1.amountYuan, $0.measure) },
            months: (yearMonths + otherMonths).map { Month(month: $0, added: months[$0] ?? Counts()) },
            warningSamples: try warningRecords(region: region, limit: warningSampleLimit, db: db))
    }

    /// Records with warnings, by region and credit code; `limit` nil: all of them.
    static func warningRecords(region: String?, limit: Int?, db: Database) throws -> [WarningRecord] {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT uscc, name, region, size_class, employees, revenue_yuan, industry, revenue_warning, \(RecordFacts.computedSizeClass), size_warning
            FROM record_facts WHERE \(RecordFacts.hasWarning) AND (:region IS NULL OR region = :region)
            ORDER BY region, uscc \(limit.map { "LIMIT \($0)" } ?? "")
            """, arguments: ["region": region])
        var out: [WarningRecord] = []
        while let row = try rows.next() {
            let uscc: String = row[0], name: String = row[1] ?? "", code: String = row[2]
            let revenue: Int64 = row[5] ?? 0, employees: Int64 = row[4] ?? 0
            if row[7] as Bool? == true {
                out.append(WarningRecord(uscc: uscc, name: name, region: code, warning: "revenueWithoutAboveScale",
                                         detail: "营业收入 \(revenue) 元 ≥ 2000万，行业 \(row[6] as String? ?? "")，未标规上"))
            }
            if row[9] as Bool? == true {
                out.append(WarningRecord(uscc: uscc, name: name, region: code, warning: "sizeClassMismatch",
                                         detail: "填报 \(row[3] as String? ?? "")，按 \(employees) 人、\(revenue) 元应为 \(row[8] as String? ?? "")"))
            }
        }
        return out
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
