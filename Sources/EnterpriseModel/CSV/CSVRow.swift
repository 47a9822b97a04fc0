/// One data row of a record CSV file, read into a record document.
public struct CSVRow: Sendable, Equatable {
    /// The physical line (from 1) where the row starts; a quoted cell may span several lines.
    public var line: Int
    /// The record document: empty cells are absent members. It has not been validated.
    public var document: JSONValue

    public init(line: Int, document: JSONValue) {
        self.line = line
        self.document = document
    }
}
