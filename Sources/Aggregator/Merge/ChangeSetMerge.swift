import EnterpriseModel
import SyncCore

/// The province's merge of a bureau's change set, as a pure function of the records it touches,
/// the change set, the field policy and the edit time: it returns a `WritePlan` and writes
/// nothing. `MergeService` loads the records (`RecordStorage.recordsForMerge`), calls `plan`, and
/// has the plan written in one go (`RecordStorage.write(_:)`).
///
/// For each record change, in the order sent:
///
/// | the change | the province's record | outcome |
/// |---|---|---|
/// | a code not in canonical form, or not a credit code | any | rejected |
/// | create | another region's | rejected: the existing owner keeps it |
/// | create, update or delete | another region's | the whole change set is refused (`.forbidden`), or, with `refuseForeignRecords` (a held change set approved later), the record alone is rejected |
/// | delete | none, or deleted | rejected |
/// | delete | the region's | a delete request parked for review (`deleteRequested`) |
/// | update | none | rejected: send it as a new record |
/// | create or update naming another region | none | `.forbidden` (a bureau creates records of its own region only) |
/// | create sent whole (`document`), not in a recovery change set | none | the document created as sent, or rejected when it does not validate: what its leaves sent as new fields would give, without comparing them one by one |
/// | create sent whole, otherwise | any | merged as its leaves sent as new fields (`RecordChange.sentFields`), as below |
/// | `region` changed | the region's | a transfer parked for review with the whole change (`conflict`) |
/// | fields of a recovery change set (`recovers`) | the region's, or none | province fields and fields marked `recovered` wait as `recovered` conflicts (unless the province has that value); the others as below |
/// | fields | the region's, or none | province fields (authority `province`) are not applied and kept as automatic decisions; a state moving backwards is parked; every other field is a compare-and-set (`CompareAndSet`), a field both sides changed decided by the policy's rule or parked |
///
/// A record whose merged document does not validate (or would change its `uscc`) is rejected
/// whole: none of the decisions or parked fields met on the way to it are in the plan. Outcome
/// of the others: `applied`, `partial`, `conflict` or `unchanged`. A record sent twice in one
/// change set is merged the second time over the first.
///
/// `clocks` gives the clock of the edit that set each field of a record (the `latest` rule); it
/// is only asked for records with a field both sides changed.
enum ChangeSetMerge {
    static func plan(_ changeSet: ChangeSet, region: String, stored: [String: StoredRecord], policy: FieldPolicy, context: WriteContext,
                     refuseForeignRecords: Bool = false,
                     clocks: (String) throws -> [String: HybridTimestamp]) throws -> WritePlan {
        var plan = WritePlan(context: context)
        plan.affected = MassChangeGuard.affected(by: changeSet, stored: stored)
        var records = stored
        plan.answers.reserveCapacity(changeSet.records.count)
        for change in changeSet.records {
            var record = RecordPlan(change: change, row: records[change.uscc], region: region, policy: policy, context: context,
                                    recovers: changeSet.recovers)
            do {
                try record.merge(clocks: clocks)
            } catch ServiceError.forbidden(let message) where refuseForeignRecords {
                plan.answers.append(WritePlan.Answer(result: RecordResult(uscc: change.uscc, outcome: .rejected, reason: message)))
                continue
            }
            let offset = plan.conflicts.count
            if record.result.outcome != .rejected {
                plan.conflicts += record.conflicts
                if let revision = record.revision {
                    plan.revisions.append(revision)
                    records[change.uscc] = revision.stored(seq: records[change.uscc]?.seq ?? 0)
                }
            }
            plan.answers.append(WritePlan.Answer(result: record.result,
                                                 conflicts: record.result.outcome == .rejected ? [] : record.refs.map { ($0.field, $0.index + offset) }))
        }
        plan.delta = FactsDelta(plan.revisions)
        return plan
    }

    /// The change set as two halves of its records, in order, when it has `splitAt` records or
    /// more and none twice (a record sent twice is merged the second time over the first, so
    /// its changes must stay in one plan); else the change set whole.
    static func halves(of changeSet: ChangeSet, splitAt: Int) -> [ChangeSet] {
        let count = changeSet.records.count
        guard count >= splitAt, Set(changeSet.records.map(\.uscc)).count == count else { return [changeSet] }
        var first = changeSet, second = changeSet
        first.records = Array(changeSet.records[..<(count / 2)])
        second.records = Array(changeSet.records[(count / 2)...])
        return [first, second]
    }

    /// The plans of a change set's two `halves` as the plan of the whole: each record's merge
    /// depends on that record alone, so the revisions, conflicts and answers are the halves' one
    /// after the other (the second's answers naming its conflicts past the first's), and the
    /// whole's mass-change count is made again over both and its totals' delta is the halves' added.
    static func joined(_ first: WritePlan, _ second: WritePlan, of changeSet: ChangeSet, stored: [String: StoredRecord]) -> WritePlan {
        var plan = first
        let offset = first.conflicts.count
        plan.revisions += second.revisions
        plan.conflicts += second.conflicts
        plan.answers += second.answers.map { answer in
            var moved = answer
            moved.conflicts = answer.conflicts.map { ($0.field, $0.index + offset) }
            return moved
        }
        plan.affected = MassChangeGuard.affected(by: changeSet, stored: stored)
        plan.delta = (first.delta ?? FactsDelta(first.revisions)) + (second.delta ?? FactsDelta(second.revisions))
        return plan
    }
}

/// One record change being merged: what it will write, and its answer.
private struct RecordPlan {
    let change: RecordChange
    let row: StoredRecord?
    let region: String
    let policy: FieldPolicy
    let context: WriteContext
    /// The generation a recovery change set brings values back from (`ChangeSet.recovers`).
    let recovers: String?
    var result: RecordResult
    var revision: WritePlan.Revision?
    var conflicts: [WritePlan.Conflict] = []
    /// The conflicts the answer names (index into `conflicts`).
    var refs: [(field: String, index: Int)] = []

    init(change: RecordChange, row: StoredRecord?, region: String, policy: FieldPolicy, context: WriteContext, recovers: String?) {
        self.recovers = recovers
        self.change = change
        self.row = row
        self.region = region
        self.policy = policy
        self.context = context
        result = RecordResult(uscc: change.uscc, outcome: .unchanged)
    }

    var uscc: String { change.uscc }

    mutating func reject(_ reason: String, revision: Int64? = nil, document: JSONValue? = nil) {
        result = RecordResult(uscc: uscc, outcome: .rejected, revision: revision, document: document, reason: reason)
    }

    /// Adds a conflict; `named`: the answer names it.
    @discardableResult
    mutating func add(_ field: String, kind: String, expected: JSONValue?, current: JSONValue?, incoming: JSONValue?,
                      decision: ConflictView.Decision? = nil, value: JSONValue? = nil, rule: String? = nil, request: String? = nil,
                      named: Bool = true) -> Int {
        conflicts.append(WritePlan.Conflict(uscc: uscc, region: row?.region ?? region, field: field, kind: kind, expected: expected, current: current,
                                            incoming: incoming, decision: decision, value: value, rule: rule, request: request))
        if named { refs.append((field, conflicts.count - 1)) }
        return conflicts.count - 1
    }

    mutating func merge(clocks: (String) throws -> [String: HybridTimestamp]) throws {
        do {
            let code = try USCC(uscc)
            guard code.rawValue == uscc else { return reject("credit code must be sent in canonical form \(code.rawValue)") }
        } catch {
            return reject("\(error)")
        }
        if let row, row.region != region, change.op == .create {
            // Two regions registering one code: the existing owner keeps it, the newcomer learns
            // why, and the rest of its change set goes through.
            return reject("credit code \(uscc) is already registered at the province by region \(row.region) (\(Regions.region(code: row.region)?.name ?? "?")); the existing owner keeps it — ask the province if the enterprise moved")
        }
        if let row, row.region != region {
            throw ServiceError.forbidden("record \(uscc) belongs to region \(row.region) (\(Regions.region(code: row.region)?.name ?? "?")); the bureau of \(region) may not change it")
        }
        switch change.op {
        case .delete:
            guard let row, !row.deleted else { return reject("the province has no record \(uscc) to delete") }
            add("*", kind: "delete", expected: change.expectedHash.map(JSONValue.string), current: .string(row.hash), incoming: nil)
            result = RecordResult(uscc: uscc, outcome: .deleteRequested, revision: row.revision, document: row.document)
        case .create, .update:
            try mergeFields(clocks: clocks)
        }
    }

    private mutating func mergeFields(clocks: (String) throws -> [String: HybridTimestamp]) throws {
        if row == nil {
            let named = (change.document?["region"] ?? change.fields["region"]?.value)?.stringValue
            guard named == region else {
                throw ServiceError.forbidden("new record \(uscc) names region \(named ?? "none"); the bureau of \(region) may only create records of its own region")
            }
            if change.op == .update { return reject("the province has no record \(uscc) to update; send it as a new record") }
            if let document = change.document, recovers == nil { return create(document) }
        }
        // (A record sent whole that the province has, or in a recovery change set, is merged
        // as its fields: the same request.)
        var fields = change.sentFields
        if let row, let move = fields["region"], move.value != .string(row.region) {
            // A move between regions is a transfer the province approves, never a field edit:
            // the whole record change waits with it (a new county belongs to the new region).
            add("region", kind: "transfer", expected: move.expected, current: .string(row.region), incoming: move.value,
                request: JSONValue.object(JSONObject(fields.mapValues(\.json))).canonicalString)
            result = RecordResult(uscc: uscc, outcome: .conflict, revision: row.revision, document: row.document)
            return
        }
        let row = self.row
        let current = { (path: String) in row.flatMap { FieldPath.leaf(at: path, in: $0.document) } }
        // A recovery change set brings back what the province acknowledged before it was
        // restored from a backup: the province's own fields (designations) and fields a reviewer
        // decided wait in the queue as recovered values, for a reviewer to restore (null and
        // absent count as equal; a value the province has again is no conflict). The bureau's
        // fields go on as its edits.
        if let recovers {
            // One recovered value per province field (a designation is one object, whose members
            // are restored together), one per decided field.
            var groups: [String: [String]] = [:]
            for path in fields.keys where path != "region" {
                if change.recovered?[path] != nil {
                    groups[path, default: []].append(path)
                } else if policy.rule(for: path).authority == .province {
                    groups[FieldPath.components(path).first ?? path, default: []].append(path)
                }
            }
            for (field, leaves) in groups.sorted(by: { $0.key < $1.key }) {
                var sent: [String: FieldChange] = [:]
                for leaf in leaves { sent[leaf] = fields.removeValue(forKey: leaf) }
                let now = row.flatMap { FieldPath.value(at: field, in: $0.document) }
                let incoming = FieldPath.value(at: field, in: RecordDiff.apply(sent, to: row?.document ?? .object([:])))
                guard (now ?? .null) != (incoming ?? .null) else { continue }
                let origin = change.recovered?[field] ?? "the province's value as region \(region) last received it"
                add(field, kind: "recovered", expected: now, current: now, incoming: incoming,
                    request: "\(origin) (register generation \(recovers), before the restore)")
            }
        }
        // A bureau's change of a province field is not applied; the province's value stands
        // and the attempt is kept as an automatic decision (null and absent count as equal,
        // so a bureau record that merely says "srdi": null is no attempt).
        // A new record brings its designations as they stand (the province has none to
        // protect yet); from then on only the province changes them.
        for path in row == nil ? [] : fields.keys.sorted() where path != "region" && policy.rule(for: path).authority == .province {
            let change = fields[path]!
            fields[path] = nil
            guard (current(path) ?? .null) != (change.value ?? .null) else { continue }
            add(path, kind: "authority", expected: change.expected, current: current(path), incoming: change.value,
                decision: .keepCurrent, rule: "authority: province (\(path) is the province's field)")
        }
        // A state that only moves forward (status) moving backwards waits for a reviewer, even
        // when nobody else changed it: reopening a closed enterprise is a decision.
        for path in row == nil ? [] : fields.keys.sorted() {
            let change = fields[path]!
            guard let merge = policy.rule(for: path).merge, current(path) == change.expected,
                  merge.movesBackwards(from: change.expected, to: change.value) else { continue }
            fields[path] = nil
            add(path, kind: "field", expected: change.expected, current: current(path), incoming: change.value)
        }
        var fieldClocks: [String: HybridTimestamp]?
        let policy = self.policy, context = self.context, uscc = self.uscc
        let outcome = CompareAndSet.merge(current: row?.document, fields: fields) { conflict in
            if fieldClocks == nil { fieldClocks = (try? clocks(uscc)) ?? [:] }
            return policy.decide(conflict.field, expected: conflict.expected, current: conflict.current, incoming: conflict.incoming,
                                 incomingTime: context.clock, currentTime: MergeService.clock(of: conflict.field, in: fieldClocks!))
        }
        for (conflict, decision) in outcome.decided {
            let kept: (ConflictView.Decision, JSONValue?)
            switch decision {
            case .review: continue
            case .keepCurrent: kept = (.keepCurrent, nil)
            case .takeIncoming: kept = (.takeIncoming, nil)
            case .value(let combined, _): kept = (.value, combined)
            }
            // The bureau must learn that the province's value stood; a value that was applied
            // (the bureau's or a combined one) comes back in the merged document.
            var keepCurrent = false
            if case .keepCurrent = decision { keepCurrent = true }
            add(conflict.field, kind: "field", expected: conflict.expected, current: conflict.current, incoming: conflict.incoming,
                decision: kept.0, value: kept.1, rule: decision.rule ?? "", named: keepCurrent)
        }
        var document = row?.document
        var revisionNumber = row?.revision
        var hash = row?.hash
        if outcome.changedDocument {
            // A live record is read again in the members the change set moved (see
            // `RecordValidator.errors(in:changing:)`); a new or revived one whole.
            let errors = if let row, !row.deleted {
                RecordValidator.errors(in: outcome.document, changing: Set(outcome.applied.map { FieldPath.components($0).first ?? $0 }))
            } else {
                RecordValidator.issues(in: outcome.document).filter { $0.severity == .error }
            }
            if !errors.isEmpty {
                return reject(errors.map(\.description).joined(separator: "; "), revision: row?.revision, document: row?.document)
            }
            guard outcome.document["uscc"]?.stringValue == uscc else { return reject("field uscc must stay \(uscc)") }
            let written = WritePlan.Revision(kind: row == nil ? .create : .update, uscc: uscc, region: row?.region ?? region, previous: row,
                                             document: outcome.document, changedFields: outcome.applied)
            revision = written
            (revisionNumber, hash, document) = (written.revision, written.hash, outcome.document)
        }
        for conflict in outcome.conflicts {
            add(conflict.field, kind: "field", expected: conflict.expected, current: conflict.current, incoming: conflict.incoming)
        }
        let kind: RecordResult.Outcome
        switch (outcome.applied.isEmpty, refs.isEmpty) {
        case (true, true): kind = .unchanged
        case (false, true): kind = .applied
        case (false, false): kind = .partial
        case (true, false): kind = .conflict
        }
        // The agent's base is the revision it names; with every sent field taken as sent
        // (no rule decided, nothing parked) the result is that base with the fields in place.
        let rebuildable = context.answer != .documents && refs.isEmpty && outcome.decided.isEmpty && row?.revision == change.baseRevision
        let answeredHash = rebuildable && context.answer == .shortHashes ? hash.map { String($0.prefix(AnswerForm.shortHashLength)) } : hash
        result = RecordResult(uscc: uscc, outcome: kind, revision: revisionNumber, document: rebuildable ? nil : document, hash: answeredHash,
                              applied: outcome.applied, conflicts: [])
    }

    /// A new record sent whole that the province does not have: the document as sent, read
    /// whole. The outcome is the one of its leaves sent as new fields: nothing to compare them
    /// with, so every one is applied (or the record is rejected). The answer's `applied` is
    /// empty: no field was sent, the whole document was taken.
    private mutating func create(_ document: JSONValue) {
        let errors = RecordValidator.issues(in: document).filter { $0.severity == .error }
        if !errors.isEmpty { return reject(errors.map(\.description).joined(separator: "; ")) }
        guard document["uscc"]?.stringValue == uscc else { return reject("field uscc must stay \(uscc)") }
        // (The history keeps a new record's whole document, not its fields.)
        let written = WritePlan.Revision(kind: .create, uscc: uscc, region: region, previous: nil, document: document, changedFields: [],
                                         canonical: change.documentCanonical)
        revision = written
        // Taken as sent: the agent has the document already.
        let rebuildable = context.answer != .documents
        let hash = rebuildable && context.answer == .shortHashes ? String(written.hash.prefix(AnswerForm.shortHashLength)) : written.hash
        result = RecordResult(uscc: uscc, outcome: .applied, revision: written.revision, document: rebuildable ? nil : document, hash: hash,
                              applied: [], conflicts: [])
    }
}
