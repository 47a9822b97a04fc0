import EnterpriseModel
import SyncCore

/// Who writes, for which change set, when and at what edit time: kept with every revision,
/// provenance row and conflict a write makes.
struct WriteContext: Sendable {
    var source: String
    var changeSet: String
    var at: String
    /// The edit time kept with each field written (the `latest` rule compares it).
    var clock: HybridTimestamp?
    /// Whether the answer leaves out documents the agent can rebuild (see `MergeService.apply`).
    var answer = AnswerForm.documents
}

/// What a merge decided, ready to be written in one go: the new revisions of records (with what
/// changed in each), the conflicts to park or keep as automatic decisions, and the answer for
/// every record of the change set. Made by `ChangeSetMerge.plan` without touching the register;
/// `RecordStorage.write(_:)` writes it with a few multi-row statements and fills in what only
/// the register knows (sequence numbers, conflict ids).
struct WritePlan: Sendable {
    /// A new revision of a record. A class, immutable once made: a plan's revisions are handed
    /// from the merge to the facts' delta and the writer, and a copy of the struct it was
    /// retained each of its dozen references (1.5 % of a province's first upload).
    final class Revision: Sendable {
        enum Kind: String, Sendable {
            /// The record did not exist (the history keeps the whole document).
            case create
            /// Fields changed (the history keeps each field's old and new value).
            case update
            /// A tombstone: the document stays as it was, the record is marked deleted.
            case delete
        }
        let kind: Kind
        let uscc: String
        let region: String
        let revision: Int64
        /// The record as it was (nil for a new record).
        let previous: StoredRecord?
        let document: JSONValue
        /// `document` in canonical form (UTF-8: made by the encoder, or received and parsed), and
        /// its content hash. SQLite is given these bytes as they are: a `String` of them checked
        /// the UTF-8 again, for each record (2 % of a province's first upload, with the history's).
        let canonical: [UInt8]
        let hash: String
        /// The fields this revision changed (paths; for a delete, none).
        let changedFields: [String]
        /// What the history keeps of this revision: `HistoryEntry.Changes.op`, and its text as UTF-8.
        let historyOp: String
        let historyUTF8: [UInt8]
        /// The report's facts of the record before and after this revision; nil when they are
        /// the same (most edits touch none of the fields they are made from, `RecordFacts.mayChange`).
        let facts: (old: RecordFacts?, new: RecordFacts)?

        /// `canonical` as text.
        var text: String { String(decoding: canonical, as: UTF8.self) }
        /// What the history keeps of this revision, as text.
        var history: (op: String, text: String) { (historyOp, String(decoding: historyUTF8, as: UTF8.self)) }

        /// Everything a revision writes is made here, with the plan (outside the writer when a
        /// merge is planned ahead, see `MergeService.prepare`): its canonical text and hash, its
        /// history's text and its report facts.
        /// `canonical`: `document.canonicalBytes()`, when it is known already (a record sent whole,
        /// whose text is in the body received).
        init(kind: Kind, uscc: String, region: String, previous: StoredRecord?, document: JSONValue, changedFields: [String],
             canonical: [UInt8]? = nil) {
            self.kind = kind
            self.uscc = uscc
            self.region = region
            self.revision = (previous?.revision ?? 0) + 1
            self.previous = previous
            self.document = document
            let bytes: [UInt8]
            if kind == .delete, let previous {
                bytes = previous.document.canonicalBytes()
                hash = previous.hash
            } else {
                bytes = canonical ?? document.canonicalBytes()
                hash = ContentHash.of(bytes: bytes)
            }
            self.canonical = bytes
            self.changedFields = changedFields
            let changes = Self.changes(kind: kind, previous: previous, document: document, changedFields: changedFields)
            historyOp = changes.op
            historyUTF8 = Self.historyBytes(of: changes, canonical: bytes)
            var facts: (old: RecordFacts?, new: RecordFacts)?
            if RecordFacts.mayChange(kind: kind, previous: previous, region: region, changedFields: changedFields) {
                let old = previous.map { RecordFacts(uscc: $0.uscc, region: $0.region, deleted: $0.deleted, document: $0.document) }
                let new = RecordFacts(uscc: uscc, region: region, deleted: kind == .delete, document: document)
                if new != old { facts = (old, new) }
            }
            self.facts = facts
        }

        /// The record as stored after this revision (its `seq` is known once written).
        func stored(seq: Int64) -> StoredRecord {
            StoredRecord(uscc: uscc, region: region, revision: revision, seq: seq, deleted: kind == .delete, document: document, hash: hash)
        }

        /// `changes` (this revision's) as the history stores them (`HistoryEntry.Changes.text`);
        /// a new record's from the document's canonical bytes made already, not by encoding the
        /// document again.
        private static func historyBytes(of changes: HistoryEntry.Changes, canonical: [UInt8]) -> [UInt8] {
            guard case .created = changes else { return Array(changes.text.utf8) }
            let head = #"{"\#(StoredRecord.allFields)":{"to":"#.utf8
            var bytes: [UInt8] = []
            bytes.reserveCapacity(head.count + canonical.count + 2)
            bytes += head
            bytes += canonical
            bytes += "}}".utf8
            return bytes
        }

        /// What the history keeps of this revision (see `HistoryEntry`).
        var changes: HistoryEntry.Changes { Self.changes(kind: kind, previous: previous, document: document, changedFields: changedFields) }

        private static func changes(kind: Kind, previous: StoredRecord?, document: JSONValue, changedFields: [String]) -> HistoryEntry.Changes {
            switch kind {
            case .create: return .created(document)
            case .delete: return .deleted
            case .update:
                let before = previous?.document ?? .object([:])
                return .updated(changedFields.map { field in
                    HistoryEntry.FieldChange(field: field, from: FieldPath.value(at: field, in: before),
                                             to: FieldPath.value(at: field, in: document))
                })
            }
        }
    }

    /// A conflict to park for review (`decision` nil) or an automatic decision to keep.
    struct Conflict: Sendable {
        var uscc: String
        var region: String
        var field: String
        var kind: String
        var expected: JSONValue?
        var current: JSONValue?
        var incoming: JSONValue?
        /// The decision a rule took, the value it applied (a combined one) and the rule.
        var decision: ConflictView.Decision?
        var value: JSONValue?
        var rule: String?
        /// For a transfer: the whole record change that waits with it (canonical JSON).
        var request: String?
    }

    /// The answer for one record of the change set; `conflicts` index `WritePlan.conflicts`.
    struct Answer: Sendable {
        var result: RecordResult
        var conflicts: [(field: String, index: Int)] = []
    }

    var context: WriteContext
    var revisions: [Revision] = []
    var conflicts: [Conflict] = []
    var answers: [Answer] = []
    /// Records of the change set that exist at the province and would change or go (the
    /// mass-change guard's count).
    var affected = 0
    /// What `revisions` move in the report's totals, made with the plan (outside the writer when
    /// a merge is planned ahead); nil: the writer works it out.
    var delta: FactsDelta?
}
