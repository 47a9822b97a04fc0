/// Whose chain a signed change set is kept in: the bureau token's or the client certificate's
/// its signing key is registered with.
enum ChainOwner: Sendable, Hashable {
    case token(Int64)
    case certificate(String)
}

/// A change set in the province's log (`changesets verify` checks them all again).
struct ChainLink: Sendable {
    var seq: Int64 = 0
    var id: String
    var region: String
    var token: Int64?
    var certificate: String?
    var receivedAt: String
    var hash: String
    var previous: String?
    /// For a signed change set: the key's fingerprint and base64, the signature, and the bytes
    /// signed.
    var signer: String?
    var publicKey: String?
    var signature: String?
    var signed: [UInt8]?
    /// Why it may start a new chain (nil: it follows the last one).
    var chainStart: String?
}

/// A change set the mass-change guard holds for the province's approval.
struct HeldChangeSet: Sendable {
    var id: String
    var region: String
    var receivedAt: String
    /// The change set as received (JSON).
    var body: [UInt8]
    var records: Int
    var affected: Int
    var regionRecords: Int
    var status = "held"
    var decidedBy: String?
    var decidedAt: String?
    var note: String?
}

/// The change sets applied (with their results, under their ids), held, and logged.
protocol ChangeSetStorage {
    /// The region and stored result (JSON) of an applied change set.
    func appliedChangeSet(_ id: String) throws -> (region: String, result: [UInt8])?
    /// Keeps a change set's result under its id; a second result under one id is refused.
    func insertAppliedChangeSet(id: String, region: String, receivedAt: String, records: Int, result: [UInt8], affected: Int, push: String?) throws
    /// Whether the province has this id: logged, applied or held.
    func changeSetKnown(_ id: String) throws -> Bool
    /// What the region's change sets received since `since` changed or deleted: all of them, and
    /// those not of the push `push`.
    func recentlyAffected(region: String, since: String, push: String?) throws -> (all: Int, others: Int)

    func heldChangeSet(_ id: String) throws -> HeldChangeSet?
    func heldChangeSets(status: String?) throws -> [HeldChangeSet]
    func insertHeld(_ held: HeldChangeSet) throws
    func decideHeld(_ id: String, status: String, by: String, at: String, note: String?) throws

    /// The last change set of an owner's chain. In a write transaction the owner (its token or
    /// certificate row) stays the transaction's until commit, so two change sets that name
    /// the same `previous` (a fork), merged at once by two writers, cannot both be placed.
    func lastLink(of owner: ChainOwner) throws -> ChainLink?
    /// The change set of an owner's chain with this hash.
    func link(of owner: ChainOwner, hash: String) throws -> ChainLink?
    /// How many change sets an owner's chain has after `seq`.
    func linksAfter(_ seq: Int64, of owner: ChainOwner) throws -> Int
    /// The last change set logged for a token (signed or not).
    func lastLink(ofToken id: Int64) throws -> ChainLink?
    func insertLink(_ link: ChainLink) throws
    func link(id: String) throws -> ChainLink?
    /// Every logged change set (of one region), in the order received.
    func forEachLink(region: String?, _ body: (ChainLink) throws -> Void) throws
    /// Per region, the change sets applied before the province kept its log.
    func changeSetsBeforeLog(region: String?) throws -> [String: Int]
}
