import SyncCore

/// A review session as the register keeps it (the SHA-256 of its cookie, never the cookie).
struct StoredSession: Sendable {
    var key: String
    var reviewer: String
    var tokenHash: String
    var csrf: String
    /// Seconds since 1970.
    var createdAt: Double
    var lastSeenAt: Double
    var address: String?
    var flash: String?
    var flashError = false
}

/// The review pages' signed-in reviewers.
protocol SessionStorage {
    func insertSession(_ session: StoredSession) throws
    /// Deletes sessions idle since before `idleBefore` or started before `startedBefore`.
    func deleteSessions(idleBefore: Double, startedBefore: Double) throws
    /// The session with this key, if the reviewer token it was opened with is still active.
    func liveSession(key: String) throws -> StoredSession?
    /// Marks it seen at `at` and clears its flash message.
    func touchSession(key: String, at: Double) throws
    func setFlash(key: String, text: String, isError: Bool) throws
    func deleteSession(key: String) throws
}

/// The store each region syncs from, as the province knows it (see `StoreEpochs`).
protocol StoreEpochStorage {
    /// The store the province knows for `region`. In a write transaction its row stays the
    /// transaction's until commit: a second writer judging a store of the region (another
    /// instance's push or pull, a reconcile) waits, then judges against what the first wrote,
    /// so two copies of a store cannot both pass under one outbox number.
    func storeRegistration(region: String) throws -> StoreRegistration?
    /// Registers the region's first store (a second one, registered at the same time by
    /// another writer, fails on the region's key and is judged again).
    func insertStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String) throws
    /// Notes what the store with `epoch` says it holds (never less than it said before).
    func noteStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String) throws
    /// Notes the change set pushed under outbox number `sequence`, when higher than the last.
    func noteStoreChangeSet(region: String, changeSet: String, sequence: Int64) throws
    /// Notes the cursor a change page handed to the store with `epoch`.
    func noteHandedCursor(region: String, epoch: String, cursor: Int64) throws
    /// A store takes over the region from the one it knows.
    func replaceStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String, replaces: String?) throws
}
