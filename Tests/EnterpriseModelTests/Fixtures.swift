import EnterpriseModel

/// Documents the tests start from. Credit codes are computed with `USCC.make`, never typed by hand
/// (docs/domain.md §2), except the real codes quoted there.
enum Fixtures {
    /// A real Zhengzhou code (docs/domain.md §2).
    static let zhengzhouCode = "91410100556930377C"

    /// A clean Luoyang record: no errors and no warnings.
    static var luoyang: JSONObject {
        [
            "uscc": .string(USCC.make(division: "410307", organizationBody: "MA40X2YF").rawValue),
            "name": "洛阳恒瑞机械有限公司",
            "region": "410300",
            "county": "410307",
            "industry": "C3484",
            "sizeClass": "small",
            "employees": 85,
            "revenueYuan": 12_500_000,
            "taxYuan": 400_000,
            "rdExpenseYuan": 300_000,
            "supportMeasures": [["measure": "技术改造项目补助", "amountYuan": 150_000, "date": "2023-06-15"]],
            "contact": ["person": "王建国", "phone": "13837912345"],
            "status": "active",
            "updatedAt": "2024-05-17T09:31:22+08:00",
        ]
    }

    /// `luoyang` with some members replaced (a `nil` removes the member).
    static func luoyang(with changes: [String: JSONValue?]) -> JSONValue {
        var members = luoyang
        for (key, value) in changes { members[key] = value }
        return .object(members)
    }
}
