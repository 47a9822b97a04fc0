#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// What a record export writes: `--format csv|xlsx` of `esync-agent record export` and
/// `esync-aggregator records export`. Without `--format`, a file named `….xlsx` is a workbook
/// and anything else (standard output included) CSV.
public enum RecordFileFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case csv
    case xlsx

    /// The format asked for, or the one the output file's name says.
    public static func chosen(_ format: RecordFileFormat?, output: String?) -> RecordFileFormat {
        if let format { return format }
        return output?.lowercased().hasSuffix(".xlsx") == true ? .xlsx : .csv
    }

    public init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}

/// Where a record export goes and in what format, the same in both tools: `-o FILE` (or
/// `--output FILE`), else standard output (`-o -` says so too); `--format csv|xlsx`.
public struct ExportOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output (- for standard output).", valueName: "file"))
    public var output: String?
    @Option(help: "csv or xlsx (default: xlsx when --output ends in .xlsx, else csv).")
    public var format: RecordFileFormat?

    public init() {}

    /// The file to write; nil for standard output.
    public var file: String? { output == "-" ? nil : output }

    public var chosenFormat: RecordFileFormat { RecordFileFormat.chosen(format, output: file) }

    /// Refuses a workbook for a terminal: its bytes would only garble it. (The command's
    /// `validate()` calls it: `records export` still takes a FILE without `-o`.)
    public static func check(format: RecordFileFormat, file: String?) throws {
        if format == .xlsx, file == nil, isatty(STDOUT_FILENO) == 1 {
            throw ValidationError("an xlsx workbook is not for a terminal: give --output FILE.xlsx, or redirect standard output")
        }
    }
}
