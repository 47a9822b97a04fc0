import EnterpriseModel
import SyncCore

/// A province restored from a backup, healed from this store without an operator.
///
/// The province's register carries a generation that `esync-aggregator restore` changes (see
/// `RegisterStamp`); the store sends the one it synced with on every push and pull, and a
/// restored province refuses both before it applies or hands out anything
/// (`RegisterMismatch`). The store's bases are what the province acknowledged, so the store knows
/// what the province lost: every record whose base differs from the province's copy, where the
/// store had pulled the province's version (its change number is within the store's cursor).
///
/// | the province's copy of a record the store has a base of | what the heal does |
/// |---|---|
/// | the same as the base | nothing |
/// | a version after the store's cursor (not pulled yet) | nothing: the pull merges it |
/// | deleted or moved away | nothing: the pull removes it |
/// | another version | the fields that differ are sent back as they are in the base, against the province's values; the base becomes the province's version |
/// | none | the record is sent back whole as a new record; its base is dropped |
///
/// Those changes go in one or more recovery change sets (`ChangeSet.recovers`: the generation
/// they come from). The province merges the bureau's own fields as its edits, once (a change
/// set's id applies once); its own fields (designations) and the fields this store knows a
/// reviewer decided (`AgentState.recentDecisions`, sent as `RecordChange.recovered`) wait in its
/// review queue as `recovered` values, for a reviewer to restore in bulk. Pending edits of the
/// working copy are not in them: the push that follows sends those against the new bases.
///
/// The recovery change sets are sent at once, whether a push or a pull met the restored province;
/// the command then goes on. The outbox is set aside first (its change sets were sealed against what the province lost;
/// their edits are still in the working files), the chain of signed change sets restarts from
/// the last one the province holds (the registration answer), and the pull cursor restarts at
/// the end of the province's change feed. The order makes it safe to stop anywhere: the
/// recovery change sets are sealed before the bases and the state move, in one batch, to the new
/// generation; stopped before the batch is through (the state file is renamed last), the next
/// run meets the old generation again, keeps the recovery change sets it finds sealed for it and
/// moves the bases that did not move yet.
extension SyncEngine {
    /// What a heal did, for the log and the summaries.
    public struct HealReport: Sendable, Equatable {
        public var from: RegisterStamp?
        public var to: RegisterStamp
        /// Records sent back (changed, or whole when the province had none of them).
        public var recordsResent = 0
        public var recordsRecreated = 0
        /// Fields sent marked as a reviewer's decision.
        public var decisionsResent = 0
        public var outboxSetAside = 0
        public var cursor: Int64 = 0

        public var line: String {
            "the province was restored (generation \(from.map { String($0.generation.prefix(8)) + "…" } ?? "unknown") → \(to.generation.prefix(8))…): "
                + "\(plural(recordsResent, "record")) sent back (\(recordsRecreated) whole), \(plural(decisionsResent, "decided field")) among them, "
                + "\(plural(outboxSetAside, "outbox change set")) set aside, pull cursor now \(cursor)"
        }
    }

    /// Runs `body` (a push or a pull). When the province answers that it is a restored generation
    /// of the register the store synced with, heals and runs `body` once more; learns the
    /// register from the answers when the store did not know it yet.
    func healingIfRestored<T>(_ body: () throws(AgentError) -> T) throws(AgentError) -> T {
        let result: T
        do {
            result = try body()
        } catch .registerMismatch(let mismatch, let url) where mismatch.reason != .otherRegister {
            let report = try heal(mismatch, url: url)
            log(report.line)
            // What the province lost goes back now, whichever command noticed (a pull, the
            // daemon's pull on a change event): the recovery change sets are all the outbox holds.
            var session = PushSession.outboxOnly()
            try outbox.send(&session)
            log("sent back: \(session.summary.line)")
            result = try body()
        }
        try learnRegister()
        return result
    }

    /// Keeps the register the province's answers name, when the store knows none yet.
    func learnRegister() throws(AgentError) {
        guard state.province == nil, let stamp = try client().registerStamp else { return }
        state.province = stamp
        try saveState()
    }

    /// Sends the province what it lost in a restore and restarts the store's cursor and chain at
    /// what the province has (see the extension's table).
    func heal(_ mismatch: RegisterMismatch, url: String) throws(AgentError) -> HealReport {
        var report = HealReport(from: state.province, to: mismatch.province)
        log("\(url): \(mismatch.message)")
        if !scanned, try scanner.scan(&index).indexChanged { indexDirty = true }
        scanned = true

        // The province's copy of the region, read without the store's identity (which names the
        // old generation); documents kept only where they differ from the base.
        var copies: [String: ChangedRecord] = [:]
        var cursor: Int64 = 0
        while true {
            let (page, refused) = try client().changes(since: cursor, limit: config.pageSize, own: true)
            for record in refused { log(record.description) }
            for var record in page.records {
                if let document = record.document, index.entries[record.uscc]?.baseHash == ContentHash.of(document) { record.document = nil }
                copies[record.uscc] = record
            }
            cursor = page.cursor
            if !page.more { break }
        }
        report.cursor = cursor

        // A heal stopped before it moved the store to the new generation left its recovery
        // change sets in the outbox, perhaps with some bases already moved: they are kept and the
        // records they carry are not sent twice.
        let lost = state.province?.generation ?? "unknown"
        var kept = Set<String>(), covered = Set<String>()
        for name in try outbox.files() {
            guard let sealed = try? outbox.outboxChangeSet(name).changeSet, sealed.recovers == lost else { continue }
            kept.insert(name)
            covered.formUnion(sealed.records.map(\.uscc))
        }

        // What the province lost: the bases it had acknowledged, against its copy.
        var changes: [RecordChange] = []
        var rebase: [(uscc: String, revision: Int64, document: JSONValue)] = []
        var dropped: [String] = []
        let decided = Dictionary(state.recentDecisions.filter { $0.field != "*" }.map { ("\($0.uscc) \($0.field)", $0) }, uniquingKeysWith: { $1 })
        for uscc in index.entries.keys.sorted() {
            guard let entry = index.entries[uscc], entry.hasBase, entry.invalidReason == nil else { continue }
            let copy = copies[uscc]
            if let copy, copy.document == nil || copy.deleted || copy.seq > state.cursor { continue }
            // A damaged base is rebuilt by the next pull, which merges the province's version.
            guard let base = (try? store.readBase(uscc)) ?? nil else {
                log("record \(uscc): its base cannot be read; not sent back")
                continue
            }
            var change: RecordChange
            if let copy, let theirs = copy.document {
                change = RecordChange(uscc: uscc, op: .update, fields: RecordDiff.fields(from: theirs, to: base.document), baseRevision: copy.revision)
                rebase.append((uscc, copy.revision, theirs))
            } else {
                change = RecordChange(uscc: uscc, op: .create, fields: RecordDiff.fields(from: nil, to: base.document))
                dropped.append(uscc)
                report.recordsRecreated += 1
            }
            var recovered: [String: String] = [:]
            for field in change.fields.keys {
                guard let decision = decided["\(uscc) \(field)"] else { continue }
                recovered[field] = "decision \(decision.decision) on conflict \(decision.conflictId) by \(decision.by ?? "the province")"
                    + (decision.at.map { " at \($0)" } ?? "")
            }
            if !recovered.isEmpty {
                change.recovered = recovered
                report.decisionsResent += recovered.count
            }
            if !change.fields.isEmpty && !covered.contains(uscc) { changes.append(change) }
        }
        report.recordsResent = changes.count + covered.count

        // The outbox was sealed against what the province lost; the chain restarts from the last
        // change set the province holds from this store's credentials.
        report.outboxSetAside = try setAsideOutbox(keeping: kept)
        let registration = try client().storeRegistration()
        guard let epoch = state.epoch else { throw .corruptState(path: store.stateFilePath, reason: "the store has no epoch") }
        let registered = try client().register(StoreRegistrationRequest(epoch: epoch, replaces: registration?.epoch, cursor: cursor,
                                                                        sequence: state.outboxSequence, region: config.region))
        if kept.isEmpty {
            state.chainHead = registered.chainHead ?? ""
            outbox.lastSealedHash = state.chainHead
        } else {
            outbox.forgetLastSealed()  // the next one follows the newest kept
        }
        var start = 0
        while start < changes.count {
            let end = min(start + config.maxRecordsPerChangeSet, changes.count)
            try outbox.seal(Array(changes[start..<end]), push: nil, recovers: lost)
            start = end
        }
        CrashPoint.reach("heal.sealed")

        // The bases become the province's versions, and the state the new generation, at once.
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = StoreWriter.IndexUpdates()
        for (uscc, revision, document) in rebase { try writer.stageBase(uscc, revision: revision, document: document, batch: batch, updates: &updates) }
        for uscc in dropped { writer.stageBaseRemoval(uscc, batch: batch, updates: &updates) }
        state.province = mismatch.province
        state.cursor = cursor
        state.highestCursor = cursor
        // Conflicts and delete requests the store waited on may be ones the province lost (their
        // numbers may now name others): the pending edits are sent again and queued again.
        state.parked = [:]
        state.pendingDeletes = [:]
        state.heldChangeSets = [:]
        try batch.write(store.stateFilePath, try state.encoded(for: store.stateFilePath))
        try commit(batch, updates, basesFirst: true)
        try saveState()
        try saveIndex()
        CrashPoint.reach("heal.committed")
        return report
    }
}
