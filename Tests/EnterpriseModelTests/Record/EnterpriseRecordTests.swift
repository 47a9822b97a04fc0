import EnterpriseModel
import Testing

@Suite("Enterprise record: decoding and encoding")
struct EnterpriseRecordTests {
    @Test("generated records come back unchanged through their document and its canonical text")
    func generatedRecordsRoundTrip() throws {
        var generator = SampleGenerator(seed: 2024)
        for record in generator.records(count: 500) {
            let document = record.json
            let decoded = try EnterpriseRecord(json: document)
            #expect(decoded == record)
            #expect(decoded.json == document)
            let reread = try JSONValue.parse(document.canonicalBytes())
            #expect(try EnterpriseRecord(json: reread).json == document)
        }
    }

    @Test("unknown members survive at the top level and inside known objects")
    func unknownMembersSurvive() throws {
        let document = Fixtures.luoyang(with: [
            "address": "河南省洛阳市偃师区工业路12号",
            "annual": ["2023": ["revenueYuan": 12_000_000]],
            "contact": ["person": "王建国", "phone": "13837912345", "wechat": "wjg-ly"],
            "srdi": ["year": 2023, "batch": 1, "validUntil": "2025-12-31", "nameAtGrant": "洛阳恒瑞机械有限公司"],
            "aboveDesignatedSize": ["since": "2022-03", "source": "统计名录库"],
            "supportMeasures": [["measure": "小升规奖励", "amountYuan": 200_000, "date": "2023-04-01", "fund": "省级"]],
        ])
        let record = try EnterpriseRecord(json: document)
        #expect(record.json == document)
        #expect(record.extra["address"] == "河南省洛阳市偃师区工业路12号")
        #expect(record.contact?.extra == ["wechat": "wjg-ly"])
        #expect(record.srdi?.extra["nameAtGrant"] == "洛阳恒瑞机械有限公司")
        #expect(record.supportMeasures.first?.extra == ["fund": "省级"])
        #expect(record.aboveDesignatedSize?.since == "2022-03")
    }

    @Test("explicit nulls come back as nulls; the typed property reads nil")
    func explicitNullsAreKept() throws {
        let document = Fixtures.luoyang(with: [
            "srdi": .null, "littleGiant": .null, "aboveDesignatedSize": .null, "county": .null, "status": .null,
            "supportMeasures": .null, "contact": ["person": .null, "phone": "0379-65512345"],
        ])
        let record = try EnterpriseRecord(json: document)
        #expect(record.srdi == nil && record.county == nil && record.contact?.person == nil)
        #expect(record.status == .active)
        #expect(record.supportMeasures.isEmpty)
        #expect(record.json == document)
    }

    @Test("setting a field that was null writes the value over the null")
    func settingANullField() throws {
        var record = try EnterpriseRecord(json: Fixtures.luoyang(with: ["srdi": .null, "status": .null]))
        record.srdi = Designation(year: 2024, batch: 1, validUntil: "2026-12-31")
        record.status = .closed
        #expect(record.json["srdi"] == ["year": 2024, "batch": 1, "validUntil": "2026-12-31"])
        #expect(record.json["status"] == "closed")
    }

    @Test("absent status and support measures stay absent until they are set")
    func absentDefaultsStayAbsent() throws {
        let document = Fixtures.luoyang(with: ["status": nil, "supportMeasures": nil, "contact": nil, "updatedAt": nil])
        var record = try EnterpriseRecord(json: document)
        #expect(record.status == .active)
        #expect(record.json == document)
        record.status = .relocated
        record.supportMeasures.append(SupportMeasure(measure: "稳岗返还", amountYuan: 12_000, date: "2024-03-01"))
        #expect(record.json["status"] == "relocated")
        #expect(record.json["supportMeasures"]?.arrayValue?.count == 1)
    }

    @Test("a record built in code writes status and support measures, and edits keep unknown members")
    func builtInCode() throws {
        var record = try EnterpriseRecord(json: Fixtures.luoyang(with: ["address": "洛阳市"]))
        record.employees = 120
        record.contact?.phone = "13900000000"
        let document = record.json
        #expect(document["employees"] == 120)
        #expect(document["address"] == "洛阳市")
        #expect(document["contact"]?["phone"] == "13900000000")

        let minimal = EnterpriseRecord(uscc: try USCC(Fixtures.zhengzhouCode), name: "郑州某某有限公司", region: "410100")
        #expect(minimal.json == ["uscc": "91410100556930377C", "name": "郑州某某有限公司", "region": "410100", "status": "active", "supportMeasures": []])
        #expect(try EnterpriseRecord(json: minimal.json) == minimal)
    }

    @Test("an invalid document throws every error, with the credit code, and no warnings")
    func invalidDocumentThrows() {
        let document = Fixtures.luoyang(with: ["county": "410211", "employees": "85", "revenueYuan": 30_000_000])
        do {
            _ = try EnterpriseRecord(json: document)
            Issue.record("expected a RecordError")
        } catch {
            #expect(error.uscc == document["uscc"]?.stringValue)
            #expect(error.issues.map(\.field) == ["county", "employees"])
            #expect(error.issues.allSatisfy { $0.severity == .error })
            #expect(error.description.hasPrefix("record \(document["uscc"]?.stringValue ?? ""): field county: 410211 does not belong to region 410300 (洛阳市); field employees:"))
        }
    }
}
