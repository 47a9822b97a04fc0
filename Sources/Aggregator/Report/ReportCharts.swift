import Foundation

/// The report's charts as server-rendered SVG (valid XML, no script): progress bars against
/// the province's targets, each region's progress against its share, and the designations
/// added per month. Inlined in the page, so they print with it.
enum ReportCharts {
    static let colors = ["#1d4f91", "#c2410c", "#1f7a4d"]
    static let labels = ["规上工业企业", "专精特新中小企业", "专精特新“小巨人”"]
    static let font = "font-family=\"Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif\""

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func values(_ c: ProgressReport.Counts) -> [Int] { [c.aboveScale, c.srdi, c.littleGiant] }

    static func svg(width: Int, height: Int, title: String, _ body: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" \(font) font-size="13"><title>\(escape(title))</title>\(body)</svg>
        """
    }

    /// Three bars: added in the year against the province's target.
    static func progress(_ report: ProgressReport) -> String {
        let added = values(report.province.added), targets = values(report.targets)
        var body = ""
        let barX = 170, barWidth = 520
        for i in 0..<3 {
            let y = 12 + i * 44
            let share = targets[i] > 0 ? min(1, Double(added[i]) / Double(targets[i])) : 0
            body += "<text x=\"0\" y=\"\(y + 17)\">\(escape(labels[i]))</text>"
            body += "<rect x=\"\(barX)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"24\" rx=\"4\" fill=\"#eef2f6\" stroke=\"#bcccdc\"/>"
            body += "<rect x=\"\(barX)\" y=\"\(y)\" width=\"\(Int(share * Double(barWidth)))\" height=\"24\" rx=\"4\" fill=\"\(colors[i])\"/>"
            body += "<text x=\"\(barX + barWidth + 10)\" y=\"\(y + 17)\">\(added[i]) / \(targets[i])（\(String(format: "%.1f", ProgressReport.percent(added[i], of: targets[i])))%）</text>"
        }
        return svg(width: 860, height: 150, title: "\(report.year) 年新增与年度目标", body)
    }

    /// Per region: each kind's additions as a share of the region's target (capped at 150 %).
    static func regions(_ report: ProgressReport) -> String {
        let rowHeight = 30, top = 28, left = 90, plot = 600
        var body = ""
        for (i, label) in labels.enumerated() {
            body += "<rect x=\"\(left + i * 190)\" y=\"4\" width=\"12\" height=\"12\" fill=\"\(colors[i])\"/><text x=\"\(left + i * 190 + 18)\" y=\"15\">\(escape(label))</text>"
        }
        let scale = { (percent: Double) -> Int in Int(min(percent, 150) / 150 * Double(plot)) }
        for (n, f) in report.regions.enumerated() {
            let y = top + n * rowHeight
            body += "<text x=\"0\" y=\"\(y + 17)\">\(escape(f.name))</text>"
            let added = values(f.added), targets = values(f.targets)
            for k in 0..<3 {
                let percent = ProgressReport.percent(added[k], of: targets[k])
                body += "<rect x=\"\(left)\" y=\"\(y + 2 + k * 8)\" width=\"\(max(scale(percent), percent > 0 ? 2 : 0))\" height=\"7\" fill=\"\(colors[k])\"><title>\(escape(f.name)) \(escape(labels[k])) \(added[k])/\(targets[k])</title></rect>"
            }
            let summary = (0..<3).map { "\(added[$0])/\(targets[$0])" }.joined(separator: " · ")
            body += "<text x=\"\(left + plot + 10)\" y=\"\(y + 17)\" font-size=\"12\" fill=\"#616e7c\">\(summary)</text>"
        }
        let bottom = top + report.regions.count * rowHeight
        for percent in [0, 50, 100, 150] {
            let x = left + scale(Double(percent))
            body += "<line x1=\"\(x)\" y1=\"\(top - 4)\" x2=\"\(x)\" y2=\"\(bottom)\" stroke=\"\(percent == 100 ? "#b42318" : "#d9e2ec")\" stroke-dasharray=\"\(percent == 100 ? "4 3" : "2 3")\"/>"
            body += "<text x=\"\(x)\" y=\"\(bottom + 16)\" text-anchor=\"middle\" font-size=\"12\">\(percent)%</text>"
        }
        return svg(width: 900, height: bottom + 24, title: "各地区年内新增占地区目标的比例", body)
    }

    /// Lines of the designations added in each month of the year.
    static func months(_ report: ProgressReport) -> String {
        let months = report.months.prefix(12)
        let left = 50, top = 30, plotWidth = 660, plotHeight = 200
        let maximum = max(1, months.flatMap { values($0.added) }.max() ?? 1)
        let step = Double(plotWidth) / 11
        let y = { (v: Int) -> Int in top + plotHeight - Int(Double(v) / Double(maximum) * Double(plotHeight)) }
        var body = ""
        for (i, label) in labels.enumerated() {
            body += "<rect x=\"\(left + i * 190)\" y=\"4\" width=\"12\" height=\"12\" fill=\"\(colors[i])\"/><text x=\"\(left + i * 190 + 18)\" y=\"15\">\(escape(label))</text>"
        }
        for tick in Set([0, maximum / 2, maximum]).sorted() {
            body += "<line x1=\"\(left)\" y1=\"\(y(tick))\" x2=\"\(left + plotWidth)\" y2=\"\(y(tick))\" stroke=\"#d9e2ec\"/>"
            body += "<text x=\"\(left - 8)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\" font-size=\"12\">\(tick)</text>"
        }
        for (n, month) in months.enumerated() {
            body += "<text x=\"\(left + Int(Double(n) * step))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\" font-size=\"12\">\(n + 1)月</text>"
            _ = month
        }
        for k in 0..<3 {
            let points = months.enumerated().map { n, m in "\(left + Int(Double(n) * step)),\(y(values(m.added)[k]))" }.joined(separator: " ")
            body += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colors[k])\" stroke-width=\"2.5\"/>"
            for (n, m) in months.enumerated() {
                body += "<circle cx=\"\(left + Int(Double(n) * step))\" cy=\"\(y(values(m.added)[k]))\" r=\"3\" fill=\"\(colors[k])\"/>"
            }
        }
        return svg(width: 760, height: top + plotHeight + 30, title: "\(report.year) 年逐月新增", body)
    }
}
