/// A record document that cannot be accepted, with every error found in it.
///
/// For example: `record 91410100556930377C: field county: 410211 does not belong to region 410300 (洛阳市)`.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The credit code as written in the document (possibly invalid), or nil when it had none.
    public var uscc: String?
    /// The error-severity issues; warnings are not a reason to reject and are left to
    /// `RecordValidator.issues(in:)`.
    public var issues: [FieldIssue]

    public init(uscc: String?, issues: [FieldIssue]) {
        self.uscc = uscc
        self.issues = issues
    }

    public var description: String {
        let subject = uscc.map { "record \($0)" } ?? "record without a credit code"
        return "\(subject): " + issues.map(\.description).joined(separator: "; ")
    }
}
