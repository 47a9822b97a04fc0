import SyncCore
import Foundation

/// The agent's small mutable state, `.esync/state.json`: where the pull stands, what the last
/// push and pull did, and what waits at the province.
public struct AgentState: Codable, Sendable, Equatable {
    public struct Outcome: Codable, Sendable, Equatable {
        public var at: String
        public var ok: Bool
        public var summary: String
    }

    /// A record the province refused, remembered with the content it refused so the same
    /// content is not sent again and again; an edit of the file sends it again.
    public struct Rejection: Codable, Sendable, Equatable {
        public var hash: String
        public var reason: String
    }

    public var format = 1
    public var region: String
    /// The store's identity: 128 random bits in hex, made at `init` (or on the first push or pull
    /// of a store made before identities) and again by `reconcile --apply`. Sent with every push
    /// and pull, so the province can tell this store from a restored copy or a new one.
    public var epoch: String?
    /// The province's register, and its generation, this store syncs with (see `RegisterStamp`):
    /// learnt from the first answer that carries it, sent with every push and pull, and moved to
    /// the new generation only when the store has healed after a restore (`SyncEngine.heal`).
    public var province: RegisterStamp?
    /// The province's change sequence up to which this store has merged its region's records.
    public var cursor: Int64 = 0 {
        didSet { highestCursor = max(highestCursor, cursor) }
    }
    /// The highest cursor this store has stored: unlike `cursor` never set back (`pull --full`),
    /// so a store behind it at the province was restored from a backup.
    public var highestCursor: Int64 = 0
    /// Numbers the outbox files so that they are sent in the order they were sealed.
    public var outboxSequence: Int64 = 0
    public var lastPush: Outcome?
    public var lastPull: Outcome?
    /// A field the province parked for review, and the value the bureau sent for it: the same
    /// value is not sent again; a new edit of the field is.
    public struct Parked: Codable, Sendable, Equatable {
        public var conflictId: Int64
        public var valueHash: String
    }

    /// Fields waiting for review at the province: USCC → field → parked value.
    public var parked: [String: [String: Parked]] = [:]
    /// Delete requests waiting for the province: USCC → conflict id.
    public var pendingDeletes: [String: Int64] = [:]
    public var rejected: [String: Rejection] = [:]
    /// Change sets the province holds for approval (mass-change guard): id → their records,
    /// which are not sealed again meanwhile.
    public var heldChangeSets: [String: [String]] = [:]
    /// Records whose province version waits to be merged until their invalid file is fixed.
    public var deferred: Set<String> = []
    /// The bureau's hybrid logical clock: stamped on every sealed change set, moved past the
    /// province's clock on every answer, so an edit sealed after a pull is later than what came.
    public var clock: HybridTimestamp?
    /// The hash of the change set the store sealed last: the `previous` of the next one, which
    /// chains the store's signed change sets (see `ChangeSetSeal`).
    public var chainHead: String?
    /// Records whose base keeps an older value for a field both sides changed (see
    /// `ThreeWayMerge`): the content hash of the province's version it was merged with, which is
    /// what `verify` compares with the province.
    public var provinceHashes: [String: String] = [:]
    /// The last `verify`.
    public var lastVerify: Verification?

    /// A decision of the province on one of this bureau's conflicts, as a pull learned it: who
    /// decided, when, and the reviewer's note, which the review page promises the bureau sees.
    public struct Decision: Codable, Sendable, Equatable {
        public var uscc: String
        /// The field decided; "*" for a delete request.
        public var field: String
        public var conflictId: Int64
        /// keep-current, take-incoming or value; "delete request: …" for a delete request.
        public var decision: String
        /// Who decided: `reviewer:NAME`, or `policy` for a rule.
        public var by: String?
        /// When the province decided (ISO 8601).
        public var at: String?
        public var note: String?

        public init(uscc: String, field: String, conflictId: Int64, decision: String, by: String?, at: String?, note: String?) {
            self.uscc = uscc
            self.field = field
            self.conflictId = conflictId
            self.decision = decision
            self.by = by
            self.at = at
            self.note = note
        }
    }

    /// The latest decisions pulls brought, newest last, for `status`: at most
    /// `recentDecisionsKept`, so the state file stays small.
    public var recentDecisions: [Decision] = []
    public static let recentDecisionsKept = 50

    public struct Verification: Codable, Sendable, Equatable {
        public var at: String
        /// Records compared (the store's base).
        public var records: Int
        /// Records that differ from the province's; 0: they agree.
        public var differing: Int
        public var summary: String
    }

    public init(region: String) { self.region = region }

    /// A new store epoch: 128 bits from the system's random generator, in lower-case hex.
    public static func makeEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// What the store tells the province about itself; nil until it has an epoch.
    public var identity: StoreIdentity? {
        epoch.map { StoreIdentity(epoch: $0, cursor: highestCursor, sequence: outboxSequence, region: region, register: province) }
    }

    enum CodingKeys: String, CodingKey {
        case format, region, epoch, province, cursor, highestCursor, outboxSequence, lastPush, lastPull, parked, pendingDeletes, rejected, heldChangeSets,
             deferred, clock, chainHead, provinceHashes, lastVerify, recentDecisions
    }

    /// A state written by an earlier version lacks the newer members: they start empty, so an
    /// upgraded agent opens the store it left.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(Int.self, forKey: .format) ?? 1
        region = try c.decode(String.self, forKey: .region)
        epoch = try c.decodeIfPresent(String.self, forKey: .epoch)
        province = try c.decodeIfPresent(RegisterStamp.self, forKey: .province)
        cursor = try c.decodeIfPresent(Int64.self, forKey: .cursor) ?? 0
        highestCursor = max(try c.decodeIfPresent(Int64.self, forKey: .highestCursor) ?? 0, cursor)
        outboxSequence = try c.decodeIfPresent(Int64.self, forKey: .outboxSequence) ?? 0
        lastPush = try c.decodeIfPresent(Outcome.self, forKey: .lastPush)
        lastPull = try c.decodeIfPresent(Outcome.self, forKey: .lastPull)
        parked = try c.decodeIfPresent([String: [String: Parked]].self, forKey: .parked) ?? [:]
        pendingDeletes = try c.decodeIfPresent([String: Int64].self, forKey: .pendingDeletes) ?? [:]
        rejected = try c.decodeIfPresent([String: Rejection].self, forKey: .rejected) ?? [:]
        heldChangeSets = try c.decodeIfPresent([String: [String]].self, forKey: .heldChangeSets) ?? [:]
        deferred = try c.decodeIfPresent(Set<String>.self, forKey: .deferred) ?? []
        clock = try c.decodeIfPresent(HybridTimestamp.self, forKey: .clock)
        chainHead = try c.decodeIfPresent(String.self, forKey: .chainHead)
        provinceHashes = try c.decodeIfPresent([String: String].self, forKey: .provinceHashes) ?? [:]
        lastVerify = try c.decodeIfPresent(Verification.self, forKey: .lastVerify)
        recentDecisions = try c.decodeIfPresent([Decision].self, forKey: .recentDecisions) ?? []
    }

    public static func load(from path: String) throws(AgentError) -> AgentState {
        let bytes = try FileSystem.read(path)
        do {
            return try JSONDecoder().decode(AgentState.self, from: Data(bytes))
        } catch {
            throw .corruptState(path: path, reason: "cannot read the agent state: \(error)")
        }
    }

    public func save(to path: String) throws(AgentError) {
        try FileSystem.writeAtomically(path, try encoded(for: path))
    }

    /// The state file's bytes (`path`: for the error).
    func encoded(for path: String) throws(AgentError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            return Array(try encoder.encode(self)) + [0x0A]
        } catch {
            throw .corruptState(path: path, reason: "cannot encode the agent state: \(error)")
        }
    }
}

extension AgentState.Decision {
    /// The decision on `conflict` as the province answered it (`GET /v1/conflicts/{id}`);
    /// `prefix` tells a delete request's decision from a field's.
    init(_ conflict: ConflictView, field: String, prefix: String = "") {
        self.init(uscc: conflict.uscc, field: field, conflictId: conflict.id, decision: prefix + (conflict.decision?.rawValue ?? "decided"),
                  by: conflict.resolvedBy, at: conflict.resolvedAt, note: conflict.note)
    }

    /// One line for `pull` and `status`: the decision, who and when, and the note, made safe
    /// for a terminal (a note is the province's free text).
    public var line: String {
        let who = [by.map { "by \($0)" }, at.map { "at \(BeijingTime.text($0, seconds: true))" }, "conflict \(conflictId)"].compactMap { $0 }.joined(separator: " ")
        return "\(uscc) \(field): the province decided (\(decision)) \(who)".terminalSafe + (note.map { "; note: \($0.terminalSafe)" } ?? "")
    }
}
