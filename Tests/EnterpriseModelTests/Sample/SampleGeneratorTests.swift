import EnterpriseModel
import Testing

@Suite("Sample generator")
struct SampleGeneratorTests {
    static let thousand: [EnterpriseRecord] = {
        var generator = SampleGenerator(seed: 42)
        return generator.records(count: 1_000)
    }()

    @Test("the same seed gives the same records; another seed gives others")
    func deterministic() {
        var a = SampleGenerator(seed: 99)
        var b = SampleGenerator(seed: 99)
        var c = SampleGenerator(seed: 100)
        let first = a.records(count: 200)
        let again = b.records(count: 200)
        let other = c.records(count: 200)
        #expect(first == again)
        #expect(first.map(\.uscc) != other.map(\.uscc))
        let nextA = a.next()
        let nextB = b.next()
        #expect(nextA == nextB)
    }

    @Test("every generated record passes validation without errors")
    func everyRecordIsValid() {
        for record in Self.thousand {
            let errors = RecordValidator.issues(in: record.json).filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(record.uscc): \(errors)")
        }
    }

    @Test("all 18 regions appear in 1,000 records, Zhengzhou the most")
    func allRegionsAppear() {
        var counts: [String: Int] = [:]
        for record in Self.thousand { counts[record.region, default: 0] += 1 }
        #expect(Set(counts.keys) == Set(Regions.all.map(\.code)))
        #expect(counts.max { $0.value < $1.value }?.key == "410100")
    }

    @Test("credit codes are unique across 20,000 records")
    func uniqueCodes() {
        var generator = SampleGenerator(seed: 1)
        var seen = Set<USCC>()
        for _ in 0..<20_000 { seen.insert(generator.next().uscc) }
        #expect(seen.count == 20_000)
    }

    @Test("codes look real: prefix 91, a division of the region, many MA bodies, about 1 in 10 city or province level")
    func codesLookReal() {
        var cityOrProvince = 0
        var newStyle = 0
        for record in Self.thousand {
            let code = record.uscc
            #expect(code.rawValue.hasPrefix("91"))
            let division = code.registrationDivision
            if division == record.region || division == "410000" {
                cityOrProvince += 1
            } else {
                #expect(Regions.regionOwning(countyCode: division)?.code == record.region, "\(code) in \(record.region)")
            }
            if code.organizationCode.hasPrefix("MA") { newStyle += 1 }
        }
        #expect((60...160).contains(cityOrProvince))
        #expect((600...800).contains(newStyle))
    }

    @Test("size classes are computed from the figures, mostly micro and small, with some medium and a few large")
    func sizeMix() throws {
        var counts: [SizeClass: Int] = [:]
        for record in Self.thousand {
            let employees = try #require(record.employees)
            let revenue = try #require(record.revenueYuan)
            #expect(record.sizeClass == RecordValidator.sizeClass(employees: employees, revenueYuan: revenue))
            counts[try #require(record.sizeClass), default: 0] += 1
        }
        #expect((400...600).contains(counts[.micro] ?? 0))
        #expect((230...430).contains(counts[.small] ?? 0))
        #expect((70...200).contains(counts[.medium] ?? 0))
        #expect((10...80).contains(counts[.large] ?? 0))
    }

    @Test("tax is 2-6 % of revenue and R&D at most 8 %")
    func moneyRatios() throws {
        for record in Self.thousand {
            let revenue = try #require(record.revenueYuan)
            let tax = try #require(record.taxYuan)
            let research = try #require(record.rdExpenseYuan)
            #expect(tax * 100 >= revenue * 2 - 100 && tax * 100 <= revenue * 6)
            #expect(research >= 0 && research * 100 <= revenue * 8)
        }
    }

    @Test("designations: about 15 % above designated size, a few % SRDI, rare little giants")
    func designations() {
        let above = Self.thousand.filter { $0.aboveDesignatedSize != nil }
        let srdi = Self.thousand.filter { $0.srdi != nil }
        let giants = Self.thousand.filter { $0.littleGiant != nil }
        #expect((80...250).contains(above.count))
        #expect(above.allSatisfy { ($0.revenueYuan ?? 0) >= 20_000_000 && IndustryClassification.isIndustrial($0.industry ?? "") })
        #expect((10...80).contains(srdi.count))
        #expect(giants.count <= 15)
        #expect(giants.allSatisfy { $0.srdi != nil })
    }

    @Test("names, contacts, measures and status look like a bureau's files")
    func details() {
        let phone = /1[35789]\d{9}/
        for record in Self.thousand {
            #expect(record.name.hasSuffix("有限公司"))
            if let contact = record.contact {
                #expect(contact.phone.map { $0.wholeMatch(of: phone) != nil } == true)
                #expect((2...3).contains(contact.person?.count ?? 0))
            }
            #expect(record.supportMeasures.count <= 3)
            #expect(record.industry.map { RecordValidator.issues(in: ["industry": .string($0)]).contains { $0.field == "industry" } } == false)
        }
        #expect(Self.thousand.filter { $0.status == .active }.count > 900)
        #expect(Self.thousand.filter { $0.industry?.first == "C" }.count > 750)
        #expect(Set(Self.thousand.compactMap(\.updatedAt)).count > 990)
    }

    @Test("a pretty-printed record is about 0.8-1.2 KB")
    func recordSize() {
        let sizes = Self.thousand.map { $0.json.prettyBytes().count }
        let average = sizes.reduce(0, +) / sizes.count
        #expect((800...1_200).contains(average), "average \(average) bytes")
    }

    @Test("records for a given region stay in it; Jiyuan's county is 419001")
    func givenRegion() throws {
        var generator = SampleGenerator(seed: 5)
        let jiyuan = try #require(Regions.region(code: "419001"))
        for _ in 0..<50 {
            let record = generator.next(region: jiyuan)
            #expect(record.region == "419001")
            #expect(record.county == nil || record.county == "419001")
        }
        let two = Regions.all.filter { $0.code == "410300" || $0.code == "411700" }
        let inTwo = generator.records(count: 200, regions: two)
        #expect(Set(inTwo.map(\.region)) == ["410300", "411700"])
        let none = generator.records(count: 0)
        #expect(none.isEmpty)
    }
}
