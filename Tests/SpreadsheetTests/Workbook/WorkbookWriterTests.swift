import EnterpriseModel
import Foundation
@testable import Spreadsheet
import Testing

@Suite("Workbook writer")
struct WorkbookWriterTests {
    func sheetXML(_ rows: [[CSVCell]]) throws -> String {
        var writer = WorkbookWriter(sheetName: "企业名录")
        rows.forEach { writer.append($0) }
        return try TestWorkbook.part("xl/worksheets/sheet1.xml", of: writer.data())
    }

    @Test("text a spreadsheet would run is an inline string, never a formula, and needs no quote")
    func formulasStayText() throws {
        let xml = try sheetXML([[.text("=HYPERLINK(\"http://x\",\"y\")"), .text("+C3"), .text("-small"), .text("@SUM(A1)")]])
        #expect(!xml.contains("<f>") && !xml.contains("<f "), "\(xml)")
        #expect(xml.contains(#"<c r="A1" t="inlineStr"><is><t xml:space="preserve">=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)</t></is></c>"#), "\(xml)")
        #expect(xml.contains(#"<t xml:space="preserve">+C3</t>"#) && xml.contains(#"<t xml:space="preserve">-small</t>"#))
        #expect(!xml.contains("'"), "no quote is added before a trigger: \(xml)")
    }

    @Test("a text that starts with a quote the reader would take off gets one more")
    func quotesThatTheReaderTakesOff() throws {
        let xml = try sheetXML([[.text("'=1"), .text("'王"), .text("''")]])
        #expect(xml.contains(">''=1<") && xml.contains(">'王<") && xml.contains(">'''<"), "\(xml)")
    }

    @Test("numbers a spreadsheet keeps exactly are numbers; longer ones, and credit codes, are text")
    func numbers() throws {
        let xml = try sheetXML([[.number("120"), .number("-12500000"), .number("123456789012345678"), .text("914101000000000001"),
                                  .number("1.5"), .number("12 apples"), .text("")]])
        #expect(xml.contains(#"<c r="A1"><v>120</v></c><c r="B1"><v>-12500000</v></c>"#), "\(xml)")
        #expect(xml.contains(#"<c r="C1" t="inlineStr"><is><t xml:space="preserve">123456789012345678</t>"#), "\(xml)")
        #expect(xml.contains(#"<c r="D1" t="inlineStr"><is><t xml:space="preserve">914101000000000001</t>"#), "\(xml)")
        #expect(xml.contains(#"<c r="E1"><v>1.5</v></c>"#) && xml.contains(#"<c r="F1" t="inlineStr">"#), "\(xml)")
        #expect(!xml.contains(#"r="G1""#), "an empty cell is left out: \(xml)")
    }

    @Test("a sheet name Excel would refuse is cleaned")
    func sheetNames() {
        #expect(WorkbookWriter.validSheetName("a/b[c]:d*?\\e") == "abcde")
        #expect(WorkbookWriter.validSheetName(String(repeating: "名", count: 40)).count == 31)
        #expect(WorkbookWriter.validSheetName("[]") == "Sheet1")
    }
}
