import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// The province's view of its bureaus: when each region last pushed and pulled, with which
/// agent version, how many records it holds, what waits for review, and whether it has gone
/// quiet (stale).
public enum RegionActivity {
    public struct Row: Sendable, Encodable {
        public var region: String
        public var name: String
        public var records: Int
        public var lastPushAt: String?
        public var lastPushRecords: Int?
        public var agent: String?
        public var lastPullAt: String?
        public var lastPullCursor: Int64?
        public var openConflicts: Int
        public var decidedConflicts: Int
        public var heldChangeSets: Int
        /// No push or pull within the stale window (or never).
        public var stale: Bool
    }

    static func notePush(_ changeSet: ChangeSet, region: String, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO region_activity (region, last_push_at, last_push_changeset, last_push_records, agent) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(region) DO UPDATE SET last_push_at = excluded.last_push_at, last_push_changeset = excluded.last_push_changeset,
                last_push_records = excluded.last_push_records, agent = COALESCE(excluded.agent, agent)
            """).execute(arguments: [region, MergeService.now(), changeSet.id, changeSet.records.count, changeSet.agent])
    }

    static func notePull(region: String, cursor: Int64, database: ProvinceDatabase) async throws {
        try await database.pool.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO region_activity (region, last_pull_at, last_pull_cursor) VALUES (?, ?, ?)
                ON CONFLICT(region) DO UPDATE SET last_pull_at = excluded.last_pull_at, last_pull_cursor = excluded.last_pull_cursor
                """).execute(arguments: [region, MergeService.now(), cursor])
        }
    }

    /// Every region of the province, including those never heard from.
    public static func all(staleAfterHours: Double, database: ProvinceDatabase) async throws -> [Row] {
        let horizon = Date(timeIntervalSinceNow: -staleAfterHours * 3600).formatted(.iso8601)
        return try await database.pool.read { db in
            try Regions.all.map { region in
                let activity = try GRDB.Row.fetchOne(db, sql: "SELECT * FROM region_activity WHERE region = ?", arguments: [region.code])
                let count = { (sql: String) throws -> Int in try Int.fetchOne(db, sql: sql, arguments: [region.code]) ?? 0 }
                let lastPush: String? = activity?["last_push_at"]
                let lastPull: String? = activity?["last_pull_at"]
                let latest = [lastPush, lastPull].compactMap { $0 }.max()
                return Row(region: region.code, name: region.name,
                           records: try count("SELECT COUNT(*) FROM records WHERE region = ? AND deleted = 0"),
                           lastPushAt: lastPush, lastPushRecords: activity?["last_push_records"], agent: activity?["agent"],
                           lastPullAt: lastPull, lastPullCursor: activity?["last_pull_cursor"],
                           openConflicts: try count("SELECT COUNT(*) FROM conflicts WHERE region = ? AND status = 'open'"),
                           decidedConflicts: try count("SELECT COUNT(*) FROM conflicts WHERE region = ? AND status IN ('resolved', 'auto')"),
                           heldChangeSets: try count("SELECT COUNT(*) FROM held_changesets WHERE region = ? AND status = 'held'"),
                           stale: latest.map { $0 < horizon } ?? true)
            }
        }
    }
}
