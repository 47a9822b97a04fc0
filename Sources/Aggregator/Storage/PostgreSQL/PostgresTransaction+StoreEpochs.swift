import SyncCore

/// `store_epochs`.
extension PostgresTransaction {
    func storeRegistration(region: String) throws -> StoreRegistration? {
        guard let row = try one("""
            SELECT epoch, cursor, sequence, handed_cursor, registered_at, last_seen_at, replaced, last_changeset, last_changeset_sequence
            FROM store_epochs WHERE region = $1
            """ + (locking ? " FOR UPDATE" : ""), [.text(region)]) else { return nil }
        return StoreRegistration(region: region, epoch: try row.string(0), cursor: try row.int(1), sequence: try row.int(2),
                                 handedCursor: try row.int(3), registeredAt: try row.string(4),
                                 lastSeenAt: try row.optionalString(5), replaced: try row.optionalString(6),
                                 lastChangeSet: try row.optionalString(7), lastChangeSetSequence: try row.int(8))
    }

    func insertStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String) throws {
        try execute("""
            INSERT INTO store_epochs (region, epoch, cursor, sequence, registered_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, [.text(region), .text(epoch), .int(cursor), .int(sequence), .text(at), .text(at)])
    }

    func noteStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String) throws {
        try execute("UPDATE store_epochs SET cursor = GREATEST(cursor, $1), sequence = GREATEST(sequence, $2), last_seen_at = $3 WHERE region = $4 AND epoch = $5",
                    [.int(cursor), .int(sequence), .text(at), .text(region), .text(epoch)])
    }

    func noteStoreChangeSet(region: String, changeSet: String, sequence: Int64) throws {
        try execute("""
            UPDATE store_epochs SET last_changeset = $1, last_changeset_sequence = $2 WHERE region = $3 AND last_changeset_sequence < $2
            """, [.text(changeSet), .int(sequence), .text(region)])
    }

    func noteHandedCursor(region: String, epoch: String, cursor: Int64) throws {
        try execute("UPDATE store_epochs SET handed_cursor = GREATEST(handed_cursor, $1) WHERE region = $2 AND epoch = $3",
                    [.int(cursor), .text(region), .text(epoch)])
    }

    /// The region's row replaced whole (as SQLite's `INSERT OR REPLACE` does: what the old store
    /// noted goes with it).
    func replaceStore(region: String, epoch: String, cursor: Int64, sequence: Int64, at: String, replaces: String?) throws {
        try execute("""
            INSERT INTO store_epochs (region, epoch, cursor, sequence, handed_cursor, registered_at, last_seen_at, replaced)
            VALUES ($1, $2, $3, $4, 0, $5, $6, $7)
            ON CONFLICT (region) DO UPDATE SET epoch = excluded.epoch, cursor = excluded.cursor, sequence = excluded.sequence,
                handed_cursor = 0, last_changeset = NULL, last_changeset_sequence = 0, registered_at = excluded.registered_at,
                last_seen_at = excluded.last_seen_at, replaced = excluded.replaced
            """, [.text(region), .text(epoch), .int(cursor), .int(sequence), .text(at), .text(at), SQLValue(replaces)])
    }
}
