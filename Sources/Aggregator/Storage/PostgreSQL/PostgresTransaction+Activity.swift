/// `region_activity`, and the per-region counts the activity page shows.
extension PostgresTransaction {
    func notePush(region: String, at: String, changeSet: String, records: Int, agent: String?) throws {
        try execute("""
            INSERT INTO region_activity (region, last_push_at, last_push_changeset, last_push_records, agent) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (region) DO UPDATE SET last_push_at = excluded.last_push_at, last_push_changeset = excluded.last_push_changeset,
                last_push_records = excluded.last_push_records, agent = COALESCE(excluded.agent, region_activity.agent)
            """, [.text(region), .text(at), .text(changeSet), SQLValue(records), SQLValue(agent)])
    }

    func notePull(region: String, at: String, cursor: Int64) throws {
        try execute("""
            INSERT INTO region_activity (region, last_pull_at, last_pull_cursor) VALUES ($1, $2, $3)
            ON CONFLICT (region) DO UPDATE SET last_pull_at = excluded.last_pull_at, last_pull_cursor = excluded.last_pull_cursor
            """, [.text(region), .text(at), .int(cursor)])
    }

    private static let activityColumns = "region, last_push_at, last_push_records, agent, last_pull_at, last_pull_cursor"

    private static func activity(_ row: SQLRow) throws -> RegionActivityRow {
        RegionActivityRow(lastPushAt: try row.optionalString(1), lastPushRecords: try row.optionalInt(2).map(Int.init), agent: try row.optionalString(3),
                          lastPullAt: try row.optionalString(4), lastPullCursor: try row.optionalInt(5))
    }

    func activity(region: String) throws -> RegionActivityRow? {
        try one("SELECT \(Self.activityColumns) FROM region_activity WHERE region = $1", [.text(region)]).map(Self.activity)
    }

    func activities() throws -> [String: RegionActivityRow] {
        var all: [String: RegionActivityRow] = [:]
        for row in try query("SELECT \(Self.activityColumns) FROM region_activity") { all[try row.string(0)] = try Self.activity(row) }
        return all
    }

    func conflictCounts(region: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try query("SELECT status, COUNT(*) FROM conflicts WHERE region = $1 GROUP BY status", [.text(region)]) {
            counts[try row.string(0)] = Int(try row.int(1))
        }
        return counts
    }

    func heldCount(region: String) throws -> Int {
        Int(try one("SELECT COUNT(*) FROM held_changesets WHERE region = $1 AND status = 'held'", [.text(region)])?.int(0) ?? 0)
    }

    func forEachLiveRecord(region: String, _ body: (String, Int64, String) throws -> Void) throws {
        try forEachPage("SELECT uscc, revision, doc FROM records WHERE uscc > $1 AND region = $3 AND NOT deleted ORDER BY uscc LIMIT $2", [.text(region)]) { row in
            try body(try row.string(0), try row.int(1), try row.string(2))
        }
    }
}
