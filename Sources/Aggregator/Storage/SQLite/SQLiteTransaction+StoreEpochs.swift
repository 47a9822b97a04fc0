import GRDB
import SyncCore

/// `store_epochs`.
extension SQLiteTransaction {
    func storeRegistration(region: String) throws -> StoreRegistration? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM store_epochs WHERE region = ?"), arguments: [region]) else { return nil }
        return StoreRegistration(region: region, epoch: row["epoch"], cursor: row["cursor"], sequence: row["sequence"],
                                 handedCursor: row["handed_cursor"], registeredAt: row["registered_at"],
                                 lastSeenAt: row["last_seen_at"], replaced: row["replaced"],
                                 lastChangeSet: row["last_changeset"], lastChangeSetSequence: row["last_changeset_sequence"])
    }

    func insertStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String) throws {
        try db.execute(sql: """
            INSERT INTO store_epochs (region, epoch, cursor, sequence, registered_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [region, epoch, cursor, sequence, at, at])
    }

    func noteStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String) throws {
        try db.execute(sql: "UPDATE store_epochs SET cursor = max(cursor, ?), sequence = max(sequence, ?), last_seen_at = ? WHERE region = ? AND epoch = ?",
                       arguments: [cursor, sequence, at, region, epoch])
    }

    func noteStoreChangeSet(region: String, changeSet: String, sequence: Int64) throws {
        try db.execute(sql: """
            UPDATE store_epochs SET last_changeset = ?, last_changeset_sequence = ? WHERE region = ? AND last_changeset_sequence < ?
            """, arguments: [changeSet, sequence, region, sequence])
    }

    func noteHandedCursor(region: String, epoch: String, cursor: Int64) throws {
        try db.execute(sql: "UPDATE store_epochs SET handed_cursor = max(handed_cursor, ?) WHERE region = ? AND epoch = ?",
                       arguments: [cursor, region, epoch])
    }

    func replaceStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String, replaces: String?) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO store_epochs (region, epoch, cursor, sequence, handed_cursor, registered_at, last_seen_at, replaced)
            VALUES (?, ?, ?, ?, 0, ?, ?, ?)
            """, arguments: [region, epoch, cursor, sequence, at, at, replaces])
    }
}
