@testable import Agent
import EnterpriseModel
import SyncCore
import Testing

/// How a decided field is taken from the province's version into a bureau's document.
@Suite struct DecisionSettlerTests {
    static let theirs = FieldPath.flatten(["srdi": .null, "employees": 120, "contact": ["phone": "13900000000"]])

    @Test func theDecidedFieldIsTakenAsTheProvinceHoldsIt() {
        var mine: JSONValue = ["employees": 90, "contact": ["phone": "1"]]
        DecisionSettler.take("contact.phone", from: Self.theirs, into: &mine)
        DecisionSettler.take("employees", from: Self.theirs, into: &mine)
        #expect(mine == ["employees": 120, "contact": ["phone": "13900000000"]])
    }

    @Test func aLeafTheProvinceHoldsAsAnAncestorTakesTheAncestor() {
        var mine: JSONValue = ["srdi": ["year": 2025, "batch": 1]]
        DecisionSettler.take("srdi.year", from: Self.theirs, into: &mine)
        #expect(mine == ["srdi": .null])
    }

    @Test func aFieldTheProvinceDoesNotHoldIsRemoved() {
        var mine: JSONValue = ["employees": 90, "taxYuan": 5]
        DecisionSettler.take("taxYuan", from: Self.theirs, into: &mine)
        #expect(mine == ["employees": 90])
    }
}
