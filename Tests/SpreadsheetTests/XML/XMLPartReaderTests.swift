import Foundation
@testable import Spreadsheet
import Testing

@Suite("XML parts")
struct XMLPartReaderTests {
    final class Counter: XMLPartHandler {
        var rows = 0
        func start(_ name: String, attributes: [String: String]) { if name == "row" { rows += 1 } }
        func end(_ name: String) {}
        func text(_ text: String) {}
    }

    @Test("a part of more than 16 MiB, a sheet of many thousand records, is read whole")
    func largePart() throws {
        let row = #"<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>郑州恒瑞机械有限公司 and some more text</x:t></x:is></x:c></x:row>"#
        let count = 20 << 20 / row.utf8.count
        let xml = #"<?xml version="1.0"?><x:sheetData xmlns:x="urn:x">"# + String(repeating: row, count: count) + "</x:sheetData>"
        let counter = Counter()
        try XMLPartReader.read(Data(xml.utf8), part: "xl/worksheets/sheet1.xml", into: counter)
        #expect(counter.rows == count)
    }

    @Test("a part that is not well-formed is named, with its line")
    func malformed() {
        #expect(throws: SpreadsheetError.self) {
            try XMLPartReader.read(Data("<a>\n<b></a>".utf8), part: "xl/workbook.xml", into: Counter())
        }
        do {
            try XMLPartReader.read(Data("<a>\n<b></a>".utf8), part: "xl/workbook.xml", into: Counter())
        } catch {
            #expect("\(error)".hasPrefix("workbook part xl/workbook.xml: not well-formed XML at line 2"), "\(error)")
        }
    }
}
