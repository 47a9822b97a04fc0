#if canImport(Glibc)
import Glibc
#endif
import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation

struct RecordsExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the merged register (or one region) as CSV, streaming, or as an xlsx workbook; a progress bar on a terminal.",
        discussion: """
            The columns are those of `esync-agent record export`, so a bureau can `esync-agent record import` the file. \
            In a workbook text is stored as text, never as a formula, and credit codes, phone numbers and any number of \
            more than 15 digits as text. FILE - writes to standard output.
            """)
    @OptionGroup var options: ConfigOption
    @Option(help: "Only this region's records (6-digit code).") var region: String?
    @Option(help: "csv or xlsx (default: xlsx when FILE ends in .xlsx, else csv).") var format: RecordFileFormat?
    @Argument(help: "The file to write, or - for standard output.") var file: String

    func validate() throws {
        if let region, Regions.region(code: region) == nil { throw ValidationError("\(region) is not one of the 18 regions") }
        if RecordFileFormat.chosen(format, output: file) == .xlsx, file == "-", isatty(STDOUT_FILENO) == 1 {
            throw ValidationError("an xlsx workbook is not for a terminal: give a FILE.xlsx, or redirect standard output")
        }
    }

    func run() async throws {
        try await reporting {
            let (_, database) = try await options.open()
            let handle: FileHandle
            if file == "-" { handle = .standardOutput } else {
                guard FileManager.default.createFile(atPath: file + ".part", contents: nil), let h = FileHandle(forWritingAtPath: file + ".part") else {
                    throw CommandFailure(message: "\(file): cannot write", code: 1)
                }
                handle = h
            }
            var bar = TerminalProgress(label: "export")
            let count: Int
            switch RecordFileFormat.chosen(format, output: file) {
            case .csv:
                count = try RegisterExport.run(region: region, database: database, write: { try handle.write(contentsOf: Data($0.utf8)) },
                                               progress: { bar.update($0, of: $1) })
            case .xlsx:
                let (workbook, rows) = try RegisterExport.workbook(region: region, database: database, progress: { bar.update($0, of: $1) })
                try handle.write(contentsOf: workbook)
                count = rows
            }
            bar.finish()
            if file != "-" {
                try handle.synchronize()
                try handle.close()
                _ = try? FileManager.default.removeItem(atPath: file)
                try FileManager.default.moveItem(atPath: file + ".part", toPath: file)
                FileHandle.standardError.write(Data("exported \(plural(count, "record")) to \(file)\n".utf8))
            }
        }
    }
}

/// A one-line progress bar on standard error when it is a terminal (`[####------] 40% 4000/10000`);
/// nothing otherwise, so logs and pipes get no control characters.
struct TerminalProgress {
    let label: String
    let enabled = isatty(STDERR_FILENO) == 1
    var lastPercent = -1

    init(label: String) { self.label = label }

    mutating func update(_ done: Int, of total: Int) {
        guard enabled else { return }
        let percent = total == 0 ? 100 : min(100, done * 100 / total)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent * 30 / 100
        FileHandle.standardError.write(Data("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 30 - filled))] \(percent)% \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
