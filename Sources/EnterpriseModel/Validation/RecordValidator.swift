/// The rules a record document must follow, applied to the document itself so that members this
/// version does not know are never lost by checking.
///
/// For example:
///
/// ```swift
/// for issue in RecordValidator.issues(in: document) { print(issue) }
/// // field county: 410211 does not belong to region 410300 (洛阳市)
/// ```
public enum RecordValidator {
    /// Every problem found, errors and warnings, in field order. Empty for a clean record.
    public static func issues(in document: JSONValue) -> [FieldIssue] {
        var reader = RecordReader()
        reader.keepsUnknown = false
        _ = reader.readRecord(document)
        return reader.issues
    }

    /// The errors of a stored record after an edit of the top-level members `changed`, for a
    /// merge: the members changed are read again, with the ones every record needs (`uscc`,
    /// `name`, `region`) and, when either moves, `county` with `region` (the one rule that reads
    /// two members); the others are not. They were read when they were written, and a record
    /// kept from before a rule was added is not refused for a member nobody edited. Every rule
    /// that finds an error reads one member, or those two, so for a record stored without errors
    /// this is exactly `issues(in:)`'s errors, at a fraction of the cost.
    public static func errors(in document: JSONValue, changing changed: Set<String>) -> [FieldIssue] {
        guard case .object(let members) = document, members.count <= RecordLimits.maximumItems else {
            return issues(in: document).filter { $0.severity == .error }
        }
        var read: Set<String> = ["uscc", "name", "region"]
        read.formUnion(changed)
        if changed.contains("region") || changed.contains("county") { read.insert("county") }
        return issues(in: .object(members.filter { read.contains($0.key) })).filter { $0.severity == .error }
    }

    /// Throws when the document has at least one error-severity issue; warnings pass.
    public static func validate(_ document: JSONValue) throws(RecordError) {
        let errors = issues(in: document).filter { $0.severity == .error }
        guard errors.isEmpty else { throw RecordError(uscc: document["uscc"]?.stringValue, issues: errors) }
    }

    /// 规模以上工业: main business revenue of 20,000,000 yuan (2,000万) or more.
    public static let aboveDesignatedSizeRevenueYuan: Int64 = 20_000_000

    /// The size class under the industrial row of 工信部联企业〔2011〕300号 (docs/domain.md §4).
    ///
    /// Each class needs both of its lower limits, so a cascade is exact: large with ≥ 1000 employees
    /// and ≥ 40,000万 revenue, else medium with ≥ 300 and ≥ 2,000万, else small with ≥ 20 and
    /// ≥ 300万, else micro. Limits are inclusive ("及以上"); 万元 are converted to yuan exactly.
    /// For example, 1200 employees and 30,000万 is medium; 10 employees and 50,000万 is micro.
    public static func sizeClass(employees: Int64, revenueYuan: Int64) -> SizeClass {
        let wan: Int64 = 10_000
        if employees >= 1000, revenueYuan >= 40_000 * wan { return .large }
        if employees >= 300, revenueYuan >= 2_000 * wan { return .medium }
        if employees >= 20, revenueYuan >= 300 * wan { return .small }
        return .micro
    }
}
