/// A CSV row (or the header) that could not be turned into a record document.
public struct CSVRowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The physical line (from 1) where the row starts.
    public var line: Int
    /// What is wrong with the row, naming the column or cell where it can.
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}
