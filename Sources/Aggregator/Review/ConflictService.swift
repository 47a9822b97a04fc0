import EnterpriseModel
import Foundation
import SyncCore

/// The province's review queue: list, show and decide conflicts. Every decision is kept on the
/// conflict (who, when, what, why) and makes a new revision of the record, so that the owning
/// bureau learns it on its next pull.
public struct ConflictService: Sendable {
    public let database: ProvinceDatabase

    public init(database: ProvinceDatabase) { self.database = database }

    public struct Filter: Sendable {
        public var status: String? = "open"
        public var region: String?
        public var field: String?
        public var kind: String?
        public var uscc: String?
        /// Only conflicts raised before this time (ISO 8601, as `createdAt`).
        public var createdBefore: String?
        public var limit = 1000

        public init(status: String? = "open", region: String? = nil, field: String? = nil, kind: String? = nil, uscc: String? = nil,
                    createdBefore: String? = nil, limit: Int = 1000) {
            self.status = status
            self.region = region
            self.field = field
            self.kind = kind
            self.uscc = uscc
            self.createdBefore = createdBefore
            self.limit = limit
        }

        /// What `status` may be (`all`: any status).
        public static let statuses = ["open", "resolved", "auto", "withdrawn", "all"]
        /// What a conflict is about: a field both sides changed, a field of the province's, a
        /// delete request, a move between regions.
        public static let kinds = ["field", "authority", "delete", "transfer", "recovered"]

        /// The filters of `GET /v1/conflicts` as the command line checks them: a status, kind or
        /// region that is none of the known ones is refused (a typo would list an empty queue).
        public static func checked(status: String, kind: String?, region: String?) throws(ServiceError) -> (status: String, kind: String?, region: String?) {
            guard statuses.contains(status) else {
                throw ServiceError.badRequest("status must be one of \(statuses.joined(separator: ", ")), found \(WireLimits.quoted(status))")
            }
            if let kind, !kinds.contains(kind) {
                throw ServiceError.badRequest("kind must be one of \(kinds.joined(separator: ", ")), found \(WireLimits.quoted(kind))")
            }
            if let region, Regions.region(code: region) == nil {
                throw ServiceError.badRequest("region must be one of the 18 region codes, found \(WireLimits.quoted(region))")
            }
            return (status, kind, region)
        }

        /// The most conflicts one request of `GET /v1/conflicts` lists.
        public static let maximumLimit = 5_000
        /// The oldest an "older than" age may reach back: 100 years (a calendar can show it).
        public static let maximumAgeSeconds = 100 * 366 * 86_400.0

        /// `limit` of `GET /v1/conflicts`: 1 to `maximumLimit` (default 1000).
        public static func limit(_ text: String?) throws(ServiceError) -> Int {
            guard let text else { return 1000 }
            guard let limit = Int(text), (1...maximumLimit).contains(limit) else {
                throw ServiceError.badRequest("limit must be an integer from 1 to \(maximumLimit), found \(WireLimits.quoted(text))")
            }
            return limit
        }

        /// The cutoff for "older than AGE": `90m`, `12h`, `7d`, `2w` (a plain number is seconds),
        /// at most 100 years.
        public static func createdBefore(age: String, now: Date = Date()) throws(ServiceError) -> String {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
            let text = age.trimmingCharacters(in: .whitespaces)
            let unit = text.last.flatMap { units[$0] }
            guard let amount = Double(unit == nil ? text : String(text.dropLast())), amount >= 0, amount.isFinite else {
                throw ServiceError.badRequest("age \(WireLimits.quoted(age)): expected a number and a unit, e.g. 90m, 12h, 7d or 2w")
            }
            let seconds = amount * (unit ?? 1)
            guard seconds <= maximumAgeSeconds else { throw ServiceError.badRequest("age \(WireLimits.quoted(age)) reaches back more than 100 years") }
            return now.addingTimeInterval(-seconds).formatted(.iso8601)
        }
    }

    /// The review queue is the province's: a bureau learns about its own conflicts one by one
    /// (`show`, which its agent asks on each pull), never the queue.
    public func list(_ filter: Filter, for principal: Principal) async throws -> [ConflictView] {
        guard principal.role == .reviewer else {
            throw ServiceError.forbidden("the review queue is for the province's reviewers; a bureau sees its own conflicts in `esync-agent status`")
        }
        let query = ConflictQuery(status: filter.status, region: filter.region, field: filter.field, kind: filter.kind, uscc: filter.uscc,
                                  createdBefore: filter.createdBefore, limit: filter.limit)
        return try await database.read { register in try register.conflicts(query) }
    }

    public func show(_ id: Int64, for principal: Principal) async throws -> ConflictView {
        let view = try await database.read { register in try Self.fetch(id, register: register) }
        if principal.role == .bureau, view.region != principal.region {
            throw ServiceError.forbidden("conflict \(id) belongs to region \(view.region)")
        }
        return view
    }

    /// Decides a conflict: the record gets a new revision carrying the decision.
    public func resolve(_ id: Int64, _ resolution: Resolution, by principal: Principal) async throws -> ConflictView {
        guard principal.role == .reviewer else { throw ServiceError.forbidden("only the province's reviewers decide conflicts") }
        return try await database.write { register in
            let conflict = try Self.fetch(id, register: register)
            guard conflict.isOpen else {
                throw ServiceError.conflict("conflict \(id) was already decided (\(conflict.decision?.rawValue ?? "?") by \(conflict.resolvedBy ?? "?"))")
            }
            guard let row = try register.record(conflict.uscc) else { throw ServiceError.notFound("no record \(conflict.uscc)") }
            guard !row.deleted else {
                throw ServiceError.conflict("record \(conflict.uscc) was deleted (approved delete request); conflict \(id) can no longer change it")
            }
            let context = WriteContext(source: principal.source, changeSet: "decision-\(id)", at: MergeService.now(),
                                                    clock: try ProvinceClock.tick(register))
            // A re-opened rule decision that gave the bureau's value: keeping "current" means
            // restoring the value the province had then.
            let reopenedFrom = try register.conflictReopenedFrom(id: id)
            let revision: Int64
            switch (conflict.kind, resolution.decision) {
            case ("delete", .takeIncoming):
                revision = try register.write([WritePlan.Revision(kind: .delete, uscc: row.uscc, region: row.region, previous: row, document: row.document,
                                                                   changedFields: [])], context: context)[0].revision
                // The record is gone: its other open conflicts have nothing left to decide.
                try register.resolveOpenConflicts(uscc: row.uscc, except: id, note: "record deleted (conflict \(id))", by: principal.source,
                                                  at: context.at, revision: revision)
            case ("delete", .value):
                throw ServiceError.badRequest("a delete request is decided with keep-current or take-incoming")
            case ("transfer", .takeIncoming), ("transfer", .value):
                // The record moves with the bureau's whole request (its new county and the rest).
                guard let target = (resolution.decision == .value ? resolution.value : conflict.incoming)?.stringValue,
                      Regions.region(code: target) != nil else {
                    throw ServiceError.badRequest("a transfer moves the record to one of the 18 regions; give --value 410700")
                }
                var document = row.document
                if let text = try register.conflictRequest(id: id),
                   case .object(let request) = try StoredRecord.decode(text, uscc: row.uscc) {
                    let fields = try request.dictionary.mapValues { value throws -> FieldChange in
                        do { return try FieldChange(json: value, path: "request") } catch { throw ServiceError.internalError("stored transfer request of conflict \(id): \(error)") }
                    }
                    document = RecordDiff.apply(fields, to: document)
                }
                FieldPath.set(&document, path: "region", to: .string(target))
                let errors = RecordValidator.issues(in: document).filter { $0.severity == .error }
                if !errors.isEmpty {
                    throw ServiceError.invalidRecord(uscc: conflict.uscc, reason: errors.map(\.description).joined(separator: "; ") + " (fix the request or decide with --value)")
                }
                let changed = RecordDiff.fields(from: row.document, to: document).keys.sorted()
                let moved = try register.write([WritePlan.Revision(kind: .update, uscc: row.uscc, region: target, previous: row, document: document,
                                                                   changedFields: changed)], context: context)[0]
                revision = moved.revision
                try register.insertMove(uscc: row.uscc, from: row.region, to: target, seq: moved.seq, revision: revision, at: context.at, conflict: id)
            default:
                var document = row.document
                // A decision about old values must not overwrite a newer one set since.
                let now = FieldPath.flatten(row.document)[conflict.field]
                let stands = reopenedFrom == ConflictView.Decision.takeIncoming.rawValue ? conflict.incoming : conflict.current
                if conflict.kind != "delete", conflict.kind != "transfer", resolution.decision != .value, now != stands {
                    throw ServiceError.conflict("\(conflict.field) of \(conflict.uscc) is now \(now?.canonicalString ?? "absent"), set after conflict \(id) was raised; decide with --value, or look at the record's history first")
                }
                switch resolution.decision {
                case .keepCurrent:
                    if reopenedFrom == ConflictView.Decision.takeIncoming.rawValue { FieldPath.set(&document, path: conflict.field, to: conflict.current) }
                case .takeIncoming: FieldPath.set(&document, path: conflict.field, to: conflict.incoming)
                case .value: FieldPath.set(&document, path: conflict.field, to: resolution.value)
                }
                let errors = RecordValidator.issues(in: document).filter { $0.severity == .error }
                if !errors.isEmpty {
                    throw ServiceError.invalidRecord(uscc: conflict.uscc, reason: errors.map(\.description).joined(separator: "; "))
                }
                // Even "keep current" makes a revision: the bureau must learn the decision.
                let changed = RecordDiff.fields(from: row.document, to: document).keys.sorted()
                revision = try register.write([WritePlan.Revision(kind: .update, uscc: row.uscc, region: row.region, previous: row, document: document,
                                                                   changedFields: changed)], context: context)[0].revision
            }
            try register.resolveConflict(id: id, decision: resolution.decision.rawValue, value: resolution.value?.canonicalString, note: resolution.note,
                                         by: principal.source, at: context.at, revision: revision)
            return try Self.fetch(id, register: register)
        }
    }

    /// Re-opens a decision a rule made, for a reviewer to decide.
    public func reopen(_ id: Int64, by principal: Principal) async throws -> ConflictView {
        guard principal.role == .reviewer else { throw ServiceError.forbidden("only the province's reviewers re-open decisions") }
        return try await database.write { register in
            let conflict = try Self.fetch(id, register: register)
            guard conflict.status == "auto" else { throw ServiceError.conflict("conflict \(id) is \(conflict.status); only automatic decisions are re-opened") }
            try register.reopenConflict(id: id, by: principal.source)
            return try Self.fetch(id, register: register)
        }
    }

    static func fetch(_ id: Int64, register: any RegisterTransaction) throws -> ConflictView {
        guard let view = try register.conflict(id: id) else { throw ServiceError.notFound("no conflict \(id)") }
        return view
    }
}
