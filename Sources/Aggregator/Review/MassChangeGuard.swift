import EnterpriseModel
import Foundation
import SyncCore

/// Holds a change set whole when it would change or delete more than a share of its region's
/// records — a clobbered store or a bad import — instead of applying it. A reviewer sees its
/// summary and approves (it is then applied as sent) or refuses it (every record refused, the
/// bureau is told why). The agent sends the held change set again on each push and gets the
/// decision once there is one; its other changes go on meanwhile.
public struct MassChangeGuard: Sendable {
    public var share: Double
    public var minChanges: Int
    /// How far back the region's earlier change sets count towards the share.
    public var window: TimeInterval

    public init(share: Double = 0.25, minChanges: Int = 50, window: TimeInterval = 3600) {
        self.share = share
        self.minChanges = minChanges
        self.window = window
    }

    /// Records of the change set that exist at the province and would change or go: updates
    /// and delete requests (new records change nothing that exists).
    static func affected(by changeSet: ChangeSet, stored: [String: StoredRecord]) -> Int {
        changeSet.records.filter { $0.op != .create && stored[$0.uscc].map { !$0.deleted } == true }.count
    }

    public struct Held: Sendable {
        public var id: String
        public var region: String
        public var receivedAt: String
        public var records: Int
        public var affected: Int
        public var regionRecords: Int
        public var status: String
        public var decidedBy: String?
        public var note: String?
        /// Counts by operation over the records that exist at the province: updates and deletes.
        public var summary: String
    }

    /// The held answer when the change set is (or was already) held; nil to apply it now.
    func hold(_ changeSet: ChangeSet, region: String, affected: Int, register: any RegisterTransaction) throws -> ChangeSetResult? {
        if let status = try register.heldChangeSet(changeSet.id)?.status {
            // Decided ones have their result in `changesets` and never reach here.
            return Self.answer(changeSet.id, "change set \(changeSet.id) is \(status) for the province's approval (mass-change guard)")
        }
        // Nothing that exists changes (new records only, as in a first upload): nothing to hold,
        // and the region's recent change sets are not summed.
        guard affected > 0 else { return nil }
        // A store wiped at once goes out in many change sets: what counts is what the region
        // changed within the window, this change set included.
        let since = Date(timeIntervalSinceNow: -window).formatted(.iso8601)
        // A push split into pieces says how much it changes in all (`pushChanges`), and names
        // itself (`push`): every piece is judged by that total with the region's other change
        // sets (its own earlier pieces are in the total already), and never by less than all of
        // the region's recent change sets with this one. (Older agents give no name.)
        let push = changeSet.pushChanges == nil ? nil : changeSet.push
        let (recent, others) = try register.recentlyAffected(region: region, since: since, push: push)
        let pushChanges = changeSet.pushChanges ?? 0
        let total = push == nil ? recent + max(affected, pushChanges) : max(recent + affected, others + pushChanges)
        guard total >= minChanges else { return nil }
        let regionRecords = try register.liveRecords(region: region)
        guard Double(total) > share * Double(regionRecords) else { return nil }
        try register.insertHeld(HeldChangeSet(id: changeSet.id, region: region, receivedAt: MergeService.now(), body: changeSet.encoded(),
                                              records: changeSet.records.count, affected: affected, regionRecords: regionRecords))
        let percent = Int((Double(total) / Double(max(regionRecords, 1)) * 100).rounded())
        return Self.answer(changeSet.id, "change set \(changeSet.id) changes or deletes \(plural(affected, "record")); with the last hour's changes that is \(total) of the region's \(regionRecords) records (\(percent) %, more than \(Int(share * 100)) %): held whole for the province's approval (mass-change guard)")
    }

    static func answer(_ id: String, _ message: String) -> ChangeSetResult {
        var result = ChangeSetResult(id: id, records: [])
        result.held = true
        result.message = message
        return result
    }

    public static func list(status: String?, database: ProvinceDatabase) async throws -> [Held] {
        try await database.read { register in
            try register.heldChangeSets(status: status).map { row in
                let changeSet = try ChangeSet.decode(Data(row.body))
                let updates = changeSet.records.filter { $0.op == .update }.count
                let deletes = changeSet.records.filter { $0.op == .delete }.count
                let fields = Dictionary(grouping: changeSet.records.flatMap { $0.sentFields.keys }, by: { $0 }).mapValues(\.count)
                    .sorted { $0.value > $1.value }.prefix(5).map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
                return Held(id: row.id, region: row.region, receivedAt: row.receivedAt, records: row.records, affected: row.affected,
                            regionRecords: row.regionRecords, status: row.status, decidedBy: row.decidedBy, note: row.note,
                            summary: "\(plural(updates, "update")), \(plural(deletes, "delete request")), \(changeSet.records.count - updates - deletes) new; most changed: \(fields.isEmpty ? "-" : fields)")
            }
        }
    }

    /// Approves (applies as sent, with the bureau's provenance) or refuses a held change set.
    public static func decide(_ id: String, approve: Bool, note: String?, by principal: Principal, merge: MergeService) async throws -> ChangeSetResult {
        guard principal.role == .reviewer else { throw ServiceError.forbidden("only the province's reviewers decide held change sets") }
        return try await merge.database.write { register in
            guard let row = try register.heldChangeSet(id) else { throw ServiceError.notFound("no held change set \(id)") }
            guard row.status == "held" else { throw ServiceError.conflict("change set \(id) was already \(row.status)") }
            let region = row.region
            let changeSet = try ChangeSet.decode(Data(row.body))
            let result: ChangeSetResult
            if approve {
                result = try merge.applyNow(changeSet, region: region, source: "region:\(region)", register: register, refuseForeignRecords: true)
            } else {
                let reason = "the province refused the whole change set (mass-change guard)" + (note.map { ": \($0)" } ?? "")
                result = ChangeSetResult(id: id, records: changeSet.records.map { RecordResult(uscc: $0.uscc, outcome: .rejected, reason: reason) })
                try MergeService.store(result, region: region, records: changeSet.records.count, at: MergeService.now(), register: register)
            }
            try register.decideHeld(id, status: approve ? "approved" : "refused", by: principal.source, at: MergeService.now(), note: note)
            return result
        }
    }
}
