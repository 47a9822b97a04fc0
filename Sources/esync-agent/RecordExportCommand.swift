import Agent
import ArgumentParser
import CommandSupport
import Foundation

extension RecordCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the working copy as CSV or an xlsx workbook (to a file, or standard output).",
            discussion: """
                Lists and arrays (support measures) and fields outside the fixed columns are kept as JSON cells, so an \
                export imports back unchanged. In a workbook text is stored as text, never as a formula, and credit codes, \
                phone numbers and any number of more than 15 digits as text, so no digit is lost. -o FILE writes the file \
                (-o - or no -o: standard output), as `esync-aggregator records export` does. A progress bar is shown when \
                standard error is a terminal and the export does not go to it.
                """)
        @OptionGroup var options: AgentOptions
        @OptionGroup var export: ExportOptions

        func validate() throws { try ExportOptions.check(format: export.chosenFormat, file: export.file) }

        func run() async throws {
            try await reporting {
                let (file, format) = (export.file, export.chosenFormat)
                let problems = try await options.withEngine(lock: nil, command: "record export") { engine -> [String] in
                    var buffer: [UInt8] = []
                    let progress = ProgressBar("export", enabled: file != nil || !ProgressBar.standardOutputIsTerminal)
                    let transfer = RecordTransfer(store: engine.store, region: engine.config.region)
                    let problems: [String]
                    switch format {
                    case .csv:
                        problems = try transfer.exportCSV(
                            write: { line in
                                buffer.append(contentsOf: line.utf8)
                                if file == nil, buffer.count > 1 << 16 {
                                    FileHandle.standardOutput.write(Data(buffer))
                                    buffer.removeAll(keepingCapacity: true)
                                }
                            }, progress: progress.update)
                    case .xlsx:
                        let (workbook, skipped) = try transfer.exportWorkbook(progress: progress.update)
                        buffer = Array(workbook)
                        problems = skipped
                    }
                    progress.finish()
                    if let file { try FileSystem.writeAtomically(file, buffer) } else { FileHandle.standardOutput.write(Data(buffer)) }
                    return problems
                }
                problems.forEach { StandardError.write("skipped: \($0)") }
                return problems.isEmpty ? .success : .skipped
            }
        }
    }
}
