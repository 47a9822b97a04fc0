import EnterpriseModel

/// Who owns each field and what happens when a bureau and the province both changed it.
///
/// - `authority`: `region` — the owning bureau observes it (name, employees, money…);
///   `province` — the province decides it (designations, the owning region). A bureau's change
///   of a province field is not applied; it is recorded as an automatic decision and can be
///   re-opened for review.
/// - `merge` (optional): an operator tried first when both sides changed a field
///   (`prefer-non-empty`, `max`, `union` by a key, `forward-only` along an order); when it
///   cannot decide, `onConflict` does.
/// - `onConflict` when both sides changed a field: `region` (the bureau's value wins),
///   `province` (the province's value stands), `latest` (the later edit wins, by the hybrid
///   logical clock each change set carries), `review` (the current value stays and a reviewer
///   decides). Every automatic decision keeps the losing value, the rule and the inputs.
public struct FieldPolicy: Sendable, Equatable {
    public enum Authority: String, Sendable, CaseIterable { case region, province }
    public enum ConflictRule: String, Sendable, CaseIterable { case region, province, latest, review }

    public struct Rule: Sendable, Equatable {
        public var authority: Authority
        public var onConflict: ConflictRule
        public var merge: MergeOperator?

        public init(authority: Authority, onConflict: ConflictRule, merge: MergeOperator? = nil) {
            self.authority = authority
            self.onConflict = onConflict
            self.merge = merge
        }
    }

    /// What happens to a field both sides changed.
    public enum Decision: Sendable, Equatable {
        /// The current value stays and a reviewer decides.
        case review
        /// The province's value stands; `rule` says why, with its inputs.
        case keepCurrent(rule: String)
        /// The bureau's value is applied.
        case takeIncoming(rule: String)
        /// A value combined from both (a merge operator) is applied.
        case value(JSONValue?, rule: String)

        public var rule: String? {
            switch self {
            case .review: nil
            case .keepCurrent(let r), .takeIncoming(let r), .value(_, let r): r
            }
        }
    }

    /// Decides a field both sides changed: the merge operator first, then `onConflict`.
    /// `incomingTime` is the change set's clock, `currentTime` that of the edit that set the
    /// current value (nil: before clocks were kept, older than any clocked edit).
    public func decide(_ field: String, expected: JSONValue?, current: JSONValue?, incoming: JSONValue?,
                       incomingTime: HybridTimestamp?, currentTime: HybridTimestamp?) -> Decision {
        let rule = rule(for: field)
        if let merge = rule.merge, let combined = merge.combine(expected: expected, current: current, incoming: incoming) {
            let name = "merge: \(merge)"
            if combined == current { return .keepCurrent(rule: name) }
            if combined == incoming { return .takeIncoming(rule: name) }
            return .value(combined, rule: name)
        }
        let fallback = rule.merge.map { "merge: \($0) could not decide; " } ?? ""
        switch rule.onConflict {
        case .review: return .review
        case .region: return .takeIncoming(rule: fallback + "onConflict: region")
        case .province: return .keepCurrent(rule: fallback + "onConflict: province")
        case .latest:
            let inputs = "incoming \(incomingTime.map(String.init(describing:)) ?? "unclocked") vs current \(currentTime.map(String.init(describing:)) ?? "unclocked")"
            let later = incomingTime.map { i in currentTime.map { i > $0 } ?? true } ?? false
            return later ? .takeIncoming(rule: fallback + "onConflict: latest (\(inputs))")
                         : .keepCurrent(rule: fallback + "onConflict: latest (\(inputs))")
        }
    }

    /// Rules by field path; a path without its own rule takes its nearest ancestor's
    /// (`contact.phone` → `contact`), then `defaultRule`.
    public var rules: [String: Rule]
    public var defaultRule: Rule
    /// What a delete request gets: only `review` is accepted today.
    public var deletes: ConflictRule

    public init(rules: [String: Rule], defaultRule: Rule, deletes: ConflictRule = .review) {
        self.rules = rules
        self.defaultRule = defaultRule
        self.deletes = deletes
    }

    public func rule(for path: String) -> Rule {
        var candidate = Substring(path)
        while true {
            if let rule = rules[String(candidate)] { return rule }
            guard let dot = candidate.lastIndex(of: ".") else { return defaultRule }
            candidate = candidate[..<dot]
        }
    }

    /// The default of docs/policy.md (and Config/policy.yaml): the bureau is authoritative for what it observes, the province
    /// for designations and the owning region. Conflicts on observed figures go to the bureau,
    /// on identity (name, status, industry) to review, on the province's fields to the province;
    /// contacts take the non-empty, else the later edit; support measures are merged item by
    /// item; status only moves forward; `updatedAt` takes the later date.
    public static let standard = FieldPolicy(
        rules: [
            "name": Rule(authority: .region, onConflict: .review),
            "county": Rule(authority: .region, onConflict: .review),
            "industry": Rule(authority: .region, onConflict: .review),
            "status": Rule(authority: .region, onConflict: .review, merge: .forwardOnly(order: ["active", "relocated", "closed"])),
            "sizeClass": Rule(authority: .region, onConflict: .region),
            "employees": Rule(authority: .region, onConflict: .region),
            "revenueYuan": Rule(authority: .region, onConflict: .region),
            "taxYuan": Rule(authority: .region, onConflict: .region),
            "rdExpenseYuan": Rule(authority: .region, onConflict: .region),
            "supportMeasures": Rule(authority: .region, onConflict: .review, merge: .union(key: ["measure", "date"])),
            "contact": Rule(authority: .region, onConflict: .latest, merge: .preferNonEmpty),
            "updatedAt": Rule(authority: .region, onConflict: .region, merge: .max),
            "region": Rule(authority: .province, onConflict: .province),
            "srdi": Rule(authority: .province, onConflict: .province),
            "littleGiant": Rule(authority: .province, onConflict: .province),
            "aboveDesignatedSize": Rule(authority: .province, onConflict: .province),
        ],
        defaultRule: Rule(authority: .region, onConflict: .review))
}
