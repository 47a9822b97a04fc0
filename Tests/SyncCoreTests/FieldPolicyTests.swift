import EnterpriseModel
import SyncCore
import Testing

@Suite struct FieldPolicyTests {
    @Test func aPathTakesItsNearestAncestorsRuleThenTheDefault() {
        let policy = FieldPolicy.standard
        #expect(policy.rule(for: "contact.phone") == policy.rules["contact"])
        #expect(policy.rule(for: "srdi.year").authority == .province)
        #expect(policy.rule(for: "someUnknownField") == policy.defaultRule)
    }

    @Test func bothChangedFiguresGoToTheBureauAndTheLoserIsKept() throws {
        let current = try JSONValue.parse(#"{"employees": 50, "name": "省"}"#)
        let outcome = CompareAndSet.merge(current: current, fields: [
            "employees": FieldChange(expected: 40, value: 45),
            "name": FieldChange(expected: "旧", value: "区"),
        ]) { FieldPolicy.standard.rule(for: $0).onConflict }
        #expect(outcome.document["employees"] == 45)
        #expect(outcome.decided.map(\.conflict.field) == ["employees"])
        #expect(outcome.decided.first?.conflict.current == 50)
        #expect(outcome.conflicts.map(\.field) == ["name"])
    }

    @Test func theProvincesRuleKeepsItsValue() throws {
        let current = try JSONValue.parse(#"{"srdi": {"year": 2025}}"#)
        let outcome = CompareAndSet.merge(current: current, fields: ["srdi.year": FieldChange(expected: 2024, value: 2023)]) { _ in .province }
        #expect(outcome.document == current)
        #expect(outcome.applied.isEmpty && outcome.conflicts.isEmpty && outcome.decided.count == 1)
    }
}
