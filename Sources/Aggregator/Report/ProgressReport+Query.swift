import EnterpriseModel
import Foundation
import GRDB

/// The report in SQL: a handful of grouped scans of `record_facts`, and `history` only for the
/// records that hold a designation of the year (to tell a new one from a re-grant).
extension ProgressReport {
    /// Industrial (GB/T 4754 sections B, C, D).
    static let industrial = "(industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D'))"
    /// The validator's warning on 规上 status (`RecordReader.checkAboveDesignatedSize`).
    static let revenueWarning = "(revenue_yuan >= \(RecordValidator.aboveDesignatedSizeRevenueYuan) AND \(industrial) AND above_since IS NULL)"
    /// The size class under the 2011 industrial standard (`RecordValidator.sizeClass`).
    static let computedSizeClass = """
        CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
             WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
             WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
             ELSE 'micro' END
        """
    /// The validator's warning on the size class (`RecordReader.checkSizeClass`).
    static let sizeWarning = """
        (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR \(industrial))
         AND size_class <> \(computedSizeClass))
        """

    /// One kind of designation: where the report finds it now and in history.
    struct Kind: Sendable {
        let column: String
        /// The value in a history document, comparable with `before`.
        let historyValue: String
        /// Selects the records holding a designation of the year.
        let ofYear: String
        /// A history value strictly before the year.
        let before: @Sendable (Int) -> DatabaseValue
        /// The month it was added in.
        let month: String

        static let aboveScale = Kind(
            column: "above_since", historyValue: "json_extract(h.doc, '$.aboveDesignatedSize.since')",
            ofYear: "f.above_since BETWEEN :y || '-01' AND :y || '-12'", before: { "\($0)-01".databaseValue }, month: "substr(f.above_since, 1, 7)")
        static func designation(_ field: String, column: String) -> Kind {
            Kind(column: column, historyValue: "json_extract(h.doc, '$.\(field).year')", ofYear: "f.\(column) = :y", before: { $0.databaseValue },
                 month: "(SELECT substr(MIN(h.at), 1, 7) FROM history h WHERE h.uscc = f.uscc AND json_extract(h.doc, '$.\(field).year') = :y)")
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
        let sizeColumns = sizeClassKeys.dropLast().map { "COUNT(*) FILTER (WHERE size_class = '\($0)')" }.joined(separator: ", ")
        let statusColumns = statusKeys.map { "COUNT(*) FILTER (WHERE status = '\($0)')" }.joined(separator: ", ")
        let rows = try Row.fetchAll(db, sql: """
            SELECT region, COUNT(*), \(sizeColumns), \(statusColumns),
                   COUNT(above_since), COUNT(srdi_year), COUNT(little_giant_year),
                   COUNT(*) FILTER (WHERE \(revenueWarning)), COUNT(*) FILTER (WHERE \(sizeWarning))
            FROM record_facts WHERE deleted = 0 GROUP BY region
            """)
        for row in rows {
            let code: String = row[0]
            var f = figures[code] ?? RegionFigures(region: code, name: code)
            f.records = row[1]
            var known = 0
            for (i, key) in sizeClassKeys.dropLast().enumerated() {
                let n: Int = row[2 + i]
                f.sizeClasses[key] = n
                known += n
            }
            f.sizeClasses["unknown"] = f.records - known
            for (i, key) in statusKeys.enumerated() { f.statuses[key] = row[6 + i] }
            f.holders = Counts(aboveScale: row[9], srdi: row[10], littleGiant: row[11])
            f.warnings = Warnings(revenueWithoutAboveScale: row[12], sizeClassMismatch: row[13])
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
                  AND NOT EXISTS (SELECT 1 FROM history h WHERE h.uscc = f.uscc AND \(kind.historyValue) < :before)
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
            SELECT f.region, json_extract(m.value, '$.measure') AS kind, COUNT(*), SUM(json_extract(m.value, '$.amountYuan')),
                   COUNT(*) FILTER (WHERE substr(json_extract(m.value, '$.date'), 1, 4) = :y),
                   coalesce(SUM(json_extract(m.value, '$.amountYuan')) FILTER (WHERE substr(json_extract(m.value, '$.date'), 1, 4) = :y), 0)
            FROM record_facts f, json_each(f.measures) m
            WHERE f.deleted = 0 AND f.measures IS NOT NULL
            GROUP BY f.region, kind
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
            SELECT uscc, name, region, size_class, employees, revenue_yuan, industry, \(revenueWarning), \(computedSizeClass), \(sizeWarning)
            FROM record_facts WHERE deleted = 0 AND (\(revenueWarning) OR \(sizeWarning)) AND (:region IS NULL OR region = :region)
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
