import EnterpriseModel
import Foundation

/// The report from what the register keeps for it (`ReportStorage`): the totals the writer keeps
/// (`RecordFacts`), the records that hold a designation of the year or carry a warning, and the
/// designation values records held (to tell a new designation from a re-grant).
extension ProgressReport {
    /// The report for `year`, for the whole province or one region (the province row always
    /// covers every region).
    public static func build(year: Int, region: String? = nil, targets: ReportTargets, database: ProvinceDatabase) async throws -> ProgressReport {
        try await database.read { register in try build(year: year, region: region, targets: targets, register: register) }
    }

    static func build(year: Int, region: String?, targets: ReportTargets, register: any RegisterTransaction) throws -> ProgressReport {
        var figures: [String: RegionFigures] = [:]
        for r in Regions.all { figures[r.code] = RegionFigures(region: r.code, name: r.name) }
        // Counts, from the totals the writer keeps (a few rows per region).
        for row in try register.reportTotals() {
            let code = row.region, sizeClass = row.sizeClass, status = row.status, records = row.totals.records
            var f = figures[code] ?? RegionFigures(region: code, name: code)
            f.records += records
            let sizeKey = sizeClassKeys.dropLast().contains(sizeClass) ? sizeClass : "unknown"
            f.sizeClasses[sizeKey, default: 0] += records
            if statusKeys.contains(status) { f.statuses[status, default: 0] += records }
            f.holders = f.holders + Counts(aboveScale: row.totals.aboveScale, srdi: row.totals.srdi, littleGiant: row.totals.littleGiant)
            f.warnings.revenueWithoutAboveScale += row.totals.revenueWarnings
            f.warnings.sizeClassMismatch += row.totals.sizeWarnings
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
        let kinds: [(DesignationKind, WritableKeyPath<Counts, Int>)] = [(.aboveScale, \.aboveScale), (.srdi, \.srdi), (.littleGiant, \.littleGiant)]
        for (kind, path) in kinds {
            for (code, month, count) in try register.designationsAdded(kind, year: year) {
                figures[code]?.added[keyPath: path] += count
                if region == nil || region == code {
                    months[month ?? "", default: Counts()][keyPath: path] += count
                }
            }
        }

        // Support measures, by region and kind.
        var measures: [String: Measure] = [:]
        for (code, kind, count, amount, countInYear, amountInYear) in try register.measureTotals(year: year) {
            figures[code]?.supportMeasures += count
            figures[code]?.supportAmountYuan += amount
            guard region == nil || region == code else { continue }
            var m = measures[kind] ?? Measure(measure: kind, count: 0, amountYuan: 0, countInYear: 0, amountInYearYuan: 0)
            m.count += count
            m.amountYuan += amount
            m.countInYear += countInYear
            m.amountInYearYuan += amountInYear
            measures[kind] = m
        }

        // Freshness.
        for (code, activity) in try register.activities() {
            figures[code]?.lastPushAt = activity.lastPushAt
            figures[code]?.lastPullAt = activity.lastPullAt
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
            warningSamples: try warningRecords(region: region, limit: warningSampleLimit, register: register))
    }

    /// Records with warnings, by region and credit code; `limit` nil: all of them.
    static func warningRecords(region: String?, limit: Int?, register: any RegisterTransaction) throws -> [WarningRecord] {
        var out: [WarningRecord] = []
        for row in try register.warningRecords(region: region, limit: limit) {
            let revenue = row.revenueYuan ?? 0, employees = row.employees ?? 0
            if row.revenueWarning {
                out.append(WarningRecord(uscc: row.uscc, name: row.name ?? "", region: row.region, warning: "revenueWithoutAboveScale",
                                         detail: "营业收入 \(revenue) 元 ≥ 2000万，行业 \(row.industry ?? "")，未标规上"))
            }
            if row.sizeWarning {
                out.append(WarningRecord(uscc: row.uscc, name: row.name ?? "", region: row.region, warning: "sizeClassMismatch",
                                         detail: "填报 \(row.sizeClass ?? "")，按 \(employees) 人、\(revenue) 元应为 \(row.computedSizeClass ?? "")"))
            }
        }
        return out
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
