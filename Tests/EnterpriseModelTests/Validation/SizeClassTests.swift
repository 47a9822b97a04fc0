import EnterpriseModel
import Testing

@Suite("Size class (工信部联企业〔2011〕300号, industrial row)")
struct SizeClassTests {
    /// (employees, revenue in yuan, class); 1万 = 10,000 yuan.
    static let cases: [(Int64, Int64, SizeClass)] = [
        (1_200, 300_000_000, .medium),  // docs/domain.md §4: 1200 people, 30,000万 — large needs both limits
        (10, 500_000_000, .micro),  // docs/domain.md §4: 10 people, 50,000万
        (1_000, 400_000_000, .large),
        (999, 400_000_000, .medium),
        (1_000, 399_999_999, .medium),
        (300, 20_000_000, .medium),
        (300, 19_999_999, .small),
        (299, 20_000_000, .small),
        (20, 3_000_000, .small),
        (19, 3_000_000, .micro),
        (20, 2_999_999, .micro),
        (0, 0, .micro),
    ]

    @Test("the cascade at and around every limit", arguments: cases)
    func cascade(employees: Int64, revenue: Int64, expected: SizeClass) {
        #expect(RecordValidator.sizeClass(employees: employees, revenueYuan: revenue) == expected)
    }

    @Test("classes are ordered from micro to large")
    func ordering() {
        #expect(SizeClass.allCases.sorted() == [.micro, .small, .medium, .large])
    }
}
