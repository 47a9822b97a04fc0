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
