import GRDB

/// `region_activity`, and the per-region counts the activity page shows.
extension SQLiteTransaction {
    func notePush(region: String, at: String, changeSet: String, records: Int, agent: String?) throws {
        try db.cachedStatement(sql: """
            INSERT INTO region_activity (region, last_push_at, last_push_changeset, last_push_records, agent) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(region) DO UPDATE SET last_push_at = excluded.last_push_at, last_push_changeset = excluded.last_push_changeset,
                last_push_records = excluded.last_push_records, agent = COALESCE(excluded.agent, agent)
            """).execute(arguments: [region, at, changeSet, records, agent])
    }

    func notePull(region: String, at: String, cursor: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO region_activity (region, last_pull_at, last_pull_cursor) VALUES (?, ?, ?)
            ON CONFLICT(region) DO UPDATE SET last_pull_at = excluded.last_pull_at, last_pull_cursor = excluded.last_pull_cursor
            """).execute(arguments: [region, at, cursor])
    }

    private static func activity(_ row: Row) -> RegionActivityRow {
        RegionActivityRow(lastPushAt: row["last_push_at"], lastPushRecords: row["last_push_records"], agent: row["agent"],
                          lastPullAt: row["last_pull_at"], lastPullCursor: row["last_pull_cursor"])
    }

    func activity(region: String) throws -> RegionActivityRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM region_activity WHERE region = ?", arguments: [region]).map(Self.activity)
    }

    func activities() throws -> [String: RegionActivityRow] {
        var all: [String: RegionActivityRow] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM region_activity") { all[row["region"]] = Self.activity(row) }
        return all
    }

    func conflictCounts(region: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM conflicts WHERE region = ? GROUP BY status", arguments: [region]) {
            counts[row["status"]] = row["n"]
        }
        return counts
    }

    func heldCount(region: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM held_changesets WHERE region = ? AND status = 'held'", arguments: [region]) ?? 0
    }

    func forEachLiveRecord(region: String, _ body: (String, Int64, String) throws -> Void) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT uscc, revision, doc FROM records WHERE region = ? AND deleted = 0"),
                                       arguments: [region])
        while let row = try rows.next() { try body(row["uscc"], row["revision"], row["doc"]) }
    }
}
