import Agent
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Read, write, import, export and check the store's records.",
        subcommands: [Get.self, Put.self, Import.self, Export.self, Validate.self, Generate.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record of the working copy (or, with --base, as the province last acknowledged it).")
        @OptionGroup var options: AgentOptions
        @Argument(help: "The credit code.") var uscc: String
        @Flag(help: "Print the acknowledged base instead of the working copy.") var base = false

        func run() async throws {
            try await reporting {
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw AgentError.invalidRecord(file: uscc, reason: "\(error)") }
                let base = self.base
                let text = try await options.withEngine(lock: nil, command: "record get") { engine -> String in
                    if base {
                        guard let b = try engine.store.readBase(code) else { throw AgentError.recordNotFound(uscc: code) }
                        return String(decoding: b.document.prettyBytes(), as: UTF8.self)
                    }
                    guard FileSystem.exists(engine.store.recordFile(code)) else { throw AgentError.recordNotFound(uscc: code) }
                    return String(decoding: try engine.store.readRecordBytes(code), as: UTF8.self)
                }
                print(text, terminator: "")
                return .success
            }
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate record files and write them into the working copy (records/<USCC>.json).",
            discussion: "Refuses a record whose credit code has a wrong check character, that fails validation or that belongs to another region; nothing is written for a refused file.")
        @OptionGroup var options: AgentOptions
        @OptionGroup var lock: LockOptions
        @Argument(help: "JSON files with one record each; - reads standard input.") var files: [String]

        func run() async throws {
            try await reporting {
                let files = self.files
                let written = try await options.withEngine(lock: lock, command: "record put") { engine -> [String] in
                    let writer = RecordFiles(store: engine.store, region: engine.config.region)
                    var written: [String] = []
                    for file in files {
                        let bytes = try file == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : FileSystem.read(file)
                        written.append(try writer.put(try Store.parseJSON(bytes, file: file), origin: file))
                    }
                    return written
                }
                for uscc in written { print("wrote records/\(uscc).json") }
                return .success
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check record files (default: every file of the working copy) and list each problem by file and field.",
            discussion: "Exit code 3 when a file has an error. Warnings (e.g. revenue above 20 million yuan without the above-scale flag) do not fail.")
        @OptionGroup var options: AgentOptions
        @Argument(help: "Files to check instead of the whole store.") var files: [String] = []

        func run() async throws {
            try await reporting {
                let files = self.files
                let (lines, errors) = try await options.withEngine(lock: nil, command: "record validate") { engine -> ([String], Int) in
                    let paths = files.isEmpty
                        ? try FileSystem.list(engine.store.recordsPath).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { engine.store.recordsPath + "/" + $0 }
                        : files
                    var lines: [String] = []
                    var errors = 0
                    for path in paths {
                        let name = files.isEmpty ? "records/" + path.split(separator: "/").last! : path
                        let document: JSONValue
                        do { document = try Store.parseJSON(try FileSystem.read(path), file: name) } catch {
                            errors += 1
                            lines.append("\(error)")
                            continue
                        }
                        for issue in RecordValidator.issues(in: document) {
                            if issue.severity == .error { errors += 1 }
                            lines.append("\(name): \(issue)")
                        }
                        if let region = document["region"]?.stringValue, region != engine.config.region {
                            errors += 1
                            lines.append("\(name): field region: \(region) is not this bureau's region \(engine.config.region)")
                        }
                    }
                    lines.append("\(plural(paths.count, "file")) checked, \(plural(errors, "error"))")
                    return (lines, errors)
                }
                lines.forEach { print($0) }
                return errors == 0 ? .success : .skipped
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import records from a CSV file or an xlsx workbook (the layout of `record export`) into the working copy.",
            discussion: """
                The header row names the columns by field name (uscc, employees, as the export writes) or by the Chinese \
                titles a bureau uses (统一社会信用代码, 从业人数; the README lists them). A workbook is read from its first \
                sheet, or the one --sheet names; serial dates become YYYY-MM-DD and phone numbers stored as numbers their \
                digits. Each row is validated like `record put`; a refused row is named by its line (list.csv:7) or sheet \
                and row (企业名录!row 7) and skipped, the others are written. Exit code 3 when a row was refused, 2 for \
                an option that does not fit the file. A progress bar is shown when standard error is a terminal.
                """)
        @OptionGroup var options: AgentOptions
        @OptionGroup var lock: LockOptions
        @Argument(help: "The CSV file or xlsx workbook (header row first).") var file: String
        @Option(help: "What a CSV file was saved as: utf-8, gbk or gb18030 (default: UTF-8, or GBK/GB18030 when the file is not UTF-8 but reads as that, said on standard error).")
        var encoding: TextEncoding?
        @Option(help: ArgumentHelp("The sheet of a workbook to read, by name or number from 1 (default: the first).", valueName: "name|number"))
        var sheet: String?

        func run() async throws {
            try await reporting {
                let (file, encoding, sheet) = (self.file, self.encoding, self.sheet)
                let summary = try await options.withEngine(lock: lock, command: "record import") { engine in
                    let progress = ProgressBar("import")
                    defer { progress.finish() }
                    return try RecordTransfer(store: engine.store, region: engine.config.region)
                        .importFile(file, encoding: encoding, sheet: sheet, progress: progress.update)
                }
                summary.notes.forEach { StandardError.write($0) }
                summary.refused.forEach { print("refused: \($0)") }
                print("import: \(plural(summary.written, "record")) written, \(summary.unchanged) unchanged, \(summary.refused.count) refused")
                return summary.refused.isEmpty ? .success : .skipped
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write realistic sample records of this bureau's region into the working copy (for trials, demos and benchmarks).",
            discussion: "Deterministic: the same --seed gives the same records (valid credit codes, counties of the region, plausible sizes and money).")
        @OptionGroup var options: AgentOptions
        @OptionGroup var lock: LockOptions
        @Option(help: "How many records.") var count: Int = 100
        @Option(help: "Seed of the generator.") var seed: UInt64 = 1

        func run() async throws {
            try await reporting {
                let (count, seed) = (self.count, self.seed)
                let codes = try await options.withEngine(lock: lock, command: "record generate") { engine in
                    let progress = ProgressBar("generate")
                    defer { progress.finish() }
                    return try RecordTransfer(store: engine.store, region: engine.config.region).generate(count: count, seed: seed, progress: progress.update)
                }
                print("generated \(plural(codes.count, "record"))")
                return .success
            }
        }
    }
}

/// `record import --encoding utf-8|gbk|gb18030`, in any case (Windows dialogs say "GBK", "UTF-8").
extension TextEncoding: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}
