/// Deterministic, realistic enterprise records for tests, demos and benchmarks.
///
/// The same seed gives the same records on every machine (the generator has its own PRNG and
/// never reads the clock). Every record passes `RecordValidator` without errors; credit codes are
/// computed with both check characters and are unique among the first 100 million records of a
/// generator. Records also carry registry members outside the typed model (`address`,
/// `establishedOn`, `legalRepresentative`, `registeredCapitalYuan`, `businessScope`), as real
/// bureau files do, so that every consumer exercises unknown fields. A pretty-printed record is
/// about 1 KB.
///
/// For example:
///
/// ```swift
/// var generator = SampleGenerator(seed: 42)
/// let records = generator.records(count: 1_000)      // all 18 regions, Zhengzhou the most
/// let jiyuan = generator.next(region: Regions.region(code: "419001"))
/// ```
public struct SampleGenerator: Sendable {
    private var random: Xoshiro256StarStar
    /// How many codes this generator has issued; the n-th code's body is derived from n.
    private var issued: UInt64 = 0
    private let newStyleBodies: IndexScrambler
    private let legacyBodies: IndexScrambler

    /// A generator whose whole output is fixed by `seed`, so tests and benchmarks can name their
    /// data by a number instead of shipping files.
    public init(seed: UInt64) {
        random = Xoshiro256StarStar(seed: seed)
        newStyleBodies = IndexScrambler(modulus: 887_503_681, key: seed ^ 0x5EED_0000_0000_0031)  // 31^6
        legacyBodies = IndexScrambler(modulus: 100_000_000, key: seed ^ 0x5EED_0000_0000_0010)  // 10^8
    }

    /// The next record, in `region` or in a region drawn by its enterprise population.
    public mutating func next(region: Region? = nil) -> EnterpriseRecord {
        let region = region ?? pickRegion(from: Regions.all)
        let county: County? = region.counties.isEmpty || random.chance(percent: 5) ? nil : random.pick(region.counties)
        let industry = random.pick(Self.industries)
        let isNewStyle = random.chance(percent: 70)
        let uscc = makeCode(region: region, county: county, newStyle: isNewStyle)
        let figures = makeFigures()
        let isIndustrial = IndustryClassification.isIndustrial(industry.code)
        let sizeClass = RecordValidator.sizeClass(employees: figures.employees, revenueYuan: figures.revenue)

        var record = EnterpriseRecord(
            uscc: uscc,
            name: makeName(region: region, county: county, word: industry.word, sizeClass: sizeClass),
            region: region.code, county: county?.code, industry: industry.code, sizeClass: sizeClass,
            employees: figures.employees, revenueYuan: figures.revenue, taxYuan: figures.tax, rdExpenseYuan: figures.rdExpense,
            status: random.pick([(EnterpriseRecord.Status.active, 95), (.closed, 3), (.relocated, 2)]),
            updatedAt: makeTimestamp())
        let established = makeEstablishedOn(newStyle: isNewStyle)
        if isIndustrial, figures.revenue >= RecordValidator.aboveDesignatedSizeRevenueYuan, random.chance(percent: 75) {
            let year = random.int(in: max(2011, established.year + 1)...2024)
            record.aboveDesignatedSize = AboveDesignatedSize(since: "\(year)-\(twoDigits(random.int(in: 1...12)))")
        }
        let researchIntensive = figures.rdExpense * 100 >= figures.revenue * 3
        if sizeClass != .large, random.chance(percent: researchIntensive ? 9 : 1) {
            let year = random.int(in: 2020...2024)
            record.srdi = Designation(year: year, batch: random.int(in: 1...2), validUntil: "\(year + 2)-12-31")
            if random.chance(percent: 12) {
                let giantYear = random.int(in: max(2019, year)...2024)
                record.littleGiant = Designation(year: giantYear, batch: giantYear - 2018, validUntil: "\(giantYear + 3)-06-30")
            }
        }
        record.supportMeasures = (0..<random.pick([(0, 35), (1, 35), (2, 20), (3, 10)])).map { _ in makeMeasure() }
            .sorted { $0.date < $1.date }
        if random.chance(percent: 92) {
            record.contact = Contact(person: makePersonName(), phone: makeMobile())
        }
        record.extra["address"] = .string(makeAddress(region: region, county: county))
        record.extra["establishedOn"] = .string(established.text)
        record.extra["legalRepresentative"] = .string(makePersonName())
        record.extra["registeredCapitalYuan"] = .int(Int64(random.pick([50, 100, 200, 300, 500, 1_000, 2_000, 5_000, 10_000])) * 10_000)
        record.extra["businessScope"] = .string(makeScope(title: industry.title, word: industry.word))
        return record
    }

    /// `count` records spread over `regions` by enterprise population (all 18 by default).
    public mutating func records(count: Int, regions: [Region] = Regions.all) -> [EnterpriseRecord] {
        let pool = regions.isEmpty ? Regions.all : regions
        return (0..<max(0, count)).map { _ in next(region: pickRegion(from: pool)) }
    }

    // MARK: - Parts

    private mutating func pickRegion(from regions: [Region]) -> Region {
        random.pick(regions.map { ($0, Self.regionWeights[$0.code] ?? 3) })
    }

    /// Prefix 91; the division is usually the county of registration, sometimes another county of
    /// the city (the enterprise moved), the city or the province itself, or a retired county code.
    private mutating func makeCode(region: Region, county: County?, newStyle: Bool) -> USCC {
        let ownCode = Self.isSixDigits(region.code) ? region.code : "410000"
        var division = county?.code ?? (region.counties.isEmpty ? ownCode : random.pick(region.counties).code)
        let roll = random.unit() * 100
        if roll < 10 {
            division = random.chance(percent: 50) ? ownCode : "410000"
        } else if roll < 18, !region.counties.isEmpty {
            division = random.pick(region.counties).code
        } else if roll < 21, let retired = Self.retiredCodes[region.code] {
            division = retired
        }
        let index = issued
        issued += 1
        let body: String
        if newStyle {
            var n = newStyleBodies.scramble(index % newStyleBodies.modulus)
            var characters: [UInt8] = []
            for _ in 0..<6 {
                characters.append(USCCAlgorithm.alphabet[Int(n % 31)])
                n /= 31
            }
            body = "MA" + String(decoding: characters, as: UTF8.self)
        } else {
            let n = legacyBodies.scramble(index % legacyBodies.modulus)
            let digits = String(n)
            body = String(repeating: "0", count: 8 - digits.count) + digits
        }
        return USCC.make(prefix: "91", division: division, organizationBody: body)
    }

    /// Retired county codes that old registrations in a city still carry (docs/domain.md §3).
    private static let retiredCodes: [String: String] = [
        "410200": "410224", "410300": "410381", "410700": "410728", "411000": "411023", "411200": "411222", "411600": "411626",
    ]

    private static func isSixDigits(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Employees and money drawn per size class (micro 50 %, small 33 %, medium 13 %, large 4 %),
    /// so the mix looks like a bureau's files; the class itself is then computed, never drawn.
    /// Most small firms stay under 20 million yuan: growing past it is what 小升规 is about.
    private mutating func makeFigures() -> (employees: Int64, revenue: Int64, tax: Int64, rdExpense: Int64) {
        let target = random.pick([(SizeClass.micro, 50), (.small, 33), (.medium, 13), (.large, 4)])
        let employees: Int
        let revenueWan: Int
        switch target {
        case .micro:
            employees = skewedLow(2...19, power: 1.5)
            revenueWan = max(20, employees * random.int(in: 8...60))
        case .small:
            employees = skewedLow(20...299, power: 3)
            revenueWan = max(300, employees * random.int(in: 6...22))
        case .medium:
            employees = skewedLow(300...999, power: 2)
            revenueWan = max(2_000, employees * random.int(in: 20...120))
        case .large:
            employees = skewedLow(1_000...5_000, power: 3)
            revenueWan = max(40_000, employees * random.int(in: 40...200))
        }
        let revenue = Int64(revenueWan) * 10_000 + Int64(random.int(in: 0...9_999))
        let tax = revenue * Int64(random.int(in: 20...60)) / 1_000
        let rdExpense = target == .micro && random.chance(percent: 30) ? 0 : revenue * Int64(random.int(in: 0...80)) / 1_000
        return (Int64(employees), revenue, tax, rdExpense)
    }

    /// Headcounts cluster at the low end of each class, as they do in real registers: a uniform
    /// draw raised to `power` (> 1) before scaling to the range.
    private mutating func skewedLow(_ range: ClosedRange<Int>, power: Double) -> Int {
        let u = random.unit()
        var skewed = u
        var remaining = power - 1
        while remaining >= 1 {
            skewed *= u
            remaining -= 1
        }
        if remaining > 0 { skewed *= u.squareRoot() }  // power is a whole number or ends in .5
        let span = Double(range.upperBound - range.lowerBound + 1)
        return min(range.upperBound, range.lowerBound + Int(skewed * span))
    }

    /// City or county name, a two-character brand, the trade, and the company form:
    /// "郑州恒瑞机械有限公司", "巩义市华鑫铝业股份有限公司", "河南中远新能源有限公司".
    private mutating func makeName(region: Region, county: County?, word: String, sizeClass: SizeClass) -> String {
        let place: String
        if let county, county.name.hasSuffix("市") || county.name.hasSuffix("县"), county.code != region.code,
           random.chance(percent: 40)
        {
            place = county.name
        } else if random.chance(percent: 10) {
            place = "河南"
        } else {
            place = region.shortName
        }
        let first = random.pick(Self.brandCharacters)
        var second = random.pick(Self.brandCharacters)
        while second == first { second = random.pick(Self.brandCharacters) }
        let form = sizeClass >= .medium && random.chance(percent: 40) || random.chance(percent: 8) ? "股份有限公司" : "有限公司"
        return place + first + second + word + form
    }

    private mutating func makePersonName() -> String {
        let given = (0..<random.pick([(1, 30), (2, 70)])).map { _ in random.pick(Self.givenNameCharacters) }
        return random.pick(Self.surnames) + given.joined()
    }

    /// A mainland mobile number: 1, then 3/5/7/8/9, then nine digits.
    private mutating func makeMobile() -> String {
        "1" + random.pick(["3", "5", "7", "8", "9"]) + (0..<9).map { _ in String(random.int(in: 0...9)) }.joined()
    }

    private mutating func makeMeasure() -> SupportMeasure {
        let measure = random.pick(Self.measures)
        let amount = random.int(in: measure.amountYuan) / 1_000 * 1_000
        return SupportMeasure(measure: measure.name, amountYuan: Int64(amount), date: makeDate(years: 2021...2024))
    }

    /// 经营范围 in the registry's style: the trade, sales of its products, and a few common clauses.
    private mutating func makeScope(title: String, word: String) -> String {
        var clauses = [title, "\(word)产品销售"]
        for _ in 0..<random.int(in: 1...3) {
            let clause = random.pick(Self.scopeClauses)
            if !clauses.contains(clause) { clauses.append(clause) }
        }
        return "一般项目：" + clauses.joined(separator: "；") + "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    }

    private mutating func makeAddress(region: Region, county: County?) -> String {
        var address = "河南省" + region.name
        if let county, county.code != region.code { address += county.name }
        return address + random.pick(Self.roads) + "\(random.int(in: 1...399))号"
    }

    /// New-style ("MA…") bodies were issued from 2015 on; legacy organisation codes are older.
    private mutating func makeEstablishedOn(newStyle: Bool) -> (year: Int, text: String) {
        let text = makeDate(years: newStyle ? 2015...2023 : 1993...2015)
        return (DateText.year(of: text) ?? 2015, text)
    }

    private mutating func makeDate(years: ClosedRange<Int>) -> String {
        let year = random.int(in: years)
        let month = random.int(in: 1...12)
        let day = random.int(in: 1...DateText.daysIn(month: month, year: year))
        return "\(year)-\(twoDigits(month))-\(twoDigits(day))"
    }

    /// A Beijing-time timestamp in 2023-2025, second precision.
    private mutating func makeTimestamp() -> String {
        let date = makeDate(years: 2023...2025)
        let time = [random.int(in: 8...19), random.int(in: 0...59), random.int(in: 0...59)].map(twoDigits).joined(separator: ":")
        return "\(date)T\(time)+08:00"
    }

    private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
