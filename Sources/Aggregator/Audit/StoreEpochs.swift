import Foundation
import SyncCore

/// The province's memory of each region's store (`store_epochs`): its epoch, the highest cursor
/// and outbox sequence it has said it holds, and the highest cursor handed to it. A push or pull
/// from a store that is not that one (created anew, restored from a backup) is refused with 409
/// and a ``StoreIdentityConflict`` instead of being merged, so its gaps are neither skipped
/// silently nor overwritten: the bureau runs `esync-agent reconcile`.
///
/// The first store a region is heard from is registered as it comes; a store that sends no
/// epoch (an agent from before store identities) is not checked.
public struct StoreEpochs: Sendable {
    public let database: ProvinceDatabase

    public init(database: ProvinceDatabase) {
        self.database = database
    }

    /// Checks a store against the one the province knows for `region` and notes what it says it
    /// holds; the first store heard from is registered. `changeSet`: the id of the change set a
    /// push carries. Throws ``StoreIdentityConflict``.
    public func check(_ identity: StoreIdentity, region: String, changeSet: String? = nil) async throws {
        try await database.write { register in try Self.admit(identity, region: region, changeSet: changeSet, register: register) }
    }

    /// Judges the store and remembers what it reported, inside the caller's transaction. A push
    /// does this in the transaction that merges its change set, so that a change set refused
    /// for any other reason (a bad signature: say, a copy of the store without its key) takes
    /// it back and leaves no trace that would make the real store look restored. The region's
    /// row is the transaction's from the judging on (`storeRegistration`): two pushes of one
    /// region on two instances are judged one after the other, each against what the other
    /// wrote (the second copy of a store that seals under a number already used is refused).
    static func admit(_ identity: StoreIdentity, region: String, changeSet: String?, register: any RegisterTransaction) throws {
        let now = MergeService.now()
        if try judge(identity, region: region, changeSet: changeSet, register: register) == nil {
            try register.insertStore(region: region, epoch: identity.epoch, cursor: identity.cursor, sequence: identity.sequence, at: now)
        } else {
            try register.noteStore(region: region, epoch: identity.epoch, cursor: identity.cursor, sequence: identity.sequence, at: now)
        }
        // The change set pushed under the highest outbox number: a store that seals another one
        // under that number went back in time.
        if let sequence = identity.changeSetSequence, let changeSet {
            try register.noteStoreChangeSet(region: region, changeSet: changeSet, sequence: sequence)
        }
    }

    /// Throws ``StoreIdentityConflict`` when the store is not the one the province knows for
    /// the region (inside the caller's transaction); returns the one it knows (nil: none yet).
    static func judge(_ identity: StoreIdentity, region: String, changeSet: String?, register: any RegisterTransaction) throws -> StoreRegistration? {
        try judgeRegister(identity, register: register)
        let known = try register.storeRegistration(region: region)
        if let known, let verdict = identity.judge(against: known, changeSetID: changeSet) {
            throw StoreIdentityConflict(verdict: verdict, store: identity, province: known)
        }
        return known
    }

    /// Throws ``RegisterMismatch`` when the store synced with another generation of this
    /// register (the province was restored from a backup since), with another register, or holds
    /// a cursor past the last change this register numbered (restored before the store learnt
    /// generations). Checked before the store's own identity: a restored province's memory of the
    /// store is as old as its backup.
    static func judgeRegister(_ identity: StoreIdentity, register: any RegisterTransaction) throws {
        let stamp = try register.registerIdentity().stamp
        let reason: RegisterMismatch.Reason
        if let known = identity.register, known.register != stamp.register {
            reason = .otherRegister
        } else if let known = identity.register, known.generation != stamp.generation {
            reason = .restored
        } else if identity.cursor > 0, identity.cursor > (try register.lastChangeSequence()) {
            reason = .cursorAhead
        } else {
            return
        }
        throw RegisterMismatch(reason: reason, province: stamp, lastSequence: try register.lastChangeSequence(), store: identity.register,
                               cursor: identity.cursor)
    }

    /// Remembers the cursor a change page handed to the region's store.
    public func noteHanded(_ cursor: Int64, region: String, epoch: String) async throws {
        try await database.write { register in try register.noteHandedCursor(region: region, epoch: epoch, cursor: cursor) }
    }

    public func registration(region: String) async throws -> StoreRegistration? {
        try await database.read { register in try register.storeRegistration(region: region) }
    }

    /// A store takes over its region (`esync-agent reconcile --apply`, or a new empty store):
    /// refused with 409 unless `replaces` names the epoch the province knows.
    public func register(_ request: StoreRegistrationRequest, region: String) async throws -> StoreRegistration {
        guard StoreIdentity.isValidEpoch(request.epoch) else { throw ServiceError.badRequest("epoch must be 32 lower-case hex digits") }
        guard request.cursor >= 0, request.sequence >= 0 else { throw ServiceError.badRequest("cursor and sequence must not be negative") }
        return try await database.write { register in
            let known = try register.storeRegistration(region: region)
            guard known?.epoch == request.replaces else {
                throw ServiceError.conflict(known.map { "the province knows store epoch \($0.epoch) for region \(region), not \(request.replaces ?? "none"): another store registered meanwhile; run `esync-agent reconcile` again" }
                                            ?? "the province knows no store for region \(region); register without replaces")
            }
            let now = MergeService.now()
            if known == nil {
                // The region's first store: inserted, so that one registered by another writer
                // meanwhile (a push, a reconcile) is not overwritten but fails this one on the
                // region's key, and it is judged again.
                try register.insertStore(region: region, epoch: request.epoch, cursor: request.cursor, sequence: request.sequence, at: now)
            } else {
                try register.replaceStore(region: region, epoch: request.epoch, cursor: request.cursor, sequence: request.sequence, at: now,
                                          replaces: request.replaces)
            }
            guard let registered = try register.storeRegistration(region: region) else {
                throw ServiceError.internalError("the store of region \(region) was registered but cannot be read back")
            }
            return registered
        }
    }
}
