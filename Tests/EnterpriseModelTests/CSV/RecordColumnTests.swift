import EnterpriseModel
import Testing

@Suite("Record columns")
struct RecordColumnTests {
    @Test("a header cell names a column by field name or Chinese title, brackets full-width or not")
    func titles() {
        #expect(RecordColumn.named("从业人数")?.name == "employees")
        #expect(RecordColumn.named(" 营业收入（元） ")?.name == "revenueYuan")
        #expect(RecordColumn.named("营业收入(元)")?.name == "revenueYuan")
        #expect(RecordColumn.named("contactPhone")?.title == "联系电话")
        #expect(RecordColumn.named("统一社会信用代码")?.isCreditCode == true)
        #expect(RecordColumn.named("其他字段(JSON)")?.name == "extra")
        #expect(RecordColumn.named("备注") == nil)
        #expect(RecordColumn.canonicalName(" 备注（内部） ") == "备注（内部）", "a bureau's own column keeps its name")
    }

    @Test("every column has its own title, and the export's header is the field names")
    func everyColumnHasATitle() {
        let columns = RecordColumn.all + [RecordColumn.extra]
        #expect(Set(columns.map(\.title)).count == columns.count)
        #expect(columns.map(\.name) == RecordCSV.header)
        for column in columns { #expect(RecordColumn.named(column.title) == column) }
    }

    @Test("CSV import reads a bureau's list with Chinese titles")
    func csvWithTitles() throws {
        let text = "统一社会信用代码,企业名称,从业人数,营业收入（元）,联系电话,备注\r\n91410100MA44ABCD1X,郑州恒瑞机械有限公司,120,12500000,13812345678,老客户\r\n"
        let rows = try RecordCSV.parse(text).map { try $0.get().document }
        #expect(rows == [[
            "uscc": "91410100MA44ABCD1X", "name": "郑州恒瑞机械有限公司", "employees": 120, "revenueYuan": 12_500_000,
            "contact": ["phone": "13812345678"], "备注": "老客户",
        ]])
        #expect(throws: CSVRowError(line: 1, reason: "header names column uscc twice (as uscc and 统一社会信用代码)")) {
            try RecordCSV.parse("uscc,统一社会信用代码\r\nx,y\r\n")[0].get()
        }
    }
}
