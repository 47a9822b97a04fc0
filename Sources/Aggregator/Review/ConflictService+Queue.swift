import EnterpriseModel
import Foundation
import SyncCore

/// What the review pages need beyond `list`, `show` and `resolve`: the queue with its counts,
/// a page at a time; each field's history; and one decision applied to many conflicts.
extension ConflictService {
    /// A page of the queue, filtered like `list`, plus an age filter, with the total it was cut from.
    public struct QueueQuery: Sendable, Equatable {
        public var status: String? = "open"
        public var region: String?
        public var field: String?
        public var kind: String?
        /// Only conflicts raised at least this many days ago.
        public var minAgeDays: Int?
        public var offset = 0
        public var limit = 50

        public init(status: String? = "open", region: String? = nil, field: String? = nil, kind: String? = nil,
                    minAgeDays: Int? = nil, offset: Int = 0, limit: Int = 50) {
            self.status = status
            self.region = region
            self.field = field
            self.kind = kind
            self.minAgeDays = minAgeDays
            self.offset = offset
            self.limit = limit
        }
    }

    public struct QueueEntry: Sendable {
        public var conflict: ConflictView
        /// The enterprise's name as the province holds it now (nil for a record it does not have).
        public var enterpriseName: String?
    }

    public struct QueuePage: Sendable {
        public var entries: [QueueEntry]
        /// How many conflicts match the filters, across all pages.
        public var total: Int
    }

    /// Open conflicts counted three ways, for the queue's overview and its filter choices.
    public struct OpenCounts: Sendable, Equatable {
        public var byRegion: [String: Int] = [:]
        public var byKind: [String: Int] = [:]
        public var byField: [String: Int] = [:]
        public var total = 0
    }

    public func queue(_ query: QueueQuery, for principal: Principal, now: Date = Date()) async throws -> QueuePage {
        try Self.requireReviewer(principal)
        let cutoff = query.minAgeDays.flatMap { $0 > 0 ? now.addingTimeInterval(-Double($0) * 86_400).formatted(.iso8601) : nil }
        let filter = ConflictQuery(status: query.status, region: query.region, field: query.field, kind: query.kind, createdAtMost: cutoff,
                                   offset: max(0, query.offset), limit: max(1, query.limit))
        return try await database.read { register in
            let total = try register.conflictCount(filter)
            let conflicts = try register.conflicts(filter)
            let names = try register.enterpriseNames(conflicts.map(\.uscc))
            return QueuePage(entries: conflicts.map { QueueEntry(conflict: $0, enterpriseName: names[$0.uscc]) }, total: total)
        }
    }

    /// The enterprises' names as the province holds them now, by credit code (none for a
    /// record it does not have): `conflicts list` names each enterprise, as the queue page does.
    public func enterpriseNames(_ usccs: [String], for principal: Principal) async throws -> [String: String] {
        try Self.requireReviewer(principal)
        return try await database.read { register in try register.enterpriseNames(usccs) }
    }

    public func openCounts(for principal: Principal) async throws -> OpenCounts {
        try Self.requireReviewer(principal)
        return try await database.read { register in
            var counts = OpenCounts()
            for (region, kind, field, n) in try register.openConflictCounts() {
                counts.byRegion[region, default: 0] += n
                counts.byKind[kind, default: 0] += n
                counts.byField[field, default: 0] += n
                counts.total += n
            }
            return counts
        }
    }

    /// One revision of a record as seen from one field: its value then, and whether that
    /// revision changed it.
    public struct FieldRevision: Sendable {
        public var revision: Int64
        public var at: String
        public var source: String
        public var changeSet: String
        /// The field's value in that revision; nil: absent (or, for a whole-record conflict, the
        /// record was deleted by that revision).
        public var value: JSONValue?
        public var changed: Bool
        /// The fields this revision changed (for a whole-record conflict, field "*").
        public var fields: [String]
    }

    /// Every revision of the record that set `field` (the first one always), oldest first.
    /// For `*` (a delete request) every revision, with the fields it changed.
    public func fieldHistory(uscc: String, field: String, for principal: Principal) async throws -> [FieldRevision] {
        try Self.requireReviewer(principal)
        return try await database.read { register in
            var result: [FieldRevision] = []
            var previous: JSONValue??
            for (entry, document, _) in HistoryEntry.replay(try register.history(of: uscc)) {
                let value = field == "*" ? nil : document.flatMap { FieldPath.value(at: field, in: $0) }
                let changed = field == "*" || previous == nil || previous! != value
                previous = .some(value)
                if changed {
                    result.append(FieldRevision(revision: entry.revision, at: entry.at, source: entry.source, changeSet: entry.changeSet,
                                                value: value, changed: changed, fields: entry.changes.fields))
                }
            }
            return result
        }
    }

    /// What became of one conflict of a bulk decision.
    public struct BulkOutcome: Sendable {
        public var id: Int64
        public var decided: ConflictView?
        /// Why it was not decided (already decided, a newer value since, not found …).
        public var failure: String?
    }

    /// The same decision for each conflict, each in its own transaction: one that cannot be
    /// decided (decided meanwhile, a newer value set since) is reported and the others go on.
    public func resolveEach(_ ids: [Int64], _ resolution: Resolution, by principal: Principal) async throws -> [BulkOutcome] {
        try Self.requireReviewer(principal)
        var outcomes: [BulkOutcome] = []
        for id in ids {
            do {
                outcomes.append(BulkOutcome(id: id, decided: try await resolve(id, resolution, by: principal)))
            } catch let error as ServiceError {
                outcomes.append(BulkOutcome(id: id, failure: error.description))
            }
        }
        return outcomes
    }

    static func requireReviewer(_ principal: Principal) throws {
        guard principal.role == .reviewer else { throw ServiceError.forbidden("only the province's reviewers use the review queue") }
    }
}
