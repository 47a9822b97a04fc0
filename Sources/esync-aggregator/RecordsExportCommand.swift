import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation

extension RecordsCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the merged register (or one region) as CSV, streaming, or as an xlsx workbook (to a file, or standard output).",
            discussion: """
                The columns are those of `esync-agent record export`, so a bureau can `esync-agent record import` the file. \
                In a workbook text is stored as text, never as a formula, and credit codes, phone numbers and any number of \
                more than 15 digits as text. -o FILE writes the file (-o - or no -o: standard output), as `esync-agent \
                record export` does; FILE without -o (- for standard output) still works but is deprecated. A progress bar \
                is shown when standard error is a terminal and the export does not go to it.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "Only this region's records (6-digit code).") var region: String?
        @OptionGroup var export: ExportOptions
        /// The spelling before -o: deprecated, kept for scripts (not in --help).
        @Argument(help: .hidden) var deprecatedFile: String?

        func validate() throws {
            if let region, Regions.region(code: region) == nil { throw ValidationError("\(region) is not one of the 18 regions") }
            if deprecatedFile != nil, export.output != nil { throw ValidationError("give -o FILE, not a FILE too") }
            try ExportOptions.check(format: format, file: file)
        }

        /// The file to write; nil for standard output.
        var file: String? {
            guard let deprecatedFile else { return export.file }
            return deprecatedFile == "-" ? nil : deprecatedFile
        }

        var format: RecordFileFormat { RecordFileFormat.chosen(export.format, output: file) }

        func run() async throws {
            try await reporting {
                if let deprecatedFile {
                    StandardError.write("esync-aggregator: note: `records export FILE` is deprecated; write `records export -o \(deprecatedFile)`")
                }
                let (_, database) = try await options.open()
                let handle: FileHandle
                if let file {
                    guard FileManager.default.createFile(atPath: file + ".part", contents: nil), let h = FileHandle(forWritingAtPath: file + ".part") else {
                        throw CommandFailure(message: "\(file): cannot write", code: .failure)
                    }
                    handle = h
                } else {
                    handle = .standardOutput
                }
                let bar = ProgressBar("export", enabled: file != nil || !ProgressBar.standardOutputIsTerminal)
                let count: Int
                switch format {
                case .csv:
                    count = try RegisterExport.run(
                        region: region, database: database, write: { try handle.write(contentsOf: Data($0.utf8)) }, progress: bar.update)
                case .xlsx:
                    let (workbook, rows) = try RegisterExport.workbook(region: region, database: database, progress: bar.update)
                    try handle.write(contentsOf: workbook)
                    count = rows
                }
                bar.finish()
                if let file {
                    try handle.synchronize()
                    try handle.close()
                    _ = try? FileManager.default.removeItem(atPath: file)
                    try FileManager.default.moveItem(atPath: file + ".part", toPath: file)
                    StandardError.write("exported \(plural(count, "record")) to \(file)")
                }
            }
        }
    }
}
