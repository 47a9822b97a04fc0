import EnterpriseModel
import Foundation
import Hummingbird

/// The progress report as a page (`/review/report?year=&region=`) and each of its tables as a
/// CSV download (`/review/report.csv?table=…`), for a signed-in reviewer.
extension ReviewPages {
    func registerReport(on router: Router<AggregatorRequestContext>) {
        router.get("/review/report") { request, context in
            try await page(request, context) { session in try await reportPage(request, session) }
        }
        router.get("/review/report.csv") { request, context in
            try await page(request, context) { _ in
                let query = ReportQuery(request.uri.queryParameters.get)
                let report = try await ProgressReport.build(year: try query.year(), region: try query.region(), targets: reportTargets,
                                                            database: sessions.database)
                return APIAnswer.csv(try await query.table(report, database: sessions.database))
            }
        }
    }

    func reportPage(_ request: Request, _ session: ReviewSessions.Session) async throws -> Response {
        let query = ReportQuery(request.uri.queryParameters.get)
        let report = try await ProgressReport.build(year: try query.year(), region: try query.region(), targets: reportTargets, database: sessions.database)
        let filter = "year=\(report.year)" + (report.region.map { "&region=\($0)" } ?? "")
        let tables = ReportTable.all(report).map { table in
            ReviewPageModels.ReportTable(
                name: table.name, title: table.title, csvHref: "/review/report.csv?\(filter)&table=\(table.name)",
                columns: table.columns.map { .init(label: $0.label, key: $0.key, numeric: $0.numeric) },
                rows: table.rows.map { row in .init(cells: row.enumerated().map { .init(text: $1, numeric: table.columns[$0].numeric) }) },
                empty: table.rows.isEmpty)
        }
        let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        let model = ReviewPageModels.Report(
            nav: nav(session, report: true), flash: Self.flash(session), year: report.year, generatedAt: ReviewText.time(report.generatedAt),
            regionName: report.region.flatMap { Regions.region(code: $0)?.name } ?? "全省",
            regions: Regions.all.map { .init(code: $0.code, name: $0.name, selected: $0.code == report.region) },
            progressChart: ReportCharts.progress(report), regionChart: ReportCharts.regions(report), monthChart: ReportCharts.months(report),
            progress: byName["progress"]!, regionTable: byName["regions"]!, sizes: byName["sizes"]!, measures: byName["measures"]!,
            months: byName["months"]!, warnings: byName["warnings"]!, freshness: byName["freshness"]!,
            warningTotal: report.province.warnings.revenueWithoutAboveScale + report.province.warnings.sizeClassMismatch,
            warningShown: report.warningSamples.count)
        return Self.render(model, template: "report")
    }
}

extension ReviewPageModels {
    struct Report {
        struct RegionOption { var code: String; var name: String; var selected: Bool }
        var title = "进度报告"
        var nav: Nav
        var flash: Flash?
        var year: Int
        var generatedAt: String
        var regionName: String
        var regions: [RegionOption]
        var progressChart: String
        var regionChart: String
        var monthChart: String
        var progress: ReportTable
        var regionTable: ReportTable
        var sizes: ReportTable
        var measures: ReportTable
        var months: ReportTable
        var warnings: ReportTable
        var freshness: ReportTable
        var warningTotal: Int
        var warningShown: Int
    }

    struct ReportTable {
        struct Column { var label: String; var key: String; var numeric: Bool }
        struct Cell { var text: String; var numeric: Bool }
        struct Row { var cells: [Cell] }
        var name: String
        var title: String
        var csvHref: String
        var columns: [Column]
        var rows: [Row]
        var empty: Bool
    }
}
