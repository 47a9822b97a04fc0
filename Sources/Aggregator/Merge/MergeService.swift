import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// The province's merge: applies a bureau's change set field by field (compare-and-set) in one
/// transaction and exactly once, applies the province's own edits, and answers reads.
public struct MergeService: Sendable {
    public let database: ProvinceDatabase
    public let policy: FieldPolicy
    public let guardRule: MassChangeGuard

    public init(database: ProvinceDatabase, policy: FieldPolicy = .standard, guardRule: MassChangeGuard = MassChangeGuard()) {
        self.database = database
        self.policy = policy
        self.guardRule = guardRule
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
        guard changeSet.format == WireFormat.version else { throw ServiceError.unsupportedFormat(changeSet.format) }
        guard principal.role == .bureau, let region = principal.region else {
            throw ServiceError.forbidden("only a bureau's token may push change sets")
        }
        guard changeSet.region == region else {
            throw ServiceError.forbidden("change set \(changeSet.id) says region \(changeSet.region), but the credentials (token or client certificate) belong to region \(region)")
        }
        guard !changeSet.id.isEmpty, changeSet.id.count <= 100 else { throw ServiceError.badRequest("change set id must be 1 to 100 characters") }
        let seal = seal ?? ChangeSetSeal(changeSet)
        let result = try await database.pool.write { db in
            let link = try ChangeSetChain.admit(changeSet, seal: seal, from: principal, db: db)
            if let stored = try Row.fetchOne(db, sql: "SELECT region, result FROM changesets WHERE id = ?", arguments: [changeSet.id]) {
                guard stored["region"] as String == region else {
                    throw ServiceError.conflict("change set id \(changeSet.id) was used by another region")
                }
                var result = try ChangeSetResult.decode(stored["result"] as Data)
                result.replayed = true
                result.clock = try ProvinceClock.current(db)
                // Documents are not stored with the result: the record as it is now is what the
                // agent must merge (it may have moved on since). A record that has left the
                // region since is not the bureau's to read: no document, revision or hash (the
                // agent skips it, and its next pull brings the move).
                for n in result.records.indices where result.records[n].outcome != .rejected {
                    guard let row = try StoredRecord.fetch(result.records[n].uscc, db: db) else { continue }
                    let ours = row.region == region
                    result.records[n].document = ours ? row.document : nil
                    result.records[n].revision = ours ? row.revision : nil
                    result.records[n].hash = ours ? row.hash : nil
                }
                return result
            }
            try RegionActivity.notePush(changeSet, region: region, db: db)
            if let link { try ChangeSetChain.record(link, at: Self.now(), db: db) }
            if let held = try guardRule.hold(changeSet, region: region, db: db) { return held }
            return try applyNow(changeSet, region: region, source: principal.source, db: db, answer: answer)
        }
        CrashPoint.reach("merge.committed")
        return result
    }

    /// Applies a change set and stores its result under its id (inside the caller's transaction).
    /// `refuseForeignRecords`: a record that has left the region since (a held change set
    /// approved later) is refused alone instead of refusing the whole change set.
    func applyNow(_ changeSet: ChangeSet, region: String, source: String, db: Database, refuseForeignRecords: Bool = false,
                  answer: AnswerForm = .documents) throws -> ChangeSetResult {
        var context = WriteContext(source: source, changeSet: changeSet.id, at: Self.now(), clock: try ProvinceClock.receive(changeSet.clock, db))
        context.answer = answer
        let affected = try MassChangeGuard.affected(by: changeSet, db: db)
        var results: [RecordResult] = []
        results.reserveCapacity(changeSet.records.count)
        for change in changeSet.records {
            do {
                // A record refused whole leaves nothing behind: not the automatic decisions or
                // parked fields met on the way to its validation.
                var result: RecordResult?
                try db.inSavepoint {
                    result = try applyRecord(change, region: region, context: context, db: db)
                    return result?.outcome == .rejected ? .rollback : .commit
                }
                if let result { results.append(result) }
                CrashPoint.reach("merge.record")
            } catch ServiceError.forbidden(let message) where refuseForeignRecords {
                results.append(RecordResult(uscc: change.uscc, outcome: .rejected, reason: message))
            }
        }
        var result = ChangeSetResult(id: changeSet.id, records: results)
        try Self.store(result, region: region, records: changeSet.records.count, affected: affected, push: changeSet.push, at: context.at, db: db)
        result.clock = try ProvinceClock.current(db)
        return result
    }

    static func store(_ result: ChangeSetResult, region: String, records: Int, affected: Int = 0, push: String? = nil, at: String, db: Database) throws {
        var stored = result
        for n in stored.records.indices { stored.records[n].document = nil }
        try db.cachedStatement(sql: "INSERT INTO changesets (id, region, received_at, records, result, affected, push) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [result.id, region, at, records, Data(stored.encoded()), affected, push])
    }

    struct WriteContext {
        var source: String
        var changeSet: String
        var at: String
        /// The edit time kept with each field written (the `latest` rule compares it).
        var clock: HybridTimestamp?
        /// Whether the answer leaves out documents the agent can rebuild (see `apply`).
        var answer = AnswerForm.documents
    }

    func applyRecord(_ change: RecordChange, region: String, context: WriteContext, db: Database) throws -> RecordResult {
        let uscc = change.uscc
        do {
            let code = try USCC(uscc)
            guard code.rawValue == uscc else {
                return RecordResult(uscc: uscc, outcome: .rejected, reason: "credit code must be sent in canonical form \(code.rawValue)")
            }
        } catch {
            return RecordResult(uscc: uscc, outcome: .rejected, reason: "\(error)")
        }
        let row = try StoredRecord.fetch(uscc, db: db)
        if let row, row.region != region, change.op == .create {
            // Two regions registering one code: the existing owner keeps it, the newcomer learns
            // why, and the rest of its change set goes through.
            return RecordResult(uscc: uscc, outcome: .rejected,
                                reason: "credit code \(uscc) is already registered at the province by region \(row.region) (\(Regions.region(code: row.region)?.name ?? "?")); the existing owner keeps it — ask the province if the enterprise moved")
        }
        if let row, row.region != region {
            throw ServiceError.forbidden("record \(uscc) belongs to region \(row.region) (\(Regions.region(code: row.region)?.name ?? "?")); the bureau of \(region) may not change it")
        }
        switch change.op {
        case .delete:
            guard let row, !row.deleted else {
                return RecordResult(uscc: uscc, outcome: .rejected, reason: "the province has no record \(uscc) to delete")
            }
            let id = try ConflictQueue.park(uscc: uscc, region: row.region, field: "*", kind: "delete",
                                            expected: change.expectedHash.map(JSONValue.string), current: .string(row.hash), incoming: nil,
                                            context: context, db: db)
            return RecordResult(uscc: uscc, outcome: .deleteRequested, revision: row.revision, document: row.document,
                                conflicts: [ConflictRef(field: "*", conflictId: id)])
        case .create, .update:
            if row == nil {
                let named = change.fields["region"]?.value?.stringValue
                guard named == region else {
                    throw ServiceError.forbidden("new record \(uscc) names region \(named ?? "none"); the bureau of \(region) may only create records of its own region")
                }
                if change.op == .update {
                    return RecordResult(uscc: uscc, outcome: .rejected, reason: "the province has no record \(uscc) to update; send it as a new record")
                }
            }
            var fields = change.fields
            var conflicts: [ConflictRef] = []
            if let row, let move = fields["region"], move.value != .string(row.region) {
                // A move between regions is a transfer the province approves, never a field edit:
                // the whole record change waits with it (a new county belongs to the new region).
                let id = try ConflictQueue.park(uscc: uscc, region: row.region, field: "region", kind: "transfer",
                                                expected: move.expected, current: .string(row.region), incoming: move.value,
                                                context: context, db: db)
                let request = JSONValue.object(fields.mapValues(\.json)).canonicalString
                try db.execute(sql: "UPDATE conflicts SET request = ? WHERE id = ?", arguments: [request, id])
                return RecordResult(uscc: uscc, outcome: .conflict, revision: row.revision, document: row.document,
                                    conflicts: [ConflictRef(field: "region", conflictId: id)])
            }
            // A bureau's change of a province field is not applied; the province's value stands
            // and the attempt is kept as an automatic decision (null and absent count as equal,
            // so a bureau record that merely says "srdi": null is no attempt).
            // A new record brings its designations as they stand (the province has none to
            // protect yet); from then on only the province changes them.
            let currentLeaves = row.map { FieldPath.flatten($0.document) } ?? [:]
            for path in fields.keys.sorted() where row != nil && path != "region" && policy.rule(for: path).authority == .province {
                let change = fields[path]!
                fields[path] = nil
                guard (currentLeaves[path] ?? .null) != (change.value ?? .null) else { continue }
                let id = try ConflictQueue.record(uscc: uscc, region: row?.region ?? region, field: path, kind: "authority",
                                                  expected: change.expected, current: currentLeaves[path], incoming: change.value,
                                                  decision: .keepCurrent, rule: "authority: province (\(path) is the province's field)",
                                                  context: context, db: db)
                conflicts.append(ConflictRef(field: path, conflictId: id))
            }
            // A state that only moves forward (status) moving backwards waits for a reviewer, even
            // when nobody else changed it: reopening a closed enterprise is a decision.
            for path in fields.keys.sorted() where row != nil {
                let change = fields[path]!
                guard let merge = policy.rule(for: path).merge, currentLeaves[path] == change.expected,
                      merge.movesBackwards(from: change.expected, to: change.value) else { continue }
                fields[path] = nil
                let id = try ConflictQueue.park(uscc: uscc, region: row?.region ?? region, field: path, kind: "field",
                                                expected: change.expected, current: currentLeaves[path], incoming: change.value,
                                                context: context, db: db)
                conflicts.append(ConflictRef(field: path, conflictId: id))
            }
            var fieldClocks: [String: HybridTimestamp]?
            let outcome = CompareAndSet.merge(current: row?.document, fields: fields) { conflict in
                if fieldClocks == nil { fieldClocks = (try? Self.fieldClocks(uscc, db: db)) ?? [:] }
                return policy.decide(conflict.field, expected: conflict.expected, current: conflict.current, incoming: conflict.incoming,
                                     incomingTime: context.clock, currentTime: Self.clock(of: conflict.field, in: fieldClocks!))
            }
            for (conflict, decision) in outcome.decided {
                let kept: (ConflictView.Decision, JSONValue?)
                switch decision {
                case .review: continue
                case .keepCurrent: kept = (.keepCurrent, nil)
                case .takeIncoming: kept = (.takeIncoming, nil)
                case .value(let combined, _): kept = (.value, combined)
                }
                let id = try ConflictQueue.record(uscc: uscc, region: row?.region ?? region, field: conflict.field, kind: "field",
                                                  expected: conflict.expected, current: conflict.current, incoming: conflict.incoming,
                                                  decision: kept.0, value: kept.1, rule: decision.rule ?? "", context: context, db: db)
                // The bureau must learn that the province's value stood; a value that was applied
                // (the bureau's or a combined one) comes back in the merged document.
                if case .keepCurrent = decision { conflicts.append(ConflictRef(field: conflict.field, conflictId: id)) }
            }
            var document = row?.document
            var revision = row?.revision
            var hash = row?.hash
            if outcome.changedDocument {
                let errors = RecordValidator.issues(in: outcome.document).filter { $0.severity == .error }
                if !errors.isEmpty {
                    return RecordResult(uscc: uscc, outcome: .rejected, revision: row?.revision, document: row?.document,
                                        reason: errors.map(\.description).joined(separator: "; "))
                }
                guard outcome.document["uscc"]?.stringValue == uscc else {
                    return RecordResult(uscc: uscc, outcome: .rejected, reason: "field uscc must stay \(uscc)")
                }
                (revision, hash) = try StoredRecord.writeRevision(uscc: uscc, region: row?.region ?? region, previous: row, document: outcome.document,
                                                                  changedFields: outcome.applied, context: context, db: db)
                document = outcome.document
            }
            for conflict in outcome.conflicts {
                let id = try ConflictQueue.park(uscc: uscc, region: row?.region ?? region, field: conflict.field, kind: "field",
                                                expected: conflict.expected, current: conflict.current, incoming: conflict.incoming,
                                                context: context, db: db)
                conflicts.append(ConflictRef(field: conflict.field, conflictId: id))
            }
            let result: RecordResult.Outcome
            switch (outcome.applied.isEmpty, conflicts.isEmpty) {
            case (true, true): result = .unchanged
            case (false, true): result = .applied
            case (false, false): result = .partial
            case (true, false): result = .conflict
            }
            // The agent's base is the revision it names; with every sent field taken as sent
            // (no rule decided, nothing parked) the result is that base with the fields in place.
            let rebuildable = context.answer != .documents && conflicts.isEmpty && outcome.decided.isEmpty && row?.revision == change.baseRevision
            let answeredHash = rebuildable && context.answer == .shortHashes ? hash.map { String($0.prefix(AnswerForm.shortHashLength)) } : hash
            return RecordResult(uscc: uscc, outcome: result, revision: revision, document: rebuildable ? nil : document, hash: answeredHash,
                                applied: outcome.applied, conflicts: conflicts)
        }
    }

    /// The clock of the edit that set each field of a record.
    static func fieldClocks(_ uscc: String, db: Database) throws -> [String: HybridTimestamp] {
        var clocks: [String: HybridTimestamp] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT field, clock FROM provenance WHERE uscc = ? AND clock IS NOT NULL"), arguments: [uscc]) {
            if let clock = HybridTimestamp(row["clock"] as String) { clocks[row["field"]] = clock }
        }
        return clocks
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
        return try await database.pool.write { db in
            guard let row = try StoredRecord.fetch(uscc, db: db), !row.deleted else { throw ServiceError.notFound("no record \(uscc)") }
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
                                           clock: try ProvinceClock.tick(db))
                _ = try StoredRecord.write(uscc: uscc, region: row.region, previous: row, document: document, changedFields: changed, context: context, db: db)
            }
            return try Self.view(uscc, db: db)!
        }
    }

    // MARK: - Reads

    public func record(_ uscc: String, for principal: Principal) async throws -> RecordView {
        try await database.pool.read { db in
            guard let view = try Self.view(uscc, db: db) else { throw ServiceError.notFound("no record \(uscc)") }
            if principal.role == .bureau, view.region != principal.region {
                throw ServiceError.forbidden("record \(uscc) belongs to region \(view.region); the bureau of \(principal.region ?? "?") may not read it")
            }
            return view
        }
    }

    static func view(_ uscc: String, db: Database) throws -> RecordView? {
        guard let row = try StoredRecord.fetch(uscc, db: db) else { return nil }
        var provenance: [String: Provenance] = [:]
        for p in try Row.fetchAll(db, sql: """
            SELECT p.field, p.source, p.changeset, p.at, p.revision, p.clock, c.signer FROM provenance p
            LEFT JOIN changeset_chain c ON c.id = p.changeset WHERE p.uscc = ?
            """, arguments: [uscc]) {
            provenance[p["field"]] = Provenance(source: p["source"], changeSet: p["changeset"], at: p["at"], revision: p["revision"],
                                                clock: (p["clock"] as String?).flatMap(HybridTimestamp.init), signer: p["signer"])
        }
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
    /// download its own push again.
    public func changes(region: String, since cursor: Int64, limit: Int, requester: String? = nil,
                        echoHashes: Bool = true) async throws -> ChangePage {
        try await database.pool.read { db in
            // The region's records, and tombstones naming the new owner of those that moved away.
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT uscc, revision, seq, deleted, CASE WHEN last_source IS ?4 THEN NULL ELSE doc END AS doc, hash,
                       last_source IS ?4 AS echo, NULL AS moved_to
                FROM records WHERE region = ?1 AND seq > ?2
                UNION ALL
                SELECT uscc, revision, seq, 0, NULL, NULL, 0, to_region FROM moves WHERE from_region = ?1 AND seq > ?2
                ORDER BY seq LIMIT ?3
                """), arguments: [region, cursor, limit + 1, requester])
            var records: [ChangedRecord] = []
            records.reserveCapacity(min(rows.count, limit))
            for row in rows.prefix(limit) {
                let deleted: Bool = row["deleted"]
                let movedTo: String? = row["moved_to"]
                let echo: Bool = row["echo"] && !deleted
                let text: String? = row["doc"]
                let document: JSONValue? = deleted || movedTo != nil || echo ? nil : try text.map { try StoredRecord.decode($0, uscc: row["uscc"]) }
                var record = ChangedRecord(uscc: row["uscc"], revision: row["revision"], seq: row["seq"], document: document,
                                           deleted: deleted, movedTo: movedTo)
                record.hash = echo && !echoHashes ? nil : row["hash"]
                record.echo = echo
                records.append(record)
            }
            var page = ChangePage(cursor: records.last?.seq ?? cursor, more: rows.count > limit, records: records)
            page.clock = try ProvinceClock.current(db)
            return page
        }
    }

    static func now() -> String { Date().formatted(.iso8601) }
}
