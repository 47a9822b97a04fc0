import EnterpriseModel
import Testing

/// The merge reads a stored record again only in the members an edit moved
/// (`RecordValidator.errors(in:changing:)`): for a record stored without errors that must find
/// exactly the errors reading the whole record finds, whatever the edit puts in.
@Suite struct IncrementalValidationTests {
    /// Values an edit may put in a member: another record's (valid, but a county of another
    /// region is not), wrong types, absent, null, too long, out of range.
    static func candidates(from other: JSONObject) -> [JSONValue?] {
        var values: [JSONValue?] = Array(other.values)
        values += [nil, .null, .int(-5), .int(99_999_999_999), .string(""), .string("abc"), .string("410199"), .string("419001"),
                   .string(String(repeating: "长", count: 2000)), .bool(true), .array([.int(1)]), .array([]), .object([:]),
                   .string("2024-13-01"), .string("yesterday"), .string("closed"), .string("C3562"), .string("Z9999"),
                   ["year": 1800, "validUntil": 1700] as JSONValue, ["year": 2023] as JSONValue, ["since": "2024-5"] as JSONValue,
                   ["person": .string(String(repeating: "x", count: 5000))] as JSONValue,
                   [["measure": "x", "amountYuan": "many"]] as JSONValue, [.null] as JSONValue]
        return values
    }

    @Test func anEditOfSomeMembersFindsTheErrorsOfTheWholeRecord() {
        var generator = SampleGenerator(seed: 15)
        var random = SplitMix64(seed: 1505)
        let names = ["uscc", "name", "region", "county", "industry", "sizeClass", "employees", "revenueYuan", "taxYuan", "rdExpenseYuan",
                     "aboveDesignatedSize", "srdi", "littleGiant", "supportMeasures", "contact", "status", "updatedAt", "address", "extraField"]
        var compared = 0, withErrors = 0
        for _ in 0..<3000 {
            guard case .object(var members) = generator.next().json, case .object(let other) = generator.next().json else { continue }
            guard RecordValidator.issues(in: .object(members)).allSatisfy({ $0.severity != .error }) else { continue }
            var changed: Set<String> = []
            let pool = Self.candidates(from: other)
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let name = names[Int(random.next() % UInt64(names.count))]
                // Half of the edits take another record's value of the same member (valid,
                // except a county of another region), the rest anything from the pool.
                members[name] = random.next() % 2 == 0 ? other[name] : pool[Int(random.next() % UInt64(pool.count))]
                changed.insert(name)
            }
            let whole = RecordValidator.issues(in: .object(members)).filter { $0.severity == .error }
            let part = RecordValidator.errors(in: .object(members), changing: changed)
            // (As sets: the limits are checked in the order of a dictionary's members.)
            #expect(part.map(\.description).sorted() == whole.map(\.description).sorted(), "changed \(changed.sorted())")
            compared += 1
            if !whole.isEmpty { withErrors += 1 }
        }
        // The comparison must have seen both kinds of edits.
        #expect(compared > 2500 && withErrors > 500 && compared - withErrors > 300, "\(compared) compared, \(withErrors) with errors")
    }

    /// A record stored before a rule was added is not refused for a member nobody edited.
    @Test func anUntouchedMemberIsNotReadAgain() {
        var generator = SampleGenerator(seed: 16)
        guard case .object(var members) = generator.next().json else { Issue.record("not an object"); return }
        members["industry"] = "Z9999"   // an error the record was stored with
        members["employees"] = 42
        #expect(!RecordValidator.issues(in: .object(members)).filter { $0.severity == .error }.isEmpty)
        #expect(RecordValidator.errors(in: .object(members), changing: ["employees"]).isEmpty)
        #expect(RecordValidator.errors(in: .object(members), changing: ["industry"]).map(\.field) == ["industry"])
    }
}
