@testable import Agent
import EndToEndSupport
import EnterpriseModel
import Foundation
import Testing

/// Issue 20: the agent rewrites a record file (a merge, `record put`, an import) with the line
/// endings and byte order mark the operator's editor gave it, so that an editor on Windows does
/// not see the whole file changed, and a file saved on Linux stays LF.
@Suite struct RecordFileStyleTests {
    let temporary = TemporaryFolder("style")
    var root: String { temporary.path + "/store" }
    static let document: JSONValue = ["uscc": "91410100556930377C", "name": "郑州某某有限公司", "contact": ["phone": "0371-1"]]

    @Test func theStyleIsReadFromTheStartOfAFile() {
        #expect(RecordFileStyle(head: Array("{\n  \"a\": 1\r\n".utf8)) == RecordFileStyle(byteOrderMark: false, crlf: false))
        #expect(RecordFileStyle(head: Array("{\r\n  \"a\": 1\n".utf8)) == RecordFileStyle(byteOrderMark: false, crlf: true))
        #expect(RecordFileStyle(head: [0xEF, 0xBB, 0xBF] + Array("{\r\n".utf8)) == RecordFileStyle(byteOrderMark: true, crlf: true))
        #expect(RecordFileStyle(head: [0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == RecordFileStyle(byteOrderMark: true, crlf: false))
        #expect(RecordFileStyle(head: []) == RecordFileStyle())
    }

    @Test func aDocumentIsWrittenInTheStyle() throws {
        let lf = Self.document.prettyBytes()
        #expect(RecordFileStyle().bytes(Self.document) == lf)
        let windows = RecordFileStyle(byteOrderMark: true, crlf: true).bytes(Self.document)
        #expect(windows == [0xEF, 0xBB, 0xBF] + Array(String(decoding: lf, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8))
        #expect(try JSONValue.parse(windows) == Self.document)
    }

    @Test func aRewriteKeepsTheFilesStyleAndANewFileIsPlain() throws {
        let store = try Store.initialize(root, region: "410100")
        let uscc = "91410100556930377C", path = store.recordFile(uscc)
        try store.writeRecord(Self.document, uscc: uscc)
        #expect(try FileSystem.read(path) == Self.document.prettyBytes())

        let windows = RecordFileStyle(byteOrderMark: true, crlf: true)
        try windows.bytes(Self.document).write(to: path)
        let edited: JSONValue = ["uscc": "91410100556930377C", "name": "郑州另一有限公司"]
        try store.writeRecord(edited, uscc: uscc)
        #expect(try FileSystem.read(path) == windows.bytes(edited))
    }
}
