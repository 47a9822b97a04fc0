import EnterpriseModel
import SyncCore

/// What `esync-agent reconcile` found: the store's identity against the one the province knows,
/// and per record what differs between the store's files and the province's copy of the region,
/// with what `--apply` would push and what it would pull. Printed, and saved under
/// `.esync/reconcile/`.
public struct ReconcileReport: Encodable, Sendable {
    public enum Action: String, Encodable, Sendable {
        /// The store takes the province's version (new at the province, changed there only,
        /// removed there).
        case pull
        /// The bureau's edits go to the province as a change set (changed here only, new here,
        /// a delete request).
        case push
        case pushAndPull = "push+pull"
        /// Both sides changed a field, or there is no common version to tell who did: the bureau's
        /// value is sent and the province's field policy decides (a conflict for review, or a rule).
        case policy
        /// The file is invalid: the province's version is merged once it is fixed.
        case wait
        /// Removed at the province but changed here: the file is kept and sent as a new record.
        case keep
    }

    public struct Field: Encodable, Sendable {
        public var field: String
        public var action: Action
        public var here: JSONValue?
        public var province: JSONValue?
        /// The value as last acknowledged by the province, by this store's base (absent: none).
        public var base: JSONValue?
    }

    public struct Record: Encodable, Sendable {
        public var uscc: String
        public var action: Action
        public var note: String
        public var fields: [Field] = []
    }

    public var region: String
    public var store: String
    public var at: String
    /// This store's identity (before `--apply`).
    public var identity: StoreIdentity?
    /// What the province remembers of the region's store; nil when it knows none.
    public var province: StoreRegistration?
    /// Why the province does not recognise this store; nil when it does.
    public var verdict: StoreVerdict?
    public var recordsHere = 0
    public var recordsAtProvince = 0
    public var agreeing = 0
    public var records: [Record] = []
    /// Records this store has a base of but the province has no record of in the region: `--apply`
    /// drops their base, so they go as new records.
    public var unknownAtProvince: [String] = []
    /// Sealed change sets not yet acknowledged: sent first by `--apply`.
    public var outbox: [String] = []
    /// What `--apply` did, line by line; nil for a dry run.
    public var applied: [String]?

    public var pushes: Int { records.filter { $0.action != .pull && $0.action != .wait }.count }
    public var pulls: Int { records.filter { [.pull, .pushAndPull].contains($0.action) }.count }

    /// The report for a person on a terminal.
    public var text: String {
        var lines = ["reconcile\(applied == nil ? " (dry run)" : "") of store \(store), region \(region) \(Regions.region(code: region)?.name ?? ""), \(at)"]
        lines.append("  this store:   " + (identity.map { "epoch \($0.epoch), cursor \($0.cursor), outbox sequence \($0.sequence)" } ?? "no epoch yet"))
        lines.append("  the province: " + (province.map {
            "epoch \($0.epoch), cursor \($0.cursor), outbox sequence \($0.sequence), handed cursor \($0.handedCursor), registered \($0.registeredAt), last seen \($0.lastSeenAt ?? "never")"
        } ?? "knows no store for the region"))
        if let verdict, let identity, let province {
            lines.append("  \(verdict.code) (\(verdict.rawValue)): \(verdict.explanation(store: identity, known: province))")
        } else {
            lines.append("  the province recognises this store")
        }
        lines.append("records: \(recordsHere) here, \(recordsAtProvince) at the province; \(agreeing) agree, \(records.count) differ (\(pushes) to push, \(pulls) to pull)")
        for record in records {
            lines.append("  \(record.action.rawValue.padding(9)) \(record.uscc)  \(record.note)")
            for f in record.fields {
                lines.append("      \(f.action.rawValue.padding(9)) \(f.field): here \(Self.show(f.here)), province \(Self.show(f.province))"
                             + (f.action == .policy ? ", base \(Self.show(f.base))" : ""))
            }
        }
        if !outbox.isEmpty {
            lines.append("outbox: \(plural(outbox.count, "sealed change set")) \(outbox.count == 1 ? "waits" : "wait") (\(outbox.joined(separator: ", "))); sent first, and one the province applied already is answered from its records, not applied again")
        }
        if let applied {
            lines.append("applied:")
            lines += applied.map { "  " + $0 }
        } else {
            lines.append("nothing was changed. `esync-agent reconcile --apply` takes a new epoch, registers it at the province, merges the province's copy of the region field by field (as `pull --full`), then pushes the bureau's edits as change sets, so the field policy decides what both sides changed, and pulls again.")
        }
        return lines.joined(separator: "\n")
    }

    static func show(_ value: JSONValue?) -> String {
        guard let value else { return "(absent)" }
        let text = value.canonicalString
        return text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
