import SyncCore

/// The province's API as the agent's sync uses it: one request per call, blocking, answers
/// checked (`ProvinceAnswers`) before they are returned. A refusal is thrown as
/// `AgentError.server(ProvinceRefusal)`, whose `kind` says what it means; a network failure as
/// `.transport`, an answer that cannot be read as `.protocolError`, an answer about another
/// record or region as `.refusedAnswer`, a store the province does not recognise as
/// `.storeIdentity`.
///
/// `ProvinceClient` is the real one (HTTP through libcurl); the in-process tests give the engine
/// one that calls the province's routes without a socket.
public protocol ProvinceAPI: AnyObject {
    /// The province's address, for messages.
    var baseURL: String { get }

    /// The register the last answer came from (`ESync-Register`), when it said.
    var registerStamp: RegisterStamp? { get }

    /// Whether the province said in its last answer (`ESync-Accepts`) that it takes new records
    /// sent whole (`ProvinceAccepts.wholeRecords`); false before any answer.
    var acceptsWholeRecords: Bool { get }

    /// Sends a sealed change set (`body`, as it lies in the outbox, of `sent`). `identity`: the
    /// store's, which the province checks before applying anything.
    func push(_ body: [UInt8], sent: ChangeSet, identity: StoreIdentity?) throws(AgentError) -> (result: ChangeSetResult, refused: [RefusedRecord])

    /// One page of the region's change feed after `cursor`. `own`: include the documents of
    /// revisions this bureau wrote itself; `leavingOutEchoes`: leave those revisions out (every
    /// change set sent has been answered, see `EchoForm.none`).
    func changes(since cursor: Int64, limit: Int, own: Bool, leavingOutEchoes: Bool, identity: StoreIdentity?) throws(AgentError)
        -> (page: ChangePage, refused: [RefusedRecord])

    /// The province's version of a record this store holds or sent.
    func record(_ uscc: String) throws(AgentError) -> RecordView

    func conflict(_ id: Int64) throws(AgentError) -> ConflictView

    /// Withdraws this bureau's delete request `id`; `.conflict` once the province has decided it.
    func withdraw(_ id: Int64) throws(AgentError) -> ConflictView

    /// What the province remembers of this region's store; nil when it knows none yet.
    func storeRegistration() throws(AgentError) -> StoreRegistration?

    /// Makes this store the region's store at the province.
    func register(_ request: StoreRegistrationRequest) throws(AgentError) -> StoreRegistration

    /// The province's digest of each bucket of the region's records (`verify`).
    func digests() throws(AgentError) -> RegionDigests

    func digestBucket(_ bucket: Int) throws(AgentError) -> BucketRecords
}

extension ProvinceAPI {
    /// (A province API that does not say takes nothing beyond format 1's first forms.)
    public var acceptsWholeRecords: Bool { false }

    /// A page of the feed read without the store's identity (`reconcile`).
    func changes(since cursor: Int64, limit: Int, own: Bool) throws(AgentError) -> (page: ChangePage, refused: [RefusedRecord]) {
        try changes(since: cursor, limit: limit, own: own, leavingOutEchoes: false, identity: nil)
    }
}
