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

/// `CompareAndSet.merge` looks up the paths sent and sets them in place; until issue 15 it
/// flattened the whole document and rebuilt it from its leaves. Both must give the same
/// outcome, on random documents and random changes of their leaves, objects and absent paths.
@Suite struct CompareAndSetEquivalenceTests {
    /// The merge as it was: flatten, compare leaf by leaf, remove and set leaves, unflatten.
    static func flattening(current: JSONValue?, fields: [String: FieldChange]) -> (document: JSONValue, applied: [String], conflicts: [String]) {
        let leaves = current.map(FieldPath.flatten) ?? [:]
        var applied: [String] = [], conflicts: [String] = [], removals: [String] = [], sets: [(String, JSONValue)] = []
        for path in fields.keys.sorted() {
            let change = fields[path]!
            let now = leaves[path]
            if now == change.value { continue }
            if now == change.expected {
                applied.append(path)
                if let value = change.value { sets.append((path, value)) } else { removals.append(path) }
            } else {
                conflicts.append(path)
            }
        }
        var waiting = Set(conflicts)
        while true {
            let collides = { (path: String) in waiting.contains { $0.hasPrefix(path + ".") || path.hasPrefix($0 + ".") } }
            let moved = applied.filter(collides)
            if moved.isEmpty { break }
            conflicts += moved
            waiting.formUnion(moved)
            applied.removeAll(where: collides)
            removals.removeAll(where: collides)
            sets.removeAll { collides($0.0) }
        }
        var document = current ?? .object([:])
        if !applied.isEmpty {
            var merged = leaves
            for path in removals { merged[path] = nil }
            let setPaths = Set(sets.map(\.0))
            merged = merged.filter { key, _ in !setPaths.contains { key.hasPrefix($0 + ".") || $0.hasPrefix(key + ".") } }
            for (path, value) in sets { merged[path] = value }
            document = FieldPath.unflatten(merged)
        }
        return (document, applied, conflicts)
    }

    static func randomDocument(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let names = ["a", "b", "c", "x.y", "t~", "contact", "phone"]
        var members: JSONObject = [:]
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let name = names.randomElement(using: &rng)!
            switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &rng) {
            case 0: members[name] = .null
            case 1: members[name] = .int(Int64.random(in: 0...3, using: &rng))
            case 2: members[name] = .string(["", "v", "w"].randomElement(using: &rng)!)
            case 3: members[name] = .array([.int(1)])
            default: members[name] = randomDocument(&rng, depth: depth + 1)
            }
        }
        return .object(members)
    }

    /// A random edit of a document: some members changed, added, removed or nested deeper.
    static func edit(_ document: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        var result = document
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let leaves = Array(FieldPath.flatten(result).keys).sorted()
            let path = Bool.random(using: &rng) && !leaves.isEmpty ? leaves.randomElement(using: &rng)! : ["a", "c.a", "contact.phone", "x~1y", "b"].randomElement(using: &rng)!
            let value: JSONValue? = [nil, .int(2), .string("new"), .object([:]), .null, randomDocument(&rng, depth: 2)].randomElement(using: &rng)!
            FieldPath.set(&result, path: path, to: value)
        }
        return result
    }

    @Test func theInPlaceMergeIsTheFlatteningOne() {
        var rng = SplitMix64(seed: 0xCA5_0015)
        var changed = 0
        for _ in 0..<5000 {
            // A bureau's change (its base to its working copy, as the agent diffs them) against
            // what the province holds now (the base, edited by the province or not).
            let base: JSONValue? = Int.random(in: 0..<10, using: &rng) == 0 ? nil : Self.randomDocument(&rng)
            let working = Self.edit(base ?? .object([:]), &rng)
            let current: JSONValue? = base.map { Bool.random(using: &rng) ? $0 : Self.edit($0, &rng) }
            let fields = RecordDiff.fields(from: base, to: working)
            guard !fields.isEmpty else { continue }
            let old = Self.flattening(current: current, fields: fields)
            let new = CompareAndSet.merge(current: current, fields: fields)
            if !new.applied.isEmpty { changed += 1 }
            #expect(new.document == old.document && new.applied == old.applied && Set(new.conflicts.map(\.field)) == Set(old.conflicts),
                    "current \(current.map(\.canonicalString) ?? "none"), fields \(fields)")
        }
        #expect(changed > 1000)
    }
}

/// `RecordDiff.fields` walks only the members that differ; it must give what comparing the
/// flattened documents leaf by leaf gives.
@Suite struct RecordDiffEquivalenceTests {
    @Test func walkingTheDifferencesIsComparingTheLeaves() {
        var rng = SplitMix64(seed: 0xD1FF_0015)
        var nonEmpty = 0
        for _ in 0..<5000 {
            let base: JSONValue? = Int.random(in: 0..<10, using: &rng) == 0 ? nil : CompareAndSetEquivalenceTests.randomDocument(&rng)
            let working = Int.random(in: 0..<10, using: &rng) == 0 ? CompareAndSetEquivalenceTests.randomDocument(&rng)
                : CompareAndSetEquivalenceTests.edit(base ?? .object([:]), &rng)
            let old = base.map(FieldPath.flatten) ?? [:]
            let new = FieldPath.flatten(working)
            var expected: [String: FieldChange] = [:]
            for (path, value) in new where old[path] != value { expected[path] = FieldChange(expected: old[path], value: value) }
            for (path, value) in old where new[path] == nil { expected[path] = FieldChange(expected: value, value: nil) }
            let fields = RecordDiff.fields(from: base, to: working)
            if !fields.isEmpty { nonEmpty += 1 }
            #expect(fields == expected, "base \(base.map(\.canonicalString) ?? "none"), working \(working.canonicalString)")
        }
        #expect(nonEmpty > 2000)
    }
}
