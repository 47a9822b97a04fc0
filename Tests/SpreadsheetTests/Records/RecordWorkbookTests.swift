import EnterpriseModel
import Foundation
@testable import Spreadsheet
import Testing

@Suite("Records in workbooks")
struct RecordWorkbookTests {
    func documents(_ sheet: RecordWorkbook.Sheet) throws -> [JSONValue] {
        try sheet.rows.map { try $0.get().document }
    }

    func inline(_ reference: String, _ text: String) -> String {
        #"<c r="\#(reference)" t="inlineStr"><is><t>\#(text)</t></is></c>"#
    }

    @Test("generated records survive documents → workbook → documents")
    func generatedRoundTrip() throws {
        var generator = SampleGenerator(seed: 19)
        var originals = generator.records(count: 300).map(\.json)
        // Text a spreadsheet would run, a quote the reader takes off, Office's escapes, a tab.
        originals[0] = withFields(originals[0], ["name": "=HYPERLINK(\"http://x\",\"y\")", "contact.person": "'=王", "status": "_x0041_\tA\r\n"])
        let bytes = try RecordWorkbook.data(for: originals)
        let sheet = try RecordWorkbook.read(bytes, file: "export.xlsx", sheet: nil)
        #expect(sheet.name == RecordWorkbook.sheetName)
        #expect(try documents(sheet) == originals)
        #expect(sheet.rows.compactMap { try? $0.get().row }.prefix(3) == [2, 3, 4])
    }

    @Test("a bureau's sheet: Chinese titles, shared strings, serial dates, phone numbers stored as numbers")
    func aBureausSheet() throws {
        let strings = ["<t>统一社会信用代码</t>", "<t>企业名称</t>", "<t>所属地区</t>", "<t>所属县区</t>", "<t>从业人数</t>",
                       "<t>营业收入（元）</t>", "<t>专精特新有效期至</t>", "<t>纳入规上年月</t>", "<t>联系电话</t>", "<t>更新时间</t>",
                       "<r><t>郑州</t></r><r><t>恒瑞机械有限公司</t></r><rPh><t>zhengzhou</t></rPh>", "<t> 备注 </t>", "<t>老客户</t>"]
        let rows = #"""
            <row r="1">\#((0..<10).map { #"<c r="\#(CellReference.letters($0 + 1))1" t="s"><v>\#($0)</v></c>"# }.joined())<c r="K1" t="s"><v>11</v></c><c r="L1" s="2"/></row>
            <row r="3"><c r="A3" t="s"><v>99</v></c></row>
            <row r="4">\#(inline("A4", "91410100MA44ABCD1X"))<c r="B4" t="s"><v>10</v></c><c r="C4"><v>410100</v></c><c r="D4" t="str"><f>X</f><v>410102</v></c><c r="E4"><v>120</v></c><c r="F4"><v>1.25E7</v></c><c r="G4" s="3"><v>46752</v></c><c r="H4"><v>45352</v></c><c r="I4"><v>13812345678</v></c><c r="J4"><v>45429.395833333336</v></c><c r="K4" t="s"><v>12</v></c></row>
            """#
        let bytes = try TestWorkbook.make([.init(name: "企业名录", rows: rows)], sharedStrings: strings)
        let sheet = try RecordWorkbook.read(bytes, file: "list.xlsx", sheet: nil)
        #expect(sheet.rows.count == 2)
        #expect(throws: SpreadsheetError.cell(sheet: "企业名录", reference: "A3", column: "uscc", reason: "shared string 99 is not in the workbook")) {
            try sheet.rows[0].get()
        }
        #expect("\(SpreadsheetError.cell(sheet: "企业名录", reference: "A3", column: "uscc", reason: "x"))" == "企业名录!row 3: cell A3 (uscc): x")
        let record = try sheet.rows[1].get()
        #expect(record.row == 4)
        #expect(record.document == [
            "uscc": "91410100MA44ABCD1X", "name": "郑州恒瑞机械有限公司", "region": "410100", "county": "410102", "employees": 120,
            "revenueYuan": 12_500_000, "srdi": ["validUntil": "2027-12-31"], "aboveDesignatedSize": ["since": "2024-03"],
            "contact": ["phone": "13812345678"], "updatedAt": "2024-05-17T09:30:00+08:00", "备注": "老客户",
        ])
    }

    @Test("several sheets: the first visible by default, or one by name or number")
    func sheets() throws {
        func sheet(_ code: String) -> String {
            #"<row r="1">\#(inline("A1", "uscc"))</row><row r="2">\#(inline("A2", code))</row>"#
        }
        let bytes = try TestWorkbook.make([
            .init(name: "说明", rows: sheet("91410100MA44ABCD10"), hidden: true), .init(name: "企业名录", rows: sheet("91410100MA44ABCD11")),
            .init(name: "2", rows: sheet("91410100MA44ABCD12")),
        ], prefix: "x")
        func code(_ selector: String?) throws -> String? {
            try RecordWorkbook.read(bytes, file: "list.xlsx", sheet: selector).rows.first?.get().document["uscc"]?.stringValue
        }
        #expect(try code(nil) == "91410100MA44ABCD11")
        #expect(try code("说明") == "91410100MA44ABCD10")
        #expect(try code("1") == "91410100MA44ABCD10")
        #expect(try code("2") == "91410100MA44ABCD12", "a sheet's name wins over a number")
        #expect(throws: SpreadsheetError.noSuchSheet("9", sheets: ["说明", "企业名录", "2"])) { try code("9") }
    }

    @Test("bad rows are named by sheet, row and cell, and the rest reads")
    func badRows() throws {
        let rows = #"""
            <row r="1">\#(inline("A1", "uscc"))\#(inline("B1", "employees"))\#(inline("C1", "srdiValidUntil"))\#(inline("D1", "supportMeasures"))</row>
            <row r="2">\#(inline("A2", "91410100MA44ABCD1X"))<c r="B2" t="e"><v>#VALUE!</v></c></row>
            <row r="3"><c r="A3"><v>9.14101000000000E+17</v></c></row>
            <row r="4">\#(inline("A4", "91410100MA44ABCD1X"))<c r="C4"><v>60</v></c></row>
            <row r="5">\#(inline("A5", "91410100MA44ABCD1X"))\#(inline("D5", "[1,"))</row>
            <row r="6">\#(inline("A6", "91410100MA44ABCD1X"))\#(inline("E6", "stray"))</row>
            <row r="7">\#(inline("A7", "91410100MA44ABCD1X"))<c r="B7"><v>12.5</v></c><c r="C7" t="b"><v>1</v></c></row>
            """#
        let sheet = try RecordWorkbook.read(try TestWorkbook.make([.init(name: "企业名录", rows: rows)]), file: "list.xlsx", sheet: nil)
        let errors = sheet.rows.map { result -> String in
            switch result {
            case .success(let row): "row \(row.row) read"
            case .failure(let error): "\(error)"
            }
        }
        #expect(errors == [
            "企业名录!row 2: cell B2 (employees): the cell holds the error #VALUE!",
            "企业名录!row 3: cell A3 (uscc): the number 9.14101000000000E+17 has more than 15 digits, which a spreadsheet does not keep: format the column as text and type the digits again",
            "企业名录!row 4: cell C4 (srdiValidUntil): the number 60 is not a date",
            "企业名录!row 5: column supportMeasures: not valid JSON (" + errors[3].components(separatedBy: "not valid JSON (").last!,
            "企业名录!row 6: cell E6 (no column): a value right of the last column the header names",
            "row 7 read",
        ])
        // What the validator names, not the reader: a fraction of a headcount, a boolean as a date.
        #expect(try sheet.rows[5].get().document == ["uscc": "91410100MA44ABCD1X", "employees": "12.5", "srdi": ["validUntil": "TRUE"]])
    }

    @Test("what stops the whole file: not a workbook, an empty sheet, a header without a credit code")
    func wholeFileErrors() throws {
        #expect(throws: SpreadsheetError.self) { try RecordWorkbook.read(Data("uscc,name\n".utf8), file: "list.csv", sheet: nil) }
        #expect(throws: SpreadsheetError.emptySheet(sheet: "Sheet1")) {
            try RecordWorkbook.read(try TestWorkbook.make([.init(name: "Sheet1", rows: "")]), file: "x.xlsx", sheet: nil)
        }
        let noCode = try TestWorkbook.make([.init(name: "Sheet1", rows: #"<row r="2">\#(inline("A2", "企业名称"))\#(inline("B2", "name"))</row>"#)])
        #expect(throws: SpreadsheetError.row(sheet: "Sheet1", row: 2, reason: "header names column name twice (as 企业名称 and name)")) {
            try RecordWorkbook.read(noCode, file: "x.xlsx", sheet: nil)
        }
        let broken = try TestWorkbook.zip([("xl/workbook.xml", Data("<workbook><sheets>".utf8))])
        #expect(throws: SpreadsheetError.self) { try RecordWorkbook.read(broken, file: "x.xlsx", sheet: nil) }
        #expect(RecordWorkbook.looksLikeWorkbook(Array(try RecordWorkbook.data(for: []))))
        #expect(!RecordWorkbook.looksLikeWorkbook(Array("uscc\n".utf8)))
    }
}

/// The document with members (`name`, or `contact.person`) set.
private func withFields(_ document: JSONValue, _ changes: [String: JSONValue]) -> JSONValue {
    guard case .object(var members) = document else { return document }
    for (path, value) in changes {
        let parts = path.split(separator: ".").map(String.init)
        if parts.count == 2 {
            var inner = members[parts[0]]?.objectValue ?? [:]
            inner[parts[1]] = value
            members[parts[0]] = .object(inner)
        } else {
            members[path] = value
        }
    }
    return .object(members)
}
