import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The province's progress report: per region, designations held and added in the year against the targets.",
        discussion: """
            Counts enterprises by size class and status, above-designated-size, provincial SRDI and national little-giant \
            enterprises held and added in the year (a renewal or a re-grant is not new; see README, "Progress report"), \
            progress against report.targets.* split by report.regionShares, support measures, records with validation \
            warnings and each region's last sync. All in SQL over the database.

            --csv prints one table (--table: \(ReportTable.names.joined(separator: ", ")); default regions); \
            --json the whole report. The same report: GET /v1/report and the page /review/report.
            """)
    @OptionGroup var options: ConfigOption
    @Option(help: "The report's year (default: the current year in Beijing time).") var year: Int?
    @Option(help: "One region's figures (6-digit code); the province row still covers all regions.") var region: String?
    @Flag(help: "Print one table as CSV (see --table).") var csv = false
    @Flag(help: "Print the whole report as JSON.") var json = false
    @Option(help: "The table for --csv or the terminal: \(ReportTable.names.joined(separator: ", ")).") var table: String?

    func validate() throws {
        if csv && json { throw ValidationError("give at most one of --csv and --json") }
        if let year, !(2000...2100).contains(year) { throw ValidationError("--year \(year) is not a plausible year") }
        if let region, Regions.region(code: region) == nil { throw ValidationError("\(region) is not one of the 18 regions") }
        if let table, !ReportTable.names.contains(table) { throw ValidationError("--table must be one of \(ReportTable.names.joined(separator: ", "))") }
    }

    func run() async throws {
        try await reporting {
            let (config, database) = try await options.open()
            let report = try await ProgressReport.build(year: year ?? ProgressReport.currentYear(), region: region, targets: config.report,
                                                        database: database)
            if json { try printJSON(report); return }
            if csv || table != nil {
                guard let table = try await ReportTable.named(table ?? "regions", report: report, database: database) else { return }
                print(csv ? table.csv : table.text, terminator: csv ? "" : "\n")
                return
            }
            for table in ReportTable.all(report) where table.name != "warnings" {
                print("\(table.title)\n\(table.text)\n")
            }
            let w = report.province.warnings
            print("校验提示 warnings: \(w.revenueWithoutAboveScale) revenueWithoutAboveScale, \(w.sizeClassMismatch) sizeClassMismatch (--table warnings lists them)")
        }
    }
}
