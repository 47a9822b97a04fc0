import EnterpriseModel
import Testing

@Suite("CSV cells")
struct CSVCellTests {
    @Test("text starting with each trigger, or with a quote, gets one leading quote and is quoted", arguments: [
        ("=1+1", "\"'=1+1\""), ("+1", "\"'+1\""), ("-1", "\"'-1\""), ("@SUM(A1)", "\"'@SUM(A1)\""),
        ("\tx", "\"'\tx\""), ("\rx", "\"'\rx\""), ("'x", "\"''x\""), ("''", "\"'''\""),
        ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
    ])
    func triggers(value: String, written: String) {
        #expect(CSVCell.text(value).encoded == written)
    }

    @Test("other text is written as it is, quoted only when RFC 4180 needs it", arguments: [
        ("洛阳恒瑞", "洛阳恒瑞"), ("", ""), ("a=b", "a=b"), (" =1", " =1"), ("\n=1", "\"\n=1\""), ("a,b", "\"a,b\""), ("x'", "x'"),
    ])
    func plainText(value: String, written: String) {
        #expect(CSVCell.text(value).encoded == written)
    }

    @Test("numbers stay numbers, negative ones included; a number column holding anything else is text", arguments: [
        ("-5", "-5"), ("0", "0"), ("12.5", "12.5"), ("-0.5", "-0.5"), ("1e+20", "1e+20"), ("-1.5E-7", "-1.5E-7"),
        ("-5+cmd|'/c calc'!A1", "\"'-5+cmd|'/c calc'!A1\""), ("=1+1", "\"'=1+1\""), ("+5", "\"'+5\""), ("-", "\"'-\""),
        ("1.", "1."), ("", ""), ("1e", "1e"),
    ])
    func numbers(value: String, written: String) {
        #expect(CSVCell.number(value).encoded == written)
    }

    @Test("every text reads back as it was written, including values that start with a quote, a minus or an equals sign", arguments: [
        "=1+1", "+1", "-5", "@x", "\t=1", "\r=1", "'", "''", "'=1", "'-5", "'abc", "''=x", "-", "=", "abc", "'王", "a,\"b\"",
    ])
    func roundTrip(value: String) throws {
        // Through the reader, in a known text column and in a bureau's own one.
        let text = "uscc,name,remark\r\n91410100556930377C," + CSVCell.line([.text(value), .text(value)]) + "\r\n"
        let rows = try RecordCSV.parse(text).map { try $0.get().document }
        #expect(rows == [["uscc": "91410100556930377C", "name": .string(value), "remark": .string(value)]])
    }

    @Test("the reader takes off one quote before a trigger or a quote, and keeps any other")
    func decode() {
        #expect(CSVCell.decodeText("'=1") == "=1")
        #expect(CSVCell.decodeText("''x") == "'x")
        #expect(CSVCell.decodeText("'x") == "'x")
        #expect(CSVCell.decodeText("'") == "'")
        #expect(CSVCell.decodeText("=1") == "=1")
    }

    @Test("a line joins encoded cells with commas")
    func line() {
        #expect(CSVCell.line([.text("uscc"), .text("=x"), .number("-5"), .text("")]) == "uscc,\"'=x\",-5,")
    }
}
