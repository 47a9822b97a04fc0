import Foundation
import GRDB
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
    /// Judges the store's identity and, with `record`, remembers what it reported. A push judges
    /// first and records only once its change set was accepted (`record(_:region:changeSet:)`),
    /// so that a change set refused for another reason (a bad signature: say, a copy of the store
    /// without its key) leaves no trace that would make the real store look restored.
    public func check(_ identity: StoreIdentity, region: String, changeSet: String? = nil, record: Bool = true) async throws {
        try await database.pool.write { db in
            if let known = try Self.fetch(region, db: db), let verdict = identity.judge(against: known, changeSetID: changeSet) {
                throw StoreIdentityConflict(verdict: verdict, store: identity, province: known)
            }
            if record { try Self.record(identity, region: region, changeSet: changeSet, db: db) }
        }
    }

    /// Remembers what the store reported (after a push was accepted).
    public func record(_ identity: StoreIdentity, region: String, changeSet: String?) async throws {
        try await database.pool.write { db in try Self.record(identity, region: region, changeSet: changeSet, db: db) }
    }

    static func record(_ identity: StoreIdentity, region: String, changeSet: String?, db: Database) throws {
        let now = MergeService.now()
        if try Self.fetch(region, db: db) == nil {
            try db.execute(sql: """
                INSERT INTO store_epochs (region, epoch, cursor, sequence, registered_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [region, identity.epoch, identity.cursor, identity.sequence, now, now])
        } else {
            try db.execute(sql: "UPDATE store_epochs SET cursor = max(cursor, ?), sequence = max(sequence, ?), last_seen_at = ? WHERE region = ? AND epoch = ?",
                           arguments: [identity.cursor, identity.sequence, now, region, identity.epoch])
        }
        try noteChangeSet(identity, changeSet, region: region, db: db)
    }

    /// Remembers the change set pushed under the highest outbox number: a store that seals
    /// another one under that number went back in time.
    static func noteChangeSet(_ identity: StoreIdentity, _ changeSet: String?, region: String, db: Database) throws {
        guard let sequence = identity.changeSetSequence, let changeSet else { return }
        try db.execute(sql: """
            UPDATE store_epochs SET last_changeset = ?, last_changeset_sequence = ? WHERE region = ? AND last_changeset_sequence < ?
            """, arguments: [changeSet, sequence, region, sequence])
    }

    /// Remembers the cursor a change page handed to the region's store.
    public func noteHanded(_ cursor: Int64, region: String, epoch: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE store_epochs SET handed_cursor = max(handed_cursor, ?) WHERE region = ? AND epoch = ?",
                           arguments: [cursor, region, epoch])
        }
    }

    public func registration(region: String) async throws -> StoreRegistration? {
        try await database.pool.read { db in try Self.fetch(region, db: db) }
    }

    /// A store takes over its region (`esync-agent reconcile --apply`, or a new empty store):
    /// refused with 409 unless `replaces` names the epoch the province knows.
    public func register(_ request: StoreRegistrationRequest, region: String) async throws -> StoreRegistration {
        guard StoreIdentity.isValidEpoch(request.epoch) else { throw ServiceError.badRequest("epoch must be 32 lower-case hex digits") }
        guard request.cursor >= 0, request.sequence >= 0 else { throw ServiceError.badRequest("cursor and sequence must not be negative") }
        return try await database.pool.write { db in
            let known = try Self.fetch(region, db: db)
            guard known?.epoch == request.replaces else {
                throw ServiceError.conflict(known.map { "the province knows store epoch \($0.epoch) for region \(region), not \(request.replaces ?? "none"): another store registered meanwhile; run `esync-agent reconcile` again" }
                                            ?? "the province knows no store for region \(region); register without replaces")
            }
            let now = MergeService.now()
            try db.execute(sql: """
                INSERT OR REPLACE INTO store_epochs (region, epoch, cursor, sequence, handed_cursor, registered_at, last_seen_at, replaced)
                VALUES (?, ?, ?, ?, 0, ?, ?, ?)
                """, arguments: [region, request.epoch, request.cursor, request.sequence, now, now, request.replaces])
            return try Self.fetch(region, db: db)!
        }
    }

    static func fetch(_ region: String, db: Database) throws -> StoreRegistration? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM store_epochs WHERE region = ?"), arguments: [region]) else { return nil }
        return StoreRegistration(region: region, epoch: row["epoch"], cursor: row["cursor"], sequence: row["sequence"],
                                 handedCursor: row["handed_cursor"], registeredAt: row["registered_at"],
                                 lastSeenAt: row["last_seen_at"], replaced: row["replaced"],
                                 lastChangeSet: row["last_changeset"], lastChangeSetSequence: row["last_changeset_sequence"])
    }
}
