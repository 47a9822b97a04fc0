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
        ]) { FieldPolicy.standard.decide($0.field, expected: $0.expected, current: $0.current, incoming: $0.incoming, incomingTime: nil, currentTime: nil) }
        #expect(outcome.document["employees"] == 45)
        #expect(outcome.decided.map(\.conflict.field) == ["employees"])
        #expect(outcome.decided.first?.conflict.current == 50)
        #expect(outcome.conflicts.map(\.field) == ["name"])
    }

    @Test func theProvincesRuleKeepsItsValue() throws {
        let current = try JSONValue.parse(#"{"srdi": {"year": 2025}}"#)
        let outcome = CompareAndSet.merge(current: current, fields: ["srdi.year": FieldChange(expected: 2024, value: 2023)]) { _ in .keepCurrent(rule: "onConflict: province") }
        #expect(outcome.document == current)
        #expect(outcome.applied.isEmpty && outcome.conflicts.isEmpty && outcome.decided.count == 1)
    }

    func decide(_ field: String, _ expected: JSONValue?, _ current: JSONValue?, _ incoming: JSONValue?,
                incoming incomingTime: HybridTimestamp? = nil, current currentTime: HybridTimestamp? = nil, policy: FieldPolicy = .standard) -> FieldPolicy.Decision {
        policy.decide(field, expected: expected, current: current, incoming: incoming, incomingTime: incomingTime, currentTime: currentTime)
    }

    @Test func latestTakesTheLaterClockAndKeepsTheInputsInItsRule() {
        let policy = FieldPolicy(rules: ["phone": .init(authority: .region, onConflict: .latest)], defaultRule: FieldPolicy.standard.defaultRule)
        let early = HybridTimestamp(milliseconds: 1_000, counter: 0, node: "410100")
        let late = HybridTimestamp(milliseconds: 1_000, counter: 1, node: "province")
        guard case .takeIncoming(let rule) = decide("phone", "1", "2", "3", incoming: late, current: early, policy: policy) else {
            Issue.record("a later incoming edit must win"); return
        }
        #expect(rule.contains(late.description) && rule.contains(early.description))
        #expect(decide("phone", "1", "2", "3", incoming: early, current: late, policy: policy) == .keepCurrent(rule: "onConflict: latest (incoming \(early) vs current \(late))"))
        // An edit from before clocks were kept is older than any clocked one; an unclocked push loses.
        if case .takeIncoming = decide("phone", "1", "2", "3", incoming: early, current: nil, policy: policy) {} else { Issue.record("clocked beats unclocked") }
        if case .keepCurrent = decide("phone", "1", "2", "3", incoming: nil, current: nil, policy: policy) {} else { Issue.record("unclocked keeps current") }
    }

    @Test func mergeOperatorsDecideBeforeTheRuleAndFallBackToItWhenTheyCannot() throws {
        // prefer-non-empty (contact): an emptied phone does not beat a number; two numbers → latest.
        if case .keepCurrent = decide("contact.phone", "1", "139", "") {} else { Issue.record("non-empty current stays") }
        if case .takeIncoming = decide("contact.phone", "1", nil, "138") {} else { Issue.record("non-empty incoming wins") }
        if case .takeIncoming(let rule) = decide("contact.phone", "1", "139", "138", incoming: .init(milliseconds: 9, node: "410100"), current: .init(milliseconds: 5, node: "province")) {
            #expect(rule.hasPrefix("merge: prefer-non-empty could not decide; onConflict: latest"))
        } else { Issue.record("two numbers fall back to latest") }
        // max (updatedAt): dates in order.
        if case .keepCurrent = decide("updatedAt", "2024-01-01", "2024-06-01", "2024-03-01") {} else { Issue.record("later date stays") }
        // forward-only (status): further along wins, unknown states go to review.
        if case .keepCurrent = decide("status", "active", "closed", "relocated") {} else { Issue.record("closed is further than relocated") }
        if case .takeIncoming = decide("status", "active", "relocated", "closed") {} else { Issue.record("closed wins") }
        #expect(decide("status", "active", "relocated", "dormant") == .review)
        #expect(MergeOperator.forwardOnly(order: ["active", "relocated", "closed"]).movesBackwards(from: "closed", to: "active"))
        // union (supportMeasures): both additions survive, in a combined list neither side sent.
        let a: JSONValue = ["measure": "贷款贴息", "amountYuan": 100, "date": "2024-01-05"]
        let b: JSONValue = ["measure": "技改补助", "amountYuan": 200, "date": "2024-02-01"]
        let c: JSONValue = ["measure": "研发奖励", "amountYuan": 300, "date": "2024-03-01"]
        #expect(decide("supportMeasures", [a], [a, b], [a, c]) == .value([a, b, c], rule: "merge: union by measure+date"))
        // The bureau removed a, the province added b: a goes, b stays.
        #expect(decide("supportMeasures", [a], [a, b], []) == .value([b], rule: "merge: union by measure+date"))
        // Both edited a differently: a reviewer decides.
        var a1 = a, a2 = a
        if case .object(var m) = a1 { m["amountYuan"] = 150; a1 = .object(m) }
        if case .object(var m) = a2 { m["amountYuan"] = 170; a2 = .object(m) }
        #expect(decide("supportMeasures", [a], [a1], [a2]) == .review)
    }

    @Test func aCombinedValueIsAppliedAndListedAsDecided() throws {
        let current = try JSONValue.parse(#"{"supportMeasures": [{"measure": "a", "date": "1"}, {"measure": "b", "date": "2"}]}"#)
        let outcome = CompareAndSet.merge(current: current, fields: [
            "supportMeasures": FieldChange(expected: [["measure": "a", "date": "1"]], value: [["measure": "a", "date": "1"], ["measure": "c", "date": "3"]]),
        ]) { FieldPolicy.standard.decide($0.field, expected: $0.expected, current: $0.current, incoming: $0.incoming, incomingTime: nil, currentTime: nil) }
        #expect(outcome.applied == ["supportMeasures"])
        #expect(outcome.document["supportMeasures"]?.arrayValue?.compactMap { $0["measure"]?.stringValue } == ["a", "b", "c"])
        #expect(outcome.decided.count == 1)
    }
}

@Suite struct HybridClockTests {
    @Test func aClockNeverGoesBackAndOrdersEventsAfterWhatItHeard() {
        var bureau = HybridClock(node: "410100")
        let t1 = bureau.tick(wall: 1_000)
        let t2 = bureau.tick(wall: 900)  // the wall clock stepped back
        #expect(t2 > t1 && t2.milliseconds == 1_000 && t2.counter == 1)
        // The province, an hour ahead, stamps an edit; the bureau hears of it on a pull.
        let province = HybridTimestamp(milliseconds: 1_000 + 3_600_000, counter: 4, node: "province")
        var fast = HybridClock(node: "410100", maximumDriftMilliseconds: 7_200_000)
        fast.receive(province, wall: 1_100)
        let edit = fast.tick(wall: 1_200)
        #expect(edit > province)  // the bureau's later edit is later, whatever its wall clock says
    }

    @Test func aTimestampFarAheadIsCappedAtTheAllowedDrift() {
        var clock = HybridClock(node: "province", maximumDriftMilliseconds: 1_000)
        let heard = clock.receive(HybridTimestamp(milliseconds: 10_000_000, node: "410100"), wall: 5_000)
        #expect(heard.milliseconds == 6_000)
        #expect(clock.last.milliseconds == 6_000)
    }

    @Test func theTextFormRoundTripsAndSortsLikeTheValue() {
        let t = HybridTimestamp(milliseconds: 1_795_763_524_123, counter: 2, node: "410100")
        #expect(t.description == "1795763524123.0002@410100")
        #expect(HybridTimestamp(t.description) == t)
        #expect(HybridTimestamp("12.x@a") == nil && HybridTimestamp("12.1@") == nil && HybridTimestamp("nonsense") == nil)
    }
}
