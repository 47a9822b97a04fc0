import EnterpriseModel
import Foundation
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

    /// Notes a pull, and the cursor handed to the store with epoch `handedTo` (see `StoreEpochs`),
    /// in one transaction. The store's row first, then the region's activity row: the order a
    /// push takes them in (its store is remembered before its merge notes the push), so that a
    /// pull and a push of one region never wait for each other's row.
    static func notePull(region: String, cursor: Int64, handedTo epoch: String? = nil, database: ProvinceDatabase) async throws {
        let now = MergeService.now()
        try await database.write { register in
            if let epoch { try register.noteHandedCursor(region: region, epoch: epoch, cursor: cursor) }
            try register.notePull(region: region, at: now, cursor: cursor)
        }
    }

    /// Every region of the province, including those never heard from.
    public static func all(staleAfterHours: Double, database: ProvinceDatabase) async throws -> [Row] {
        let horizon = Date(timeIntervalSinceNow: -staleAfterHours * 3600).formatted(.iso8601)
        return try await database.read { register in
            let activities = try register.activities()
            return try Regions.all.map { region in
                let activity = activities[region.code]
                let conflicts = try register.conflictCounts(region: region.code)
                let latest = [activity?.lastPushAt, activity?.lastPullAt].compactMap { $0 }.max()
                return Row(region: region.code, name: region.name, records: try register.liveRecords(region: region.code),
                           lastPushAt: activity?.lastPushAt, lastPushRecords: activity?.lastPushRecords, agent: activity?.agent,
                           lastPullAt: activity?.lastPullAt, lastPullCursor: activity?.lastPullCursor,
                           openConflicts: conflicts["open", default: 0],
                           decidedConflicts: conflicts["resolved", default: 0] + conflicts["auto", default: 0],
                           heldChangeSets: try register.heldCount(region: region.code),
                           stale: latest.map { $0 < horizon } ?? true)
            }
        }
    }
}
