import EnterpriseModel
import Foundation
import SyncCore

/// The province's merge: applies a bureau's change set field by field (compare-and-set) in one
/// transaction and exactly once, applies the province's own edits, and answers reads.
public struct MergeService: Sendable {
    public let database: ProvinceDatabase
    public let policy: FieldPolicy
    public let guardRule: MassChangeGuard
    /// How many change sets may be planned ahead of the writer at once (see `prepare`).
    let planning: PlanningSlots
    /// The change sets being merged here, for those sent after them to wait their turn (`ESync-After`).
    let turns = ChangeSetTurns()
    /// How long a change set sent after another waits for that one to arrive (`ChangeSetAfter`)…
    var predecessorWait: Duration = .seconds(ChangeSetAfter.waitSeconds)
    /// … and for this instance to merge it.
    var mergeWait: Duration = .seconds(ChangeSetAfter.mergeWaitSeconds)

    /// `plannedAhead`: how many change sets may be planned ahead of the writer at once, each
    /// holding the documents of the records it touches until its transaction ends. By default
    /// one a core (at least two, so that one is planned while another is written, a commit's
    /// `fsync` included): the one in the writer keeps its slot to its end, the others are
    /// planned on the other cores. One more than the cores left the writer waiting for a core
    /// (on two cores, the 18 × 1,000 ingest's merge transactions took 643–1,026 ms with three
    /// slots against 475–650 ms with two, the same wall time).
    public init(database: ProvinceDatabase, policy: FieldPolicy = .standard, guardRule: MassChangeGuard = MassChangeGuard(),
                plannedAhead: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)) {
        self.database = database
        self.policy = policy
        self.guardRule = guardRule
        planning = PlanningSlots(limit: plannedAhead)
    }

    // MARK: - Change sets

    /// Applies a change set from a bureau, or returns the stored result of an earlier delivery
    /// of the same id. Throws `.forbidden` (nothing applied) when a record is not the bureau's,
    /// and `.badSignature` or `.brokenChain` when the bureau's token has a signing key and the
    /// change set is not signed with it or does not follow the last one (see `ChangeSetChain`).
    /// `seal`: of the change set as received (default: as `changeSet` encodes).
    /// `answer`: with `hashes` or `shortHashes`, the agent rebuilds a record it can (its base with
    /// the sent fields in place) and checks it against `RecordResult.hash`, so such a record's
    /// document is left out of the answer (see `AnswerForm`).
    public func apply(_ changeSet: ChangeSet, seal: ChangeSetSeal? = nil, from principal: Principal,
                      answer: AnswerForm = .documents) async throws -> ChangeSetResult {
        try await applyTimed(changeSet, seal: seal, from: principal, answer: answer).result
    }

    /// `apply`, and how long its transaction ran, in time and in CPU time (the writer is the
    /// province's bottleneck: the metrics `esync_merge_duration_seconds` and
    /// `esync_merge_cpu_seconds` add these up).
    /// `before` runs in the same transaction, before the merge (the HTTP layer judges and
    /// remembers the store that pushed, there rather than after the merge: on PostgreSQL the
    /// end of a merge holds the province-wide rows): if it throws, it refuses it all.
    /// `planned`: how long planning it ahead took, outside the writer (zero when it was not, see
    /// `prepare`); `plannedAgain`: the records had moved since, and the writer planned it again.
    /// `after`: the change set of the same store this one was sent after, before its answer
    /// came (`ESync-After`): this one is planned once that one is, and written once the province
    /// has accepted it; `.outOfOrder` (nothing applied) when it refused it, or it has not come
    /// within `predecessorWait` (see `ChangeSetTurns`). `turn`: this change set's, when the
    /// caller registered it before its own checks (`turns.begin`); otherwise registered here.
    func applyTimed(_ changeSet: ChangeSet, seal: ChangeSetSeal? = nil, from principal: Principal, answer: AnswerForm = .documents,
                    after: String? = nil, turn given: ChangeSetTurns.Turn? = nil, before: (@Sendable (any RegisterTransaction) throws -> Void)? = nil) async throws
        -> (result: ChangeSetResult, transaction: Duration, cpu: Duration, planned: Duration, plannedAgain: Bool) {
        guard principal.role == .bureau, let region = principal.region else {
            throw ServiceError.forbidden("only a bureau's token may push change sets")
        }
        guard changeSet.region == region else {
            throw ServiceError.forbidden("change set \(changeSet.id) says region \(changeSet.region), but the credentials (token or client certificate) belong to region \(region)")
        }
        // Registered first (only the region's own bureau can): one sent after this one learns at
        // once if it is refused.
        let turn = given ?? turns.begin(ChangeSetTurns.key(changeSet.id, region: region))
        var accepted = false
        defer { turn?.finish(accepted: accepted) }
        guard changeSet.format == WireFormat.version else { throw ServiceError.unsupportedFormat(changeSet.format) }
        guard !changeSet.id.isEmpty, changeSet.id.count <= 100 else { throw ServiceError.badRequest("change set id must be 1 to 100 characters") }
        let seal = seal ?? ChangeSetSeal(changeSet)
        if let after { try await awaitTurn(of: after, region: region, until: .planned, for: changeSet.id) }
        // A slot from the plan to the end of the transaction: the plans waiting for the writer
        // are few however many bureaus push at once (a plan holds its records' documents).
        if changeSet.clock != nil { await planning.acquire() }
        defer { if changeSet.clock != nil { planning.release() } }
        let started = ContinuousClock.now
        let prepared = await prepare(changeSet, region: region, source: principal.source, answer: answer)
        let planned = prepared == nil ? .zero : ContinuousClock.now - started
        turn?.planned()
        if let after { try await awaitTurn(of: after, region: region, until: .accepted, for: changeSet.id) }
        let (applied, transaction, cpu) = try await database.writeTimed { register in
            try before?(register)
            return try applyInTransaction(changeSet, seal: seal, region: region, principal: principal, answer: answer, register: register,
                                          prepared: prepared)
        }
        let result = applied.result
        accepted = true
        // Freed here, not by the writer: thousands of documents take a while to free, and every
        // merge of the province waits for the writer.
        withExtendedLifetime(prepared) {}
        CrashPoint.reach("merge.committed")
        return (result, transaction, cpu, planned, prepared != nil && !applied.plannedAhead && !result.replayed && !result.held)
    }

    /// `ChangeSetMerge.plan` of a change set from the records it touches, edited at `clock`, now.
    private func plan(_ changeSet: ChangeSet, region: String, source: String, stored: [String: StoredRecord], clock: HybridTimestamp,
                      answer: AnswerForm, refuseForeignRecords: Bool = false, register: any RegisterTransaction) throws -> WritePlan {
        var context = WriteContext(source: source, changeSet: changeSet.id, at: Self.now(), clock: clock)
        context.answer = answer
        return try ChangeSetMerge.plan(changeSet, region: region, stored: stored, policy: policy, context: context,
                                       refuseForeignRecords: refuseForeignRecords, clocks: register.fieldClocks)
    }

    /// `plannedAhead`: whether the plan made ahead (`prepared`) is what was written.
    func applyInTransaction(_ changeSet: ChangeSet, seal: ChangeSetSeal, region: String, principal: Principal, answer: AnswerForm,
                            register: any RegisterTransaction, prepared: Prepared? = nil) throws -> (result: ChangeSetResult, plannedAhead: Bool) {
        let link = try ChangeSetChain.admit(changeSet, seal: seal, from: principal, register: register)
        if let stored = try register.appliedChangeSet(changeSet.id) {
            guard stored.region == region else { throw ServiceError.conflict("change set id \(changeSet.id) was used by another region") }
            var result = try ChangeSetResult.decode(Data(stored.result))
            result.replayed = true
            // Documents are not stored with the result: the record as it is now is what the
            // agent must merge (it may have moved on since). A record that has left the
            // region since is not the bureau's to read: no document, revision or hash (the
            // agent skips it, and its next pull brings the move).
            let rows = try register.recordsForMerge(result.records.filter { $0.outcome != .rejected }.map(\.uscc))
            for n in result.records.indices where result.records[n].outcome != .rejected {
                guard let row = rows[result.records[n].uscc] else { continue }
                let ours = row.region == region
                result.records[n].document = ours ? row.document : nil
                result.records[n].revision = ours ? row.revision : nil
                result.records[n].hash = ours ? row.hash : nil
            }
            // The clock's row after the records', in the order every writer takes them.
            result.clock = try ProvinceClock.current(register)
            return (result, false)
        }
        try register.notePush(region: region, at: Self.now(), changeSet: changeSet.id, records: changeSet.records.count, agent: changeSet.agent)
        if let link { try ChangeSetChain.record(link, at: Self.now(), register: register) }
        let codes = changeSet.records.map(\.uscc)
        let current = try prepared.map { try $0.isCurrent(in: register, codes: codes) ? $0 : nil } ?? nil
        // Planned again: `recordsForMerge` locks (on PostgreSQL) a record created since
        // `recordSequence` locked the others, out of credit-code order; a writer locking in order
        // that waits for one of ours may then deadlock with this one, which PostgreSQL detects and
        // `PostgresRegister` retries. Rare: the record must be created in between.
        let stored = try current?.stored ?? register.recordsForMerge(codes)
        if let held = try guardRule.hold(changeSet, region: region, affected: MassChangeGuard.affected(by: changeSet, stored: stored), register: register) {
            return (held, false)
        }
        return (try applyNow(changeSet, region: region, source: principal.source, stored: stored, plan: current?.plan, register: register, answer: answer),
                current != nil)
    }

    /// Applies a change set and stores its result under its id (inside the caller's transaction):
    /// loads the records it touches (unless given), merges them (`ChangeSetMerge.plan`) and
    /// writes the plan. `refuseForeignRecords`: a record that has left the region since (a held
    /// change set approved later) is refused alone instead of refusing the whole change set.
    /// `plan`: made ahead from `stored` (see `prepare`), for a change set with a clock of its own.
    func applyNow(_ changeSet: ChangeSet, region: String, source: String, stored: [String: StoredRecord]? = nil, plan planned: WritePlan? = nil,
                  register: any RegisterTransaction, refuseForeignRecords: Bool = false, answer: AnswerForm = .documents) throws -> ChangeSetResult {
        // The records first, then the clock, in the order every writer takes them (a held change
        // set approved on one instance and a push of one of its records on another, taking them
        // the other way round, would wait for each other). A change set with a clock is planned
        // without the province's clock (see `heard`); one without gets a tick now.
        var plan: WritePlan
        if let planned, changeSet.clock != nil {
            plan = planned
            // The time of the write, as a change set planned here gets (the plan does not read it).
            plan.context.at = Self.now()
        } else {
            let stored = try stored ?? register.recordsForMerge(changeSet.records.map(\.uscc))
            let clock = try changeSet.clock.map { ProvinceClock.heard($0) } ?? ProvinceClock.tick(register)
            plan = try self.plan(changeSet, region: region, source: source, stored: stored, clock: clock, answer: answer,
                                 refuseForeignRecords: refuseForeignRecords, register: register)
        }
        let context = plan.context, clock = context.clock
        // The result is kept under the change set's id, then the clock's row is taken just
        // before the change sequence's (which `write` takes last), in the order every other
        // writer takes them, so that two never wait for each other. From the clock's row to
        // the commit, every other merge of the province waits: nothing is done there that
        // can be done before (PostgreSQL's ingest of 18 change sets at once ran at the pace
        // of that stretch).
        var clockAfter: HybridTimestamp?
        let results = try register.write(plan) { results in
            try Self.store(ChangeSetResult(id: changeSet.id, records: results), region: region, records: changeSet.records.count,
                           affected: plan.affected, push: changeSet.push, at: context.at, register: register)
            if changeSet.clock != nil, let clock { clockAfter = try ProvinceClock.takeIn(clock, register) }
        }
        CrashPoint.reach("merge.written")
        var result = ChangeSetResult(id: changeSet.id, records: results)
        // Held since `takeIn`: as it stands.
        result.clock = try clockAfter ?? ProvinceClock.current(register)
        return result
    }

    /// Keeps a change set's result (without documents) under its id.
    static func store(_ result: ChangeSetResult, region: String, records: Int, affected: Int = 0, push: String? = nil, at: String,
                      register: any RegisterTransaction) throws {
        var stored = result
        for n in stored.records.indices { stored.records[n].document = nil }
        try register.insertAppliedChangeSet(id: result.id, region: region, receivedAt: at, records: records, result: stored.encoded(),
                                            affected: affected, push: push)
    }

    /// A field's clock: its own, or the latest of a parent set whole or of members set one by one.
    static func clock(of field: String, in clocks: [String: HybridTimestamp]) -> HybridTimestamp? {
        var found: [HybridTimestamp] = []
        var candidate = Substring(field)
        while true {
            if let clock = clocks[String(candidate)] { found.append(clock) }
            guard let dot = candidate.lastIndex(of: ".") else { break }
            candidate = candidate[..<dot]
        }
        found += clocks.filter { $0.key.hasPrefix(field + ".") }.map(\.value)
        return found.max() ?? clocks[StoredRecord.allFields]
    }

    // MARK: - Province edits

    /// Applies a province edit (reviewer or editor) to single fields, with provenance.
    public func patch(_ uscc: String, _ patch: RecordPatch, by principal: Principal) async throws -> RecordView {
        guard principal.isProvince else { throw ServiceError.forbidden("only the province's reviewers and editors may edit records directly") }
        do { try patch.checkLimits() } catch { throw ServiceError.badRequest("record \(uscc): \(error)") }
        if patch.set["region"] != nil || patch.remove?.contains("region") == true {
            throw ServiceError.conflict("region is changed by an approved transfer, not by an edit")
        }
        return try await database.write { register in
            guard let row = try register.record(uscc), !row.deleted else { throw ServiceError.notFound("no record \(uscc)") }
            if let expected = patch.expectedRevision, expected != row.revision {
                throw ServiceError.conflict("record \(uscc) is at revision \(row.revision), not \(expected)")
            }
            var document = row.document
            for path in patch.remove ?? [] { FieldPath.set(&document, path: path, to: nil) }
            for path in patch.set.keys.sorted() { FieldPath.set(&document, path: path, to: patch.set[path]) }
            let errors = RecordValidator.issues(in: document).filter { $0.severity == .error }
            if !errors.isEmpty {
                throw ServiceError.invalidRecord(uscc: uscc, reason: errors.map(\.description).joined(separator: "; "))
            }
            guard document["uscc"]?.stringValue == uscc else { throw ServiceError.invalidRecord(uscc: uscc, reason: "field uscc must stay \(uscc)") }
            let changed = RecordDiff.fields(from: row.document, to: document).keys.sorted()
            if !changed.isEmpty {
                let context = WriteContext(source: principal.source, changeSet: "edit-" + UUID().uuidString.lowercased(), at: Self.now(),
                                           clock: try ProvinceClock.tick(register))
                try register.write([WritePlan.Revision(kind: .update, uscc: uscc, region: row.region, previous: row, document: document, changedFields: changed)],
                                   context: context)
            }
            guard let view = try Self.view(uscc, register: register) else { throw ServiceError.notFound("no record \(uscc)") }
            return view
        }
    }

    // MARK: - Reads

    public func record(_ uscc: String, for principal: Principal) async throws -> RecordView {
        try await database.read { register in
            guard let view = try Self.view(uscc, register: register) else { throw ServiceError.notFound("no record \(uscc)") }
            if principal.role == .bureau, view.region != principal.region {
                throw ServiceError.forbidden("record \(uscc) belongs to region \(view.region); the bureau of \(principal.region ?? "?") may not read it")
            }
            return view
        }
    }

    static func view(_ uscc: String, register: any RegisterTransaction) throws -> RecordView? {
        guard let row = try register.record(uscc) else { return nil }
        var provenance = try register.provenance(of: uscc)
        // The creation's row stands for every field not written since.
        if let created = provenance.removeValue(forKey: StoredRecord.allFields) {
            let written = Array(provenance.keys)
            for field in FieldPath.flatten(row.document).keys where provenance[field] == nil {
                // (Not a member of an object written whole since, nor an object whose members were.)
                if written.contains(where: { field.hasPrefix($0 + ".") || $0.hasPrefix(field + ".") }) { continue }
                provenance[field] = created
            }
        }
        return RecordView(uscc: uscc, region: row.region, revision: row.revision, seq: row.seq, deleted: row.deleted,
                          document: row.document, provenance: provenance)
    }

    /// The records of `region` changed after `cursor`, oldest first.
    /// `requester`: the caller's provenance source; the documents of revisions it wrote itself
    /// are left out (`echo`, with their hash unless `echoHashes` is false), so a bureau does not
    /// download its own push again; with `leavingOutEchoes`, so are those rows themselves (not a
    /// tombstone), the cursor moving past them (`EchoForm.none`).
    public func changes(region: String, since cursor: Int64, limit: Int, requester: String? = nil,
                        echoHashes: Bool = true, leavingOutEchoes: Bool = false) async throws -> ChangePage {
        let leavingOut = leavingOutEchoes && requester != nil
        return try await database.read { register in
            // The region's records, and tombstones naming the new owner of those that moved away.
            let rows = try register.changes(region: region, after: cursor, limit: limit + 1, requester: requester, leavingOutEchoes: leavingOut)
            var records: [ChangedRecord] = []
            records.reserveCapacity(min(rows.count, limit))
            for row in rows.prefix(limit) {
                let echo = row.echo && !row.deleted
                let document: JSONValue? = row.deleted || row.movedTo != nil || echo ? nil : try row.document.map { try StoredRecord.decode($0, uscc: row.uscc) }
                var record = ChangedRecord(uscc: row.uscc, revision: row.revision, seq: row.seq, document: document, deleted: row.deleted, movedTo: row.movedTo)
                record.hash = echo && !echoHashes ? nil : row.hash
                record.echo = echo
                records.append(record)
            }
            var page = ChangePage(cursor: records.last?.seq ?? cursor, more: rows.count > limit, records: records)
            // Echoes left out after the last row sent: the cursor moves past them too.
            if leavingOut && !page.more { page.cursor = max(page.cursor, try register.lastChangeSeq(region: region)) }
            page.clock = try ProvinceClock.current(register)
            return page
        }
    }

    static func now() -> String { Date().formatted(.iso8601) }
}

/// One revision of a record as `records history` shows it: what it changed and the document
/// after it.
public struct RecordRevision: Sendable, Codable, Equatable {
    public struct Change: Sendable, Codable, Equatable {
        /// Absent when the field was absent before (or after).
        public var from: JSONValue?
        public var to: JSONValue?
    }
    public var revision: Int64
    public var seq: Int64
    public var at: String
    public var source: String
    public var changeSet: String
    /// `create`, `update` or `delete`.
    public var op: String
    /// Field path → its value before and after (`update`); empty for `create` and `delete`.
    public var changes: [String: Change]
    /// The record after this revision.
    public var document: JSONValue?
    public var deleted: Bool
}

extension MergeService {
    /// A record's revisions, oldest first, each with the document after it (rebuilt from the
    /// history's changes). A bureau reads the history of its own region's records only.
    public func history(_ uscc: String, for principal: Principal) async throws -> [RecordRevision] {
        try await database.read { register in
            guard let row = try register.record(uscc) else { throw ServiceError.notFound("no record \(uscc)") }
            if principal.role == .bureau, row.region != principal.region {
                throw ServiceError.forbidden("record \(uscc) belongs to region \(row.region); the bureau of \(principal.region ?? "?") may not read it")
            }
            return HistoryEntry.replay(try register.history(of: uscc)).map { entry, document, deleted in
                var changes: [String: RecordRevision.Change] = [:]
                if case .updated(let list) = entry.changes {
                    for change in list { changes[change.field] = RecordRevision.Change(from: change.from, to: change.to) }
                }
                return RecordRevision(revision: entry.revision, seq: entry.seq, at: entry.at, source: entry.source, changeSet: entry.changeSet,
                                      op: entry.changes.op, changes: changes, document: document, deleted: deleted)
            }
        }
    }
}
