/// Who owns each field and what happens when a bureau and the province both changed it.
///
/// - `authority`: `region` — the owning bureau observes it (name, employees, money…);
///   `province` — the province decides it (designations, the owning region). A bureau's change
///   of a province field is not applied; it is recorded as an automatic decision and can be
///   re-opened for review.
/// - `onConflict` when both sides changed a field: `region` (the bureau's value wins),
///   `province` (the province's value stands), `review` (the current value stays and a reviewer
///   decides). Every automatic decision keeps the losing value, the rule and the inputs.
public struct FieldPolicy: Sendable, Equatable {
    public enum Authority: String, Sendable, CaseIterable { case region, province }
    public enum ConflictRule: String, Sendable, CaseIterable { case region, province, review }

    public struct Rule: Sendable, Equatable {
        public var authority: Authority
        public var onConflict: ConflictRule

        public init(authority: Authority, onConflict: ConflictRule) {
            self.authority = authority
            self.onConflict = onConflict
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

    /// The default of DESIGN.md: the bureau is authoritative for what it observes, the province
    /// for designations and the owning region. Conflicts on observed figures go to the bureau,
    /// on identity (name, status, industry) to review, on the province's fields to the province.
    public static let standard = FieldPolicy(
        rules: [
            "name": Rule(authority: .region, onConflict: .review),
            "county": Rule(authority: .region, onConflict: .review),
            "industry": Rule(authority: .region, onConflict: .review),
            "status": Rule(authority: .region, onConflict: .review),
            "sizeClass": Rule(authority: .region, onConflict: .region),
            "employees": Rule(authority: .region, onConflict: .region),
            "revenueYuan": Rule(authority: .region, onConflict: .region),
            "taxYuan": Rule(authority: .region, onConflict: .region),
            "rdExpenseYuan": Rule(authority: .region, onConflict: .region),
            "supportMeasures": Rule(authority: .region, onConflict: .review),
            "contact": Rule(authority: .region, onConflict: .region),
            "updatedAt": Rule(authority: .region, onConflict: .region),
            "region": Rule(authority: .province, onConflict: .province),
            "srdi": Rule(authority: .province, onConflict: .province),
            "littleGiant": Rule(authority: .province, onConflict: .province),
            "aboveDesignatedSize": Rule(authority: .province, onConflict: .province),
        ],
        defaultRule: Rule(authority: .region, onConflict: .review))
}
