import EnterpriseModel
import Testing

@Suite("Record CSV")
struct RecordCSVTests {
    func documents(_ text: String) throws -> [JSONValue] {
        try RecordCSV.parse(text).map { try $0.get().document }
    }

    @Test("the header lists the columns in order")
    func header() {
        #expect(RecordCSV.header == [
            "uscc", "name", "region", "county", "industry", "sizeClass", "employees", "revenueYuan", "taxYuan",
            "rdExpenseYuan", "aboveDesignatedSince", "srdiYear", "srdiBatch", "srdiValidUntil", "littleGiantYear",
            "littleGiantBatch", "littleGiantValidUntil", "supportMeasures", "contactPerson", "contactPhone", "status",
            "updatedAt", "extra",
        ])
    }

    @Test("generated records survive document → row → document, one by one and as a file")
    func generatedRoundTrip() throws {
        var generator = SampleGenerator(seed: 11)
        let originals = generator.records(count: 1_000).map(\.json)
        let text = RecordCSV.text(for: originals)
        #expect(try documents(text) == originals)
        for document in originals.prefix(50) {
            let row = RecordCSV.row(for: document)
            #expect(!row.hasSuffix("\n"))
            #expect(try documents(RecordCSV.headerLine + "\n" + row) == [document])
        }
    }

    @Test("cells with commas, quotes and line breaks are quoted and read back")
    func quoting() throws {
        let document = Fixtures.luoyang(with: [
            "name": "洛阳\"恒瑞\",机械\r\n有限公司", "contact": ["person": "王\n建国", "phone": "0379,123"],
        ])
        let row = RecordCSV.row(for: document)
        #expect(row.contains("\"洛阳\"\"恒瑞\"\",机械\r\n有限公司\""))
        let text = RecordCSV.headerLine + "\r\n" + row + "\r\n" + RecordCSV.row(for: .object(Fixtures.luoyang))
        let rows = try RecordCSV.parse(text).map { try $0.get() }
        #expect(rows.map(\.document) == [document, .object(Fixtures.luoyang)])
        #expect(rows.map(\.line) == [2, 5])
    }

    @Test("text that a spreadsheet would run gets a leading quote; numbers do not; all of it reads back equal")
    func formulasAreNeutralised() throws {
        let document = Fixtures.luoyang(with: [
            "name": "=HYPERLINK(\"http://x\",\"y\")", "industry": "+C3484", "sizeClass": "-small", "status": "@SUM(A1)",
            "county": "\t410307", "updatedAt": "\r2024", "contact": ["person": "'王建国", "phone": "-0379-123"],
            "employees": -5, "revenueYuan": -12_500_000, "supportMeasures": -1.5,
        ])
        let row = RecordCSV.row(for: document)
        for cell in [
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"", "\"'+C3484\"", "\"'-small\"", "\"'@SUM(A1)\"", "\"'\t410307\"",
            "\"'\r2024\"", "\"''王建国\"", "\"'-0379-123\"",
        ] {
            #expect(row.contains("," + cell + ","), "\(cell) in \(row)")
        }
        #expect(row.contains(",-5,-12500000,") && row.contains(",-1.5,"), "\(row)")
        #expect(try documents(RecordCSV.headerLine + "\r\n" + row) == [document])
    }

    @Test("one quote before a formula or a quote is taken off, whoever put it there; any other leading quote is text")
    func leadingQuotesFromElsewhere() throws {
        let text = "uscc,name,contactPerson,remark\r\n91410100556930377C,'=1+1,'王,''x\r\n"
        #expect(try documents(text) == [[
            "uscc": "91410100556930377C", "name": "=1+1", "contact": ["person": "'王"], "remark": "'x",
        ]])
    }

    @Test("what the columns cannot carry goes through extra: unknown members, nulls, wrong types, empty strings")
    func extraCarriesTheRest() throws {
        let document = Fixtures.luoyang(with: [
            "address": "洛阳市偃师区", "annual": ["2023": ["revenueYuan": 1]],
            "contact": ["person": "王建国", "wechat": "wjg"], "srdi": .null, "littleGiant": [:],
            "aboveDesignatedSize": ["since": "2022-01", "source": "统计"], "employees": "85", "taxYuan": 1.5,
            "county": "", "uscc": "9141-0100-5569-3037-7C", "status": .null,
        ])
        let row = RecordCSV.row(for: document)
        #expect(try documents(RecordCSV.headerLine + "\n" + row) == [document])
        #expect(RecordValidator.issues(in: document).contains { $0.severity == .error })
        #expect(try documents(RecordCSV.headerLine + "\n" + RecordCSV.row(for: [1, 2])) == [[:]])
    }

    @Test("empty cells leave members out; a hand-typed credit code is normalised")
    func handTyped() throws {
        let text = "uscc,name,region,employees,extra\n９１４１０１００-５５６９３０３７７Ｃ,郑州某某有限公司,410100,,\n"
        #expect(try documents(text) == [["uscc": "91410100556930377C", "name": "郑州某某有限公司", "region": "410100"]])
    }

    @Test("a UTF-8 byte order mark is tolerated; columns may come in another order; unknown columns are kept")
    func bomAndColumnOrder() throws {
        let text = "\u{FEFF}region,uscc,remark, employees \r\n410100,91410100556930377C,老客户, 12 \r\n"
        #expect(try documents(text) == [["uscc": "91410100556930377C", "region": "410100", "remark": "老客户", "employees": 12]])
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("uscc\r\n91410100556930377C".utf8)
        #expect(Array(CSVReader(bytes: bytes)).count == 1)
    }

    @Test("bad rows are reported by line and do not stop the others")
    func badRows() {
        let good = RecordCSV.row(for: .object(Fixtures.luoyang))
        let text = [
            RecordCSV.headerLine, good, "91410100556930377C,too,few", good,
            "\"91410100556930377C\"x" + String(repeating: ",", count: 22), good, "", good, "\"unclosed,",
        ].joined(separator: "\n")
        let results = RecordCSV.parse(text)
        let lines = results.map { result -> Int in
            switch result {
            case .success(let row): row.line
            case .failure(let error): -error.line
            }
        }
        #expect(lines == [2, -3, 4, -5, 6, 8, -9])
        let errors = results.compactMap { result -> CSVRowError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        #expect(errors.map(\.description) == [
            "line 3: has 3 cells, the header has 23",
            "line 5: unexpected text after the closing quote of cell 1",
            "line 9: a quoted cell is not closed before the end of the file",
        ])
    }

    @Test("bad JSON in a JSON column names the column")
    func badJSON() {
        let text = "uscc,supportMeasures,extra\n91410100556930377C,\"[{\"\"measure\"\":]\",\n91410100556930377C,,[1]\n"
        let reasons = RecordCSV.parse(text).map { result -> String in
            if case .failure(let error) = result { return error.reason }
            return "ok"
        }
        #expect(reasons.count == 2)
        #expect(reasons[0].hasPrefix("column supportMeasures: not valid JSON (line 1, column"))
        #expect(reasons[1] == "column extra: expected a JSON object, found an array")
    }

    @Test("a header without a credit code column, or with a column twice, is one error and nothing else")
    func badHeader() {
        #expect(RecordCSV.parse("name,region\n甲,410100\n") == [.failure(CSVRowError(line: 1, reason: "header has no uscc (统一社会信用代码) column (expected \(RecordCSV.headerLine))"))])
        #expect(RecordCSV.parse("\n\nuscc,name,uscc\n1,2,3\n") == [.failure(CSVRowError(line: 3, reason: "header names column uscc twice"))])
        #expect(RecordCSV.parse("").isEmpty)
    }

    @Test("a file saved in GBK is reported, not garbled")
    func notUTF8() {
        let bytes = Array("uscc,name\n91410100556930377C,".utf8) + [0xD6, 0xA3, 0xD6, 0xDD] + Array("\n".utf8)  // 郑州 in GBK
        let results = Array(CSVReader(bytes: bytes))
        #expect(results == [.failure(CSVRowError(line: 2, reason: "cell 2 is not valid UTF-8 (save the file as \"CSV UTF-8\")"))])
    }
}
