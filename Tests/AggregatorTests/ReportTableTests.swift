@testable import Aggregator
import EnterpriseModel
import Testing

@Suite("Report tables")
struct ReportTableTests {
    @Test("the CSV of a table: bureau text that a spreadsheet would run gets a leading quote, numbers stay numbers")
    func formulasAreNeutralised() {
        let table = ReportTable(name: "warnings", title: "校验提示", columns: [
            ReportTable.col("name", "企业名称", numeric: false), ReportTable.col("measure", "措施", numeric: false),
            ReportTable.col("count", "笔数"), ReportTable.col("percent", "完成率 %"),
        ], rows: [
            ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "-5", "-12.5"],
            ["洛阳恒瑞", "'补助", "12", "0.0"],
            ["-洛阳", "\t+1", "=1+1", "1e5"],
        ])
        #expect(table.csv == """
            name,measure,count,percent\r
            "'=HYPERLINK(""http://x"",""y"")","'@SUM(A1)",-5,-12.5\r
            洛阳恒瑞,"''补助",12,0.0\r
            "'-洛阳","'\t+1","'=1+1",1e5\r

            """)
    }
}
