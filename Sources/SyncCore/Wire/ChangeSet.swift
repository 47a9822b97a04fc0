import EnterpriseModel

/// A bureau's sealed batch of record changes. Its `id` makes it apply exactly once: the
/// aggregator answers a replay with the stored result and applies nothing again.
public struct ChangeSet: Sendable, Hashable, Codable {
    public var format: Int
    public var id: String
    public var region: String
    public var createdAt: String
    public var agent: String?
    /// How many records the province already has that the whole push changes or deletes (sent
    /// by agents on every change set of such a push; older ones only when it is split into
    /// several): the mass-change guard judges the push, not a piece.
    public var pushChanges: Int?
    /// The id of the push it is a piece of (with `pushChanges`): the guard counts the region's
    /// recent change sets without the earlier pieces of the same push, which `pushChanges`
    /// already counts.
    public var push: String?
    /// The bureau's hybrid logical clock when it sealed the change set: the edit time the
    /// `latest` rule compares (absent from agents before clocks were kept).
    public var clock: HybridTimestamp?
    /// A recovery change set (`SyncEngine.heal`): the values this store had acknowledged by the
    /// province at this earlier generation of its register, which a restore lost. The bureau's
    /// own fields are merged as its edits; the province's fields, and fields a reviewer decided
    /// (`RecordChange.recovered`), wait in the review queue as recovered values.
    public var recovers: String?
    public var records: [RecordChange]
    /// The hash of the change set the store sealed before this one (`""` for its first): the
    /// province refuses a change set that does not follow the last one it accepted from that
    /// store. Absent from agents that do not sign. See `ChangeSetSeal`.
    public var previous: String?
    /// The fingerprint of the key that signed the change set (see `PublicSigningKey.fingerprint`).
    public var signer: String?
    /// Ed25519 over the change set's hash, in base64: everything but this member is signed.
    public var signature: String?

    public init(id: String, region: String, createdAt: String, agent: String? = nil, records: [RecordChange]) {
        self.format = WireFormat.version
        self.id = id
        self.region = region
        self.createdAt = createdAt
        self.agent = agent
        self.records = records
    }
}

/// The aggregator's answer to a change set, record by record.
public struct ChangeSetResult: Sendable, Hashable, Codable {
    public var format: Int
    public var id: String
    /// True when this id had been applied before and the stored result is returned.
    public var replayed: Bool
    /// The province holds the change set whole for approval (the mass-change guard): nothing
    /// was applied; send it again later to learn the decision. `message` says why.
    public var held: Bool = false
    public var message: String?
    /// The province's clock after taking this change set in: the bureau's clock moves past it,
    /// so anything the bureau seals later is later than every edit it has seen.
    public var clock: HybridTimestamp?
    public var records: [RecordResult]

    public init(id: String, replayed: Bool = false, records: [RecordResult]) {
        self.format = WireFormat.version
        self.id = id
        self.replayed = replayed
        self.records = records
    }
}

public struct RecordResult: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Codable {
        /// Every field changed as asked.
        case applied
        /// Some fields applied, some wait for review.
        case partial
        /// Nothing applied: every changed field conflicts.
        case conflict
        /// The province already had these values.
        case unchanged
        /// Refused whole (validation, a create of a code that exists…); `reason` says why.
        case rejected
        /// A delete request now waits for the province.
        case deleteRequested
    }

    public var uscc: String
    public var outcome: Outcome
    /// The record's revision after the change set (absent when the record does not exist).
    public var revision: Int64?
    /// The merged document the province now holds. Left out, when the agent asked for
    /// `ESync-Answer: hashes`, if the record is the agent's base with the sent fields in place
    /// (the agent rebuilds it and checks `hash`).
    public var document: JSONValue?
    /// The content hash of the document the province now holds (absent from older aggregators).
    public var hash: String?
    public var applied: [String]
    public var conflicts: [ConflictRef]
    public var reason: String?

    public init(uscc: String, outcome: Outcome, revision: Int64? = nil, document: JSONValue? = nil, hash: String? = nil,
                applied: [String] = [], conflicts: [ConflictRef] = [], reason: String? = nil) {
        self.uscc = uscc
        self.outcome = outcome
        self.revision = revision
        self.document = document
        self.hash = hash
        self.applied = applied
        self.conflicts = conflicts
        self.reason = reason
    }
}

/// A field parked for review, and the conflict that holds it.
public struct ConflictRef: Sendable, Hashable, Codable {
    public var field: String
    public var conflictId: Int64

    public init(field: String, conflictId: Int64) {
        self.field = field
        self.conflictId = conflictId
    }
}
