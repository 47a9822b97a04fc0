import Agent
import EnterpriseModel
import SyncCore

/// `esync-agent diff`: the change set a push would send.
struct DiffOutput: Encodable, Sendable {
    struct Problem: Encodable, Sendable {
        var file: String
        var reason: String
    }

    var changes: [RecordChange]
    var invalid: [Problem]
    var held: [StatusReport.Held]
    var scan: StatusReport.Scan

    init(_ diff: SyncEngine.Diff) {
        changes = diff.changes
        invalid = diff.scan.invalid.map { Problem(file: $0.file, reason: $0.reason) }
        held = diff.held.map { StatusReport.Held(uscc: $0.uscc, reason: $0.reason) }
        scan = StatusReport.Scan(filesSeen: diff.scan.filesSeen, filesRead: diff.scan.filesRead)
    }

    var text: String {
        var lines: [String] = []
        for change in changes {
            switch change.op {
            case .create:
                // The name says which enterprise a new code is; a code alone says nothing.
                let name = change.fields["name"]?.value?.stringValue.map { " " + $0 } ?? ""
                lines.append("+ \(change.uscc)\(name) new record (\(plural(change.fields.count, "field")))")
            case .delete: lines.append("- \(change.uscc) delete request")
            case .update:
                lines.append("~ \(change.uscc)")
                for field in change.fields.keys.sorted() {
                    let c = change.fields[field]!
                    lines.append("    \(field): \(c.expected?.canonicalString ?? "(absent)") → \(c.value?.canonicalString ?? "(absent)")")
                }
            }
        }
        if changes.isEmpty { lines.append("nothing to push") }
        for h in held { lines.append("not sent: \(h.uscc): \(h.reason)") }
        for p in invalid { lines.append("invalid: \(p.file): \(p.reason)") }
        return lines.joined(separator: "\n")
    }
}
