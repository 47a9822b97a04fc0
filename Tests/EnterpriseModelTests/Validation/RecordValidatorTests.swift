import EnterpriseModel
import Testing

@Suite("Record validation")
struct RecordValidatorTests {
    func errors(_ document: JSONValue) -> [FieldIssue] {
        RecordValidator.issues(in: document).filter { $0.severity == .error }
    }

    func warnings(_ document: JSONValue) -> [FieldIssue] {
        RecordValidator.issues(in: document).filter { $0.severity == .warning }
    }

    @Test("a clean record has no issues at all")
    func cleanRecord() throws {
        #expect(RecordValidator.issues(in: .object(Fixtures.luoyang)).isEmpty)
        try RecordValidator.validate(.object(Fixtures.luoyang))
    }

    @Test("the document must be an object")
    func notAnObject() {
        #expect(errors(["uscc": "x"] as JSONValue).isEmpty == false)
        let issues = errors([1, 2])
        #expect(issues == [FieldIssue(field: "document", reason: "must be a JSON object, found an array", severity: .error)])
        #expect(issues[0].description == "document: must be a JSON object, found an array")
    }

    @Test("credit code, name and region are required")
    func requiredFields() {
        let issues = errors(Fixtures.luoyang(with: ["uscc": nil, "name": .null, "region": nil]))
        #expect(issues.map(\.field) == ["uscc", "name", "region"])
        #expect(issues.map(\.reason) == ["is required", "is required, found null", "is required"])
        #expect(errors(Fixtures.luoyang(with: ["name": "  "])).map(\.reason) == ["must not be empty"])
    }

    @Test("the credit code is checked and must be stored in canonical form")
    func creditCode() {
        #expect(errors(Fixtures.luoyang(with: ["uscc": "91410100MA3X9K0P7Y"])).map(\.reason)
            == ["credit code 91410100MA3X9K0P7Y: check character is Y, expected L"])
        #expect(errors(Fixtures.luoyang(with: ["uscc": "9141-0100-5569-3037-7C"])).first?.reason
            == "\"9141-0100-5569-3037-7C\" is not in canonical form; write it as 91410100556930377C")
        #expect(errors(Fixtures.luoyang(with: ["uscc": 914_101_005_569])).first?.reason == "expected a string, found the number 914101005569")
        let cooperative = USCC.make(prefix: "93", division: "410102", organizationBody: "MA40X2YF").rawValue
        let movedIn = USCC.make(division: "320506", organizationBody: "MA40X2YF").rawValue
        #expect(warnings(Fixtures.luoyang(with: ["uscc": .string(cooperative)])).map(\.field) == ["uscc"])
        #expect(warnings(Fixtures.luoyang(with: ["uscc": .string(movedIn)])).first?.reason.contains("moved in") == true)
    }

    @Test("the region must be one of the 18 keys", arguments: ["4190", "419000", "410000", "4103", "410307"])
    func unknownRegion(code: String) {
        let issues = errors(Fixtures.luoyang(with: ["region": .string(code), "county": nil]))
        #expect(issues.map(\.field) == ["region"])
        #expect(issues.first?.reason.hasPrefix("\(code) is not one of the 18 regions") == true)
    }

    @Test("a county of another region is an error naming the region in Chinese")
    func countyOfAnotherRegion() throws {
        let document = Fixtures.luoyang(with: ["county": "410211"])
        #expect(errors(document) == [FieldIssue(field: "county", reason: "410211 does not belong to region 410300 (洛阳市)", severity: .error)])
        #expect(throws: RecordError.self) { try RecordValidator.validate(document) }
        do {
            try RecordValidator.validate(document)
        } catch {
            #expect(error.description == "record \(document["uscc"]?.stringValue ?? ""): field county: 410211 does not belong to region 410300 (洛阳市)")
        }
    }

    @Test("retired and unknown county codes with the right prefix are warnings")
    func retiredCounty() {
        let retired = RecordValidator.issues(in: Fixtures.luoyang(with: ["county": "410381"]))
        #expect(retired == [FieldIssue(field: "county", reason: "410381 (偃师市) is a retired code; it is now 410307 (偃师区), remap it", severity: .warning)])
        #expect(warnings(Fixtures.luoyang(with: ["county": "410399"])).map(\.reason) == ["410399 is not a current county-level division of 洛阳市"])
        #expect(errors(Fixtures.luoyang(with: ["county": "41038"])).map(\.reason) == ["\"41038\" is not a 6-digit division code"])
    }

    @Test("Jiyuan owns exactly 419001")
    func jiyuan() {
        #expect(RecordValidator.issues(in: Fixtures.luoyang(with: ["region": "419001", "county": "419001"])).isEmpty)
        #expect(errors(Fixtures.luoyang(with: ["region": "410800", "county": "419001"])).map(\.field) == ["county"])
        #expect(errors(Fixtures.luoyang(with: ["region": "419001", "county": "419002"])).map(\.field) == ["county"])
    }

    @Test("industry codes: section letter and four digits, the letter matching the division", arguments: [
        ("C0111", "C0111: division 01 belongs to section A, not C"),
        ("B3484", "B3484: division 34 belongs to section C, not B"),
        ("C9912", "C9912: division 99 does not exist in GB/T 4754-2017 (01-97)"),
        ("3484", "3484 is not a GB/T 4754 class code: expected a section letter A-T and 4 digits, like C3484"),
        ("c3484", "c3484 is not a GB/T 4754 class code: expected a section letter A-T and 4 digits, like C3484"),
        ("U9700", "U9700 is not a GB/T 4754 class code: expected a section letter A-T and 4 digits, like C3484"),
    ])
    func badIndustry(code: String, reason: String) {
        #expect(errors(Fixtures.luoyang(with: ["industry": .string(code)])).map(\.reason) == [reason])
    }

    @Test("industry codes of every section are accepted", arguments: ["A0111", "B0610", "C1312", "D4411", "I6513", "K7010", "P8310", "T9700"])
    func goodIndustry(code: String) {
        #expect(errors(Fixtures.luoyang(with: ["industry": .string(code)])).isEmpty)
    }

    @Test("numbers must be whole and non-negative; a string where a number belongs says what it found")
    func numbers() {
        let issues = errors(Fixtures.luoyang(with: [
            "employees": "85", "revenueYuan": -1, "taxYuan": 12.5, "rdExpenseYuan": 300_000.0,
        ]))
        #expect(issues.map(\.description) == [
            "field employees: expected a whole number, found the string \"85\"",
            "field revenueYuan: must not be negative, found -1",
            "field taxYuan: expected a whole number, found the number 12.5",
            "field rdExpenseYuan: expected a whole number, found the number 300000.0",
        ])
    }

    @Test("enumerations list the allowed values")
    func enumerations() {
        #expect(errors(Fixtures.luoyang(with: ["sizeClass": "tiny", "status": "deleted"])).map(\.reason) == [
            "\"tiny\" is not one of micro, small, medium, large",
            "\"deleted\" is not one of active, closed, relocated",
        ])
    }

    @Test("support measures are checked element by element, with the index in the path")
    func supportMeasures() {
        let document = Fixtures.luoyang(with: ["supportMeasures": [
            ["measure": "稳岗返还", "amountYuan": 12_000, "date": "2024-03-01"],
            ["measure": "房租减免", "amountYuan": 5_000, "date": "2023-02-30"],
            ["measure": "", "amountYuan": -5, "date": "2023-02-01"],
            "贴息",
            ["amountYuan": "10万"],
        ]])
        #expect(errors(document).map(\.description) == [
            "field supportMeasures[1].date: \"2023-02-30\" is not a date of the form YYYY-MM-DD",
            "field supportMeasures[2].measure: must not be empty",
            "field supportMeasures[2].amountYuan: must not be negative, found -5",
            "field supportMeasures[3]: expected an object, found the string \"贴息\"",
            "field supportMeasures[4].measure: is required",
            "field supportMeasures[4].amountYuan: expected a whole number, found the string \"10万\"",
            "field supportMeasures[4].date: is required",
        ])
        #expect(errors(Fixtures.luoyang(with: ["supportMeasures": ["measure": "x"]])).map(\.reason) == ["expected an array, found an object"])
    }

    @Test("designations: year, batch and validity")
    func designations() {
        #expect(errors(Fixtures.luoyang(with: ["srdi": ["year": 2023, "batch": 1, "validUntil": "2025-12-31"]])).isEmpty)
        #expect(errors(Fixtures.luoyang(with: ["littleGiant": ["year": 2021]])).isEmpty)
        #expect(errors(Fixtures.luoyang(with: [
            "srdi": ["year": "2023", "batch": 0, "validUntil": "2025/12/31"],
            "littleGiant": ["year": 2023, "validUntil": "2022-12-31"],
        ])).map(\.description) == [
            "field srdi.year: expected a whole number, found the string \"2023\"",
            "field srdi.batch: must be at least 1, found 0",
            "field srdi.validUntil: \"2025/12/31\" is not a date of the form YYYY-MM-DD",
            "field littleGiant.validUntil: 2022-12-31 is before the designation year 2023",
        ])
        #expect(errors(Fixtures.luoyang(with: ["srdi": ["batch": 1]])).map(\.description) == ["field srdi.year: is required"])
        #expect(errors(Fixtures.luoyang(with: ["srdi": ["year": 20_233]])).map(\.reason) == ["20233 is not a plausible year (2000-2100)"])
        #expect(errors(Fixtures.luoyang(with: ["srdi": true])).map(\.reason) == ["expected an object, found the boolean true"])
    }

    @Test("above designated size needs a YYYY-MM month")
    func aboveDesignatedSize() {
        #expect(errors(Fixtures.luoyang(with: ["aboveDesignatedSize": ["since": "2023-13"]])).map(\.description)
            == ["field aboveDesignatedSize.since: \"2023-13\" is not a month of the form YYYY-MM"])
        #expect(errors(Fixtures.luoyang(with: ["aboveDesignatedSize": [:]])).map(\.description) == ["field aboveDesignatedSize.since: is required"])
    }

    @Test("updatedAt is an ISO 8601 time", arguments: [
        ("2024-05-17T09:30:00Z", true), ("2024-05-17T09:30:00.123+08:00", true), ("2024-05-17", true),
        ("2024-05-17 09:30", false), ("yesterday", false), ("2024-05-17T25:00:00Z", false), ("2024-02-30T09:30:00Z", false),
        ("2024-05-17T09:30:00+0800", false),
    ])
    func updatedAt(text: String, valid: Bool) {
        #expect(errors(Fixtures.luoyang(with: ["updatedAt": .string(text)])).isEmpty == valid)
    }

    @Test("a contact phone that does not look like one is a warning")
    func phone() {
        #expect(warnings(Fixtures.luoyang(with: ["contact": ["phone": "call me"]])).map(\.field) == ["contact.phone"])
        #expect(errors(Fixtures.luoyang(with: ["contact": ["phone": 13_837_912_345]])).map(\.field) == ["contact.phone"])
        #expect(warnings(Fixtures.luoyang(with: ["contact": ["phone": "+86 (0371) 6551-2345"]])).isEmpty)
    }

    @Test("an industrial enterprise with 20 million yuan of revenue and no above-size status gets a warning")
    func aboveDesignatedSizeWarning() {
        let large = Fixtures.luoyang(with: ["revenueYuan": 20_000_000, "sizeClass": nil])
        #expect(warnings(large).map(\.field) == ["aboveDesignatedSize"])
        #expect(warnings(Fixtures.luoyang(with: ["revenueYuan": 19_999_999, "sizeClass": nil])).isEmpty)
        #expect(warnings(Fixtures.luoyang(with: ["revenueYuan": 20_000_000, "sizeClass": nil, "aboveDesignatedSize": ["since": "2021-01"]])).isEmpty)
        #expect(warnings(Fixtures.luoyang(with: ["revenueYuan": 20_000_000, "sizeClass": nil, "industry": "I6513"])).isEmpty)
        #expect(warnings(Fixtures.luoyang(with: ["revenueYuan": 20_000_000, "sizeClass": nil, "aboveDesignatedSize": .null])).count == 1)
    }

    @Test("a size class that the 2011 industrial rule contradicts gets a warning")
    func sizeClassWarning() {
        let wrong = Fixtures.luoyang(with: ["sizeClass": "medium"])
        #expect(warnings(wrong).map(\.description) == [
            "field sizeClass: medium does not match 85 employees and revenue 12500000 yuan, which make it small under the 2011 industrial standard (warning)",
        ])
        #expect(warnings(Fixtures.luoyang(with: ["sizeClass": "medium", "industry": "I6513"])).isEmpty)
        #expect(warnings(Fixtures.luoyang(with: ["sizeClass": "medium", "industry": nil])).count == 1)
        #expect(warnings(Fixtures.luoyang(with: ["sizeClass": "medium", "employees": nil])).isEmpty)
    }

    @Test("warnings alone do not make a record invalid")
    func warningsPass() throws {
        let document = Fixtures.luoyang(with: ["sizeClass": "large", "county": "410381"])
        #expect(warnings(document).count == 2)
        try RecordValidator.validate(document)
        _ = try EnterpriseRecord(json: document)
    }

    @Test("all problems of a document are reported at once, in field order")
    func everythingAtOnce() {
        let document = Fixtures.luoyang(with: ["uscc": "123", "region": "4190", "industry": "X1", "employees": -3, "status": 1])
        #expect(errors(document).map(\.field) == ["uscc", "region", "industry", "employees", "status"])
    }
}
