import EnterpriseModel
import SyncCore
import Testing

@Suite struct FieldPathTests {
    @Test func flattenAndUnflattenRoundTripNestedAndUnknownFields() throws {
        let doc = try JSONValue.parse(#"{"name":"甲","contact":{"person":"张","phone":"138"},"srdi":null,"supportMeasures":[{"measure":"x"}],"weird.key":{"a~b":1},"empty":{}}"#)
        let leaves = FieldPath.flatten(doc)
        #expect(leaves["contact.phone"] == "138")
        #expect(leaves["srdi"] == .null)
        #expect(leaves["weird~1key.a~0b"] == 1)
        #expect(leaves["empty"] == .object([:]))
        #expect(FieldPath.unflatten(leaves) == doc)
    }

    @Test func removingTheLastMemberRemovesTheObject() throws {
        var doc = try JSONValue.parse(#"{"contact":{"person":"张"},"name":"甲"}"#)
        FieldPath.set(&doc, path: "contact.person", to: nil)
        #expect(doc == (try JSONValue.parse(#"{"name":"甲"}"#)))
    }
}

@Suite struct CompareAndSetTests {
    let current = try! JSONValue.parse(#"{"uscc":"X","name":"甲","employees":10,"contact":{"person":"张","phone":"138"},"srdi":null}"#)

    @Test func unchangedFieldsApplyAndConflictingFieldsWait() {
        let outcome = CompareAndSet.merge(current: current, fields: [
            "employees": FieldChange(expected: 10, value: 12),
            "name": FieldChange(expected: "乙", value: "丙"),  // the province has 甲: both changed it
        ])
        #expect(outcome.applied == ["employees"])
        #expect(outcome.conflicts.map(\.field) == ["name"])
        #expect(outcome.conflicts.first?.current == "甲")
        #expect(outcome.document["employees"] == 12)
        #expect(outcome.document["name"] == "甲")
    }

    @Test func aValueTheProvinceAlreadyHasIsANoOp() {
        let outcome = CompareAndSet.merge(current: current, fields: ["employees": FieldChange(expected: 9, value: 10)])
        #expect(outcome.applied.isEmpty && outcome.conflicts.isEmpty && outcome.unchanged == ["employees"])
    }

    @Test func bureauPhoneAndProvincePersonBothSurvive() {
        // The bureau started from person 张 / phone 138 and changed the phone; the province had
        // meanwhile changed the person: different leaves, no conflict.
        var province = current
        FieldPath.set(&province, path: "contact.person", to: "李")
        let outcome = CompareAndSet.merge(current: province, fields: ["contact.phone": FieldChange(expected: "138", value: "139")])
        #expect(outcome.conflicts.isEmpty)
        #expect(outcome.document["contact"] == ["person": "李", "phone": "139"])
    }

    @Test func aNullDesignationBecomingAnObjectAndBack() {
        let granted: JSONValue = ["year": 2025, "batch": 1]
        var withSRDI = current
        FieldPath.set(&withSRDI, path: "srdi", to: granted)
        let diff = RecordDiff.fields(from: current, to: withSRDI)
        #expect(CompareAndSet.merge(current: current, fields: diff).document == withSRDI)
        let back = RecordDiff.fields(from: withSRDI, to: current)
        #expect(CompareAndSet.merge(current: withSRDI, fields: back).document == current)
    }
}

@Suite struct ThreeWayMergeTests {
    @Test func provinceEditAndUnrelatedLocalEditBothKept() throws {
        let base = try JSONValue.parse(#"{"name":"甲","employees":10,"srdi":null}"#)
        let theirs = try JSONValue.parse(#"{"name":"甲","employees":10,"srdi":{"year":2025}}"#)
        let mine = try JSONValue.parse(#"{"name":"甲","employees":12,"srdi":null}"#)
        let result = ThreeWayMerge.merge(base: base, theirs: theirs, mine: mine)
        #expect(result.working == (try JSONValue.parse(#"{"name":"甲","employees":12,"srdi":{"year":2025}}"#)))
        #expect(result.base == theirs)
        #expect(result.divergent.isEmpty)
    }

    @Test func bothChangedKeepsMineAndTheOldExpected() throws {
        let base = try JSONValue.parse(#"{"name":"甲"}"#)
        let theirs = try JSONValue.parse(#"{"name":"乙"}"#)
        let mine = try JSONValue.parse(#"{"name":"丙"}"#)
        let result = ThreeWayMerge.merge(base: base, theirs: theirs, mine: mine)
        #expect(result.working == mine)
        #expect(result.base == base)
        #expect(result.divergent == ["name"])
        // The next push sends expected 甲: the province sees the conflict instead of an overwrite.
        let change = RecordDiff.fields(from: result.base, to: result.working)
        #expect(CompareAndSet.merge(current: theirs, fields: change).conflicts.map(\.field) == ["name"])
    }
}

@Suite struct CollisionTests {
    @Test func clearingAnObjectWaitsWhileAMemberOfItIsInConflict() throws {
        let province = try JSONValue.parse(#"{"contact":{"person":"A","phone":"2"}}"#)
        // The bureau started from phone 1 and cleared the contact; the province changed the phone.
        let fields = RecordDiff.fields(from: try JSONValue.parse(#"{"contact":{"person":"A","phone":"1"}}"#),
                                       to: try JSONValue.parse(#"{"contact":null}"#))
        let outcome = CompareAndSet.merge(current: province, fields: fields)
        #expect(outcome.document == province)
        #expect(Set(outcome.conflicts.map(\.field)).isSuperset(of: ["contact", "contact.phone"]))
    }

    @Test func provinceClearingADesignationWhileTheBureauEditsAMemberKeepsTheWholeObject() throws {
        let base = try JSONValue.parse(#"{"srdi":{"year":2023,"batch":1,"validUntil":"2025-12-31"}}"#)
        let theirs = try JSONValue.parse(#"{"srdi":null}"#)
        let mine = try JSONValue.parse(#"{"srdi":{"year":2023,"batch":1,"validUntil":"2026-12-31"}}"#)
        let result = ThreeWayMerge.merge(base: base, theirs: theirs, mine: mine)
        #expect(result.working == mine)
        #expect(result.base == base)
        #expect(result.divergent.contains("srdi.validUntil"))
    }
}
