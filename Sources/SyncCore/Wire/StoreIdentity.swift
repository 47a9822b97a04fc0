/// Who a bureau's store is, as it tells the province on every push and change-feed request:
/// its random epoch (made at `esync-agent init`), the highest pull cursor it has stored and the
/// highest outbox sequence it has sealed, and with a push the outbox number of the change set.
/// Both numbers only grow while the store lives and no number is sealed twice, so a store that
/// is behind what the province has heard from it, or that seals another change set under a
/// number it had used, was restored from a backup; an epoch the province does not know is
/// another store: see ``judge(against:changeSetID:)``.
///
/// Sent as headers, so the change-set and change-page bodies stay as they are:
///
/// ```
/// ESync-Store-Epoch: 3f2a…(32 hex digits)
/// ESync-Store-Cursor: 1204
/// ESync-Store-Sequence: 17
/// ESync-Store-Change-Set-Sequence: 16      (push only)
/// ESync-Store-Region: 410300                (the region the store is configured for)
/// ESync-Store-Register: 5b0c…; generation=9e41…   (the register it last synced with, see RegisterStamp)
/// ```
public struct StoreIdentity: Sendable, Hashable, Codable {
    public var epoch: String
    /// The highest pull cursor the store has stored (never set back, not even by `pull --full`).
    public var cursor: Int64
    /// The highest outbox sequence the store has sealed.
    public var sequence: Int64
    /// With a push: the outbox number the change set was sealed under.
    public var changeSetSequence: Int64?
    /// The region the store is configured for (absent from agents before it was sent): the
    /// province refuses a store whose region is not its credential's, before it registers
    /// anything, so a config that kept another region's code cannot take over a bureau.
    public var region: String?
    /// The province register, and its generation, the store last synced with (absent until it
    /// has heard of one): a province restored from a backup refuses a store that names an
    /// earlier generation (`RegisterMismatch`).
    public var register: RegisterStamp?

    public init(epoch: String, cursor: Int64, sequence: Int64, changeSetSequence: Int64? = nil, region: String? = nil, register: RegisterStamp? = nil) {
        self.register = register
        self.epoch = epoch
        self.cursor = cursor
        self.sequence = sequence
        self.changeSetSequence = changeSetSequence
        self.region = region
    }

    public static let epochHeader = "ESync-Store-Epoch"
    public static let cursorHeader = "ESync-Store-Cursor"
    public static let sequenceHeader = "ESync-Store-Sequence"
    public static let changeSetSequenceHeader = "ESync-Store-Change-Set-Sequence"
    public static let regionHeader = "ESync-Store-Region"

    public var headers: [(name: String, value: String)] {
        [(Self.epochHeader, epoch), (Self.cursorHeader, String(cursor)), (Self.sequenceHeader, String(sequence))]
            + (changeSetSequence.map { [(Self.changeSetSequenceHeader, String($0))] } ?? [])
            + (region.map { [(Self.regionHeader, $0)] } ?? [])
            + (register.map { [(RegisterStamp.storeHeader, $0.description)] } ?? [])
    }

    /// Reads the headers of a request (`header` looks one up by name); nil when the caller sent
    /// no epoch (an agent from before store identities).
    public init?(header: (String) -> String?) throws(WireError) {
        guard let epoch = header(Self.epochHeader) else { return nil }
        guard Self.isValidEpoch(epoch) else { throw WireError(path: Self.epochHeader, reason: "expected 32 lower-case hex digits") }
        func number(_ name: String) throws(WireError) -> Int64? {
            guard let text = header(name) else { return nil }
            guard let value = Int64(text), value >= 0 else { throw WireError(path: name, reason: "expected a non-negative integer") }
            return value
        }
        let region = header(Self.regionHeader)
        if let region, region.utf8.count != 6 || !region.utf8.allSatisfy({ (48...57).contains($0) }) {
            throw WireError(path: Self.regionHeader, reason: "expected a 6-digit region code, found \(WireLimits.quoted(region))")
        }
        var register: RegisterStamp?
        if let text = header(RegisterStamp.storeHeader) {
            guard let stamp = RegisterStamp(header: text) else {
                throw WireError(path: RegisterStamp.storeHeader, reason: "expected REGISTER; generation=GENERATION (hex), found \(WireLimits.quoted(text))")
            }
            register = stamp
        }
        self.init(epoch: epoch, cursor: try number(Self.cursorHeader) ?? 0, sequence: try number(Self.sequenceHeader) ?? 0,
                  changeSetSequence: try number(Self.changeSetSequenceHeader), region: region, register: register)
    }

    /// 128 random bits in lower-case hex.
    public static func isValidEpoch(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Why a store is not the one the province knows for its region, or nil when it is (or when
    /// the province knows none yet). Both ends judge with this: the province to refuse, the
    /// agent to explain in `reconcile`. `changeSetID`: the id of the change set a push carries.
    public func judge(against known: StoreRegistration?, changeSetID: String? = nil) -> StoreVerdict? {
        guard let known else { return nil }
        if epoch != known.epoch { return cursor == 0 ? .newStore : .otherEpoch }
        if cursor < known.cursor { return .cursorBehind }
        if sequence < known.sequence { return .sequenceBehind }
        if let changeSetSequence, let changeSetID, changeSetSequence == known.lastChangeSetSequence,
           let last = known.lastChangeSet, last != changeSetID {
            return .sequenceReused
        }
        return nil
    }
}

/// Why the province refuses a store (the `reason` of a 409 answer).
public enum StoreVerdict: String, Sendable, Hashable, Codable {
    /// Another epoch at cursor 0: the store was created anew (`init` again) for a region that has one.
    case newStore = "new-store"
    /// Another epoch with a cursor: a copy of an older or another store.
    case otherEpoch = "other-epoch"
    /// The same epoch, but its cursor is behind what it had already confirmed: restored from a backup.
    case cursorBehind = "cursor-behind"
    /// The same epoch, but its outbox sequence is behind what it had already sent: restored from a backup.
    case sequenceBehind = "sequence-behind"
    /// The same epoch, but it sealed another change set under an outbox number it had already
    /// sent one under: restored from a backup taken before that push.
    case sequenceReused = "sequence-reused"

    /// The `error` code of the 409 answer: `store_recreated` or `store_restored`.
    public var code: String { self == .newStore ? "store_recreated" : "store_restored" }

    public func explanation(store: StoreIdentity, known: StoreRegistration) -> String {
        switch self {
        case .newStore:
            return "this is a new store (epoch \(store.epoch.prefix(8))…, cursor 0), but the province knows another store for the region (epoch \(known.epoch.prefix(8))…, registered \(known.registeredAt))"
        case .otherEpoch:
            return "this store's epoch \(store.epoch.prefix(8))… is not the one the province knows for the region (\(known.epoch.prefix(8))…, registered \(known.registeredAt)): a copy of an older or another store"
        case .cursorBehind:
            return "this store's pull cursor \(store.cursor) is behind cursor \(known.cursor), which it had already reached: it looks restored from a backup"
        case .sequenceBehind:
            return "this store's outbox sequence \(store.sequence) is behind \(known.sequence), which it had already sent: it looks restored from a backup"
        case .sequenceReused:
            return "this store sealed another change set under outbox number \(known.lastChangeSetSequence), which it had already used for change set \(known.lastChangeSet ?? "?"): it looks restored from a backup"
        }
    }
}

/// What the province remembers of a region's store (`GET /v1/store-epoch`).
public struct StoreRegistration: Sendable, Hashable, Codable {
    public var region: String
    public var epoch: String
    /// The highest cursor and outbox sequence the store has told the province it holds.
    public var cursor: Int64
    public var sequence: Int64
    /// The highest cursor the province has handed this store in a change page.
    public var handedCursor: Int64
    /// The change set the store pushed under the highest outbox number so far, and that number.
    public var lastChangeSet: String?
    public var lastChangeSetSequence: Int64
    public var registeredAt: String
    public var lastSeenAt: String?
    /// The epoch this one replaced (`esync-agent reconcile --apply`, or a new empty store).
    public var replaced: String?
    /// In the answer to a registration: the hash of the last change set the province accepted
    /// from the registering token, which the store's next signed change set must follow (a
    /// store restored from a backup has an older chain head of its own).
    public var chainHead: String?

    public init(region: String, epoch: String, cursor: Int64, sequence: Int64, handedCursor: Int64, registeredAt: String,
                lastSeenAt: String? = nil, replaced: String? = nil, lastChangeSet: String? = nil, lastChangeSetSequence: Int64 = 0) {
        self.lastChangeSet = lastChangeSet
        self.lastChangeSetSequence = lastChangeSetSequence
        self.region = region
        self.epoch = epoch
        self.cursor = cursor
        self.sequence = sequence
        self.handedCursor = handedCursor
        self.registeredAt = registeredAt
        self.lastSeenAt = lastSeenAt
        self.replaced = replaced
    }
}

/// `POST /v1/store-epoch`: a store takes over its region at the province. `replaces` must name
/// the epoch the province knows (nil when it knows none), so two stores cannot take turns
/// unnoticed.
public struct StoreRegistrationRequest: Sendable, Hashable, Codable {
    public var epoch: String
    public var replaces: String?
    public var cursor: Int64
    public var sequence: Int64
    /// The region the store is configured for (see `StoreIdentity.region`).
    public var region: String?

    public init(epoch: String, replaces: String?, cursor: Int64, sequence: Int64, region: String? = nil) {
        self.epoch = epoch
        self.replaces = replaces
        self.cursor = cursor
        self.sequence = sequence
        self.region = region
    }
}

/// The body of a 409 answer to a store the province does not recognise: the usual
/// `{error, message}` plus the machine-readable verdict and both sides' numbers.
public struct StoreIdentityConflict: Error, Sendable, Hashable, Codable {
    /// `store_recreated` or `store_restored`.
    public var error: String
    public var message: String
    public var reason: StoreVerdict
    public var store: StoreIdentity
    public var province: StoreRegistration

    public init(verdict: StoreVerdict, store: StoreIdentity, province: StoreRegistration) {
        error = verdict.code
        reason = verdict
        self.store = store
        self.province = province
        message = verdict.explanation(store: store, known: province)
            + ". Nothing was applied or sent. Run `esync-agent reconcile` at the bureau to see what differs, then `esync-agent reconcile --apply`."
    }
}
