import Aggregator
import ArgumentParser
import CommandSupport
import Foundation

struct DesignationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "designations", abstract: "Import the province's published designation lists.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give every credit code listed in FILE the designation (one transaction, with provenance).",
            discussion: """
                FILE: one credit code per line in the first column (CSV; a header line, blank lines and # comments are skipped). \
                srdi and littleGiant get {year, batch, validUntil} (valid to the end of YEAR+2 unless --valid-until); \
                aboveDesignatedSize gets {since: "YEAR-MM"}. Codes not in the register, invalid or listed twice are named by line. \
                Exit code 3 when a line was refused.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "srdi, littleGiant or aboveDesignatedSize.") var kind: String
        @Option(help: "The list's year.") var year: Int
        @Option(help: "The batch number (srdi, littleGiant).") var batch: Int?
        @Option(help: "Last day of validity, YYYY-MM-DD (srdi, littleGiant).") var validUntil: String?
        @Option(help: "Month from which the enterprise counts as above designated size (default 1).") var month: Int?
        @Option(help: "Who imports (default: cli.by of the config); kept with each revision.") var by: String?
        @Argument(help: "The published list.") var file: String

        func validate() throws {
            guard DesignationImport.Kind(rawValue: kind) != nil else { throw ValidationError("--kind must be srdi, littleGiant or aboveDesignatedSize") }
            guard (1990...2100).contains(year) else { throw ValidationError("--year \(year) is not a plausible year") }
            if let month, !(1...12).contains(month) { throw ValidationError("--month must be 1 to 12") }
            if let validUntil, validUntil.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
                throw ValidationError("--valid-until must be YYYY-MM-DD")
            }
        }

        func run() async throws {
            try await reporting {
                let text: String
                do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw CommandFailure(message: "\(file): cannot read: \(error.localizedDescription)", code: .usage)
                }
                let kind = DesignationImport.Kind(rawValue: self.kind)!
                let value = DesignationImport.value(kind: kind, year: year, batch: batch, validUntil: validUntil, month: month)
                let (_, who, database) = try await options.open(by: by)
                let summary = try await DesignationImport(database: database).run(
                    kind: kind, value: value, list: DesignationImport.codes(in: text), source: file, by: .provinceCLI(user: who))
                summary.refused.forEach { printSafe("refused: \($0)") }
                print("designations \(kind.rawValue) \(value.canonicalString): \(summary.designated.count) designated, \(summary.unchanged.count) already had it, \(summary.refused.count) refused")
                if !summary.refused.isEmpty { throw ExitCode.skipped }
            }
        }
    }
}
