/// One finding about one field of a record document.
///
/// `field` is a path a bureau operator can find in the file: `contact.phone`,
/// `supportMeasures[2].amountYuan`, or `document` for the document as a whole.
public struct FieldIssue: Sendable, Equatable, CustomStringConvertible {
    /// How much an issue matters: errors stop a record from being stored or pushed, warnings are
    /// shown to people and otherwise let through.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    /// Dotted path of the member, with array indexes: `supportMeasures[2].amountYuan`.
    public var field: String
    /// What is wrong, in words an operator can act on; names what was found.
    public var reason: String
    public var severity: Severity

    public init(field: String, reason: String, severity: Severity) {
        self.field = field
        self.reason = reason
        self.severity = severity
    }

    public var description: String {
        let subject = field == "document" ? "document" : "field \(field)"
        return severity == .error ? "\(subject): \(reason)" : "\(subject): \(reason) (warning)"
    }
}
