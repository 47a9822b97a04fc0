import EnterpriseModel

/// How an operator's editor laid out a record file: CRLF line endings and a UTF-8 byte order
/// mark, as Notepad and other Windows editors save, or neither. The agent rewrites a file (a
/// pull merging the province's change, `record put`, an import) in the style it found, so
/// that the editor, and a version control tool, do not see every line of the file changed.
/// A new file is written plain (LF, no mark), as everything the agent writes.
public struct RecordFileStyle: Sendable, Equatable {
    public var byteOrderMark = false
    public var crlf = false

    public init(byteOrderMark: Bool = false, crlf: Bool = false) {
        self.byteOrderMark = byteOrderMark
        self.crlf = crlf
    }

    static let mark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The style of a file that starts with `head`: its first line break decides the endings
    /// (a file saved by one editor has one kind).
    public init(head: some Collection<UInt8>) {
        byteOrderMark = head.starts(with: Self.mark)
        if let lf = head.firstIndex(of: 0x0A), lf != head.startIndex {
            crlf = head[head.index(lf, offsetBy: -1)] == 0x0D
        }
    }

    /// The style of the file at `path`, from its first bytes; plain when there is none.
    public static func of(_ path: String) -> RecordFileStyle {
        FileSystem.readPrefix(path, count: 256).map { RecordFileStyle(head: $0) } ?? RecordFileStyle()
    }

    /// `document` as the agent writes a record (`prettyBytes`), in this style. Pretty JSON holds
    /// line breaks only between members (a break inside a string is written `\n`), so each
    /// one becomes CRLF.
    public func bytes(_ document: JSONValue) -> [UInt8] {
        let plain = document.prettyBytes()
        guard byteOrderMark || crlf else { return plain }
        var out = byteOrderMark ? Self.mark : []
        out.reserveCapacity(plain.count + plain.count / 16 + 3)
        for byte in plain {
            if byte == 0x0A && crlf { out.append(0x0D) }
            out.append(byte)
        }
        return out
    }
}
