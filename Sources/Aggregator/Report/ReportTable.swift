import EnterpriseModel
import Foundation

/// One table of the progress report, as the page shows it and as its CSV download: the CSV
/// header is the columns' keys (stable, for scripts), the page shows the Chinese label with the
/// key beside it.
public struct ReportTable: Sendable {
    public struct Column: Sendable {
        public var key: String
        public var label: String
        public var numeric: Bool
    }

    public var name: String
    public var title: String
    public var columns: [Column]
    public var rows: [[String]]

    /// The names accepted by `--table` and `/review/report.csv?table=`.
    public static let names = ["progress", "regions", "sizes", "measures", "months", "warnings", "freshness"]

    /// A table of `report`; `warnings` lists every record with a warning (read again from the
    /// database), the others come from the report itself.
    public static func named(_ name: String, report: ProgressReport, database: ProvinceDatabase) async throws -> ReportTable? {
        if name == "warnings" {
            let all = try await database.read { register in try ProgressReport.warningRecords(region: report.region, limit: nil, register: register) }
            return warnings(all)
        }
        return all(report).first { $0.name == name }
    }

    /// Every table but the full warnings list (the page shows its first rows).
    public static func all(_ report: ProgressReport) -> [ReportTable] {
        [progress(report), regions(report), sizes(report), measures(report), months(report), warnings(report.warningSamples), freshness(report)]
    }

    static func col(_ key: String, _ label: String, numeric: Bool = true) -> Column { Column(key: key, label: label, numeric: numeric) }

    static func progress(_ report: ProgressReport) -> ReportTable {
        let p = report.province
        let row = { (key: String, label: String, added: Int, target: Int, held: Int) -> [String] in
            [key, label, "\(added)", "\(target)", String(format: "%.1f", ProgressReport.percent(added, of: target)), "\(held)"]
        }
        return ReportTable(name: "progress", title: "\(report.year) 年目标完成情况（全省）", columns: [
            col("indicator", "指标", numeric: false), col("label", "名称", numeric: false), col("added", "年内新增"), col("target", "年度目标"),
            col("percent", "完成率 %"), col("held", "现有"),
        ], rows: [
            row("aboveScale", "规上工业企业", p.added.aboveScale, p.targets.aboveScale, p.holders.aboveScale),
            row("srdi", "省级专精特新中小企业", p.added.srdi, p.targets.srdi, p.holders.srdi),
            row("littleGiant", "国家级专精特新“小巨人”", p.added.littleGiant, p.targets.littleGiant, p.holders.littleGiant),
        ])
    }

    static func regionRows(_ report: ProgressReport) -> [ProgressReport.RegionFigures] { report.regions + [report.province] }

    static func regions(_ report: ProgressReport) -> ReportTable {
        ReportTable(name: "regions", title: "各地区进度 \(report.year)", columns: [
            col("region", "地区代码", numeric: false), col("name", "地区", numeric: false), col("records", "企业数"), col("share", "目标份额 %"),
            col("aboveScale", "规上现有"), col("aboveScaleAdded", "规上新增"), col("aboveScaleTarget", "规上目标"),
            col("srdi", "专精特新现有"), col("srdiAdded", "专精特新新增"), col("srdiTarget", "专精特新目标"),
            col("littleGiant", "小巨人现有"), col("littleGiantAdded", "小巨人新增"), col("littleGiantTarget", "小巨人目标"),
            col("supportMeasures", "扶持笔数"), col("supportAmountYuan", "扶持金额（元）"),
            col("revenueWithoutAboveScale", "营收≥2000万未标规上"), col("sizeClassMismatch", "规模类型不符"),
        ], rows: regionRows(report).map { f in
            [f.region, f.name, "\(f.records)", String(format: "%.1f", f.share * 100),
             "\(f.holders.aboveScale)", "\(f.added.aboveScale)", "\(f.targets.aboveScale)",
             "\(f.holders.srdi)", "\(f.added.srdi)", "\(f.targets.srdi)",
             "\(f.holders.littleGiant)", "\(f.added.littleGiant)", "\(f.targets.littleGiant)",
             "\(f.supportMeasures)", "\(f.supportAmountYuan)", "\(f.warnings.revenueWithoutAboveScale)", "\(f.warnings.sizeClassMismatch)"]
        })
    }

    static func sizes(_ report: ProgressReport) -> ReportTable {
        let labels = ["micro": "微型", "small": "小型", "medium": "中型", "large": "大型", "unknown": "未填", "active": "在营", "closed": "注销/关闭", "relocated": "迁出"]
        let keys = ProgressReport.sizeClassKeys + ProgressReport.statusKeys
        return ReportTable(name: "sizes", title: "企业规模与状态", columns: [col("region", "地区代码", numeric: false), col("name", "地区", numeric: false)]
                           + keys.map { col($0, labels[$0] ?? $0) }, rows: regionRows(report).map { f in
            [f.region, f.name] + ProgressReport.sizeClassKeys.map { "\(f.sizeClasses[$0] ?? 0)" } + ProgressReport.statusKeys.map { "\(f.statuses[$0] ?? 0)" }
        })
    }

    static func measures(_ report: ProgressReport) -> ReportTable {
        ReportTable(name: "measures", title: "扶持措施（按类别）", columns: [
            col("measure", "措施", numeric: false), col("count", "笔数"), col("amountYuan", "金额（元）"),
            col("countInYear", "\(report.year) 年笔数"), col("amountInYearYuan", "\(report.year) 年金额（元）"),
        ], rows: report.measures.map { ["\($0.measure)", "\($0.count)", "\($0.amountYuan)", "\($0.countInYear)", "\($0.amountInYearYuan)"] })
    }

    static func months(_ report: ProgressReport) -> ReportTable {
        ReportTable(name: "months", title: "逐月新增", columns: [
            col("month", "月份", numeric: false), col("aboveScale", "规上"), col("srdi", "专精特新"), col("littleGiant", "小巨人"),
        ], rows: report.months.map { [$0.month.isEmpty ? "未知" : $0.month, "\($0.added.aboveScale)", "\($0.added.srdi)", "\($0.added.littleGiant)"] })
    }

    static func warnings(_ records: [ProgressReport.WarningRecord]) -> ReportTable {
        ReportTable(name: "warnings", title: "校验提示", columns: [
            col("uscc", "统一社会信用代码", numeric: false), col("name", "企业名称", numeric: false), col("region", "地区", numeric: false),
            col("warning", "提示", numeric: false), col("detail", "说明", numeric: false),
        ], rows: records.map { [$0.uscc, $0.name, $0.region, $0.warning, $0.detail] })
    }

    static func freshness(_ report: ProgressReport) -> ReportTable {
        ReportTable(name: "freshness", title: "数据新鲜度", columns: [
            col("region", "地区代码", numeric: false), col("name", "地区", numeric: false), col("lastPushAt", "最近推送", numeric: false),
            col("lastPullAt", "最近拉取", numeric: false),
        ], rows: report.regions.map { [$0.region, $0.name, $0.lastPushAt ?? "", $0.lastPullAt ?? ""] })
    }

    /// RFC 4180 text, header of keys first, CRLF line ends. Cells of numeric columns are numbers
    /// and the rest text, written by `CSVCell`: a region or enterprise name a spreadsheet would
    /// run as a formula gets a leading `'`.
    public var csv: String {
        var out = CSVCell.line(columns.map { .text($0.key) }) + "\r\n"
        for row in rows {
            out += CSVCell.line(row.enumerated().map { c, cell in c < columns.count && columns[c].numeric ? .number(cell) : .text(cell) }) + "\r\n"
        }
        return out
    }

    /// Aligned columns for a terminal, every cell terminal-safe (`TerminalText`): the warnings
    /// table names records, and their names are what a bureau wrote.
    public var text: String {
        let table = ([columns.map(\.key)] + rows).map { $0.map(\.terminalSafe) }
        let widths = columns.indices.map { c in table.map { Self.width($0[c]) }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - Self.width(cell))
                return columns[c].numeric ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Terminal columns: CJK characters take two.
    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 && $1.properties.isIdeographic || (0x3000...0x303F).contains($1.value) || (0xFF00...0xFF60).contains($1.value) ? 2 : 1) }
    }
}
