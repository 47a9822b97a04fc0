import EnterpriseModel
import Foundation
import SyncCore

/// The only code that changes the store during a sync: it stages the province's versions into
/// record files (`records/`, in an `AtomicBatch`) and bases (`.esync/bases`, a `BaseLog`),
/// commits them, and keeps the index (`.esync/index`) and the state (`.esync/state.json`) in
/// step. A record file is replaced only if nobody saved it while the merge was prepared, and a
/// record's base moves only with it.
///
/// For example, a pulled record merged and committed:
///
///     let batch = AtomicBatch(anchor: store.statePath)
///     var updates = StoreWriter.IndexUpdates()
///     let kept = try writer.stage(uscc: code, theirs: document, revision: 7, mergeBase: nil, batch: batch, updates: &updates)
///     try writer.commit(batch, updates)
final class StoreWriter {
    let store: Store
    let scanner: Scanner
    var index: StatIndex
    var state: AgentState
    /// The index in memory differs from the file: an unchanged store is checked without writing.
    var indexDirty: Bool
    private var indexSavedAt = FileSystem.nowNs()
    /// The store's identity as last saved in state.json: what the province is told, never a
    /// number that a crash could take back (which would look like a restored store).
    private(set) var durableIdentity: StoreIdentity?
    /// Conflicts of this bureau that a write settled (the province's value agrees with the
    /// working copy: a decision for the bureau's value; an approved delete or move): the pull
    /// asks for their decision at its end, to report who decided and the note. Kept for the run
    /// only: a pull stopped in between reports less.
    private var settled: [(uscc: String, field: String, conflictId: Int64)] = []
    var log: (String) -> Void = { _ in }
    /// Called before record files change (the engine drops the snapshot it scanned ahead).
    var willChangeRecordFiles: () -> Void = {}

    init(store: Store, index: StatIndex, indexDirty: Bool, state: AgentState) {
        self.store = store
        self.scanner = Scanner(store: store)
        self.index = index
        self.indexDirty = indexDirty
        self.state = state
        self.durableIdentity = state.identity
    }

    func saveIndex() throws(AgentError) {
        // The base log's own index first: the stat index names the bases it locates.
        if try !store.bases.compactIfWorthIt() { try store.bases.saveIndex() }
        guard indexDirty else { return }
        try index.save(to: store.indexPath)
        indexSavedAt = FileSystem.nowNs()
        indexDirty = false
    }

    func saveState() throws(AgentError) {
        try state.save(to: store.stateFilePath)
        durableIdentity = state.identity
        CrashPoint.reach("state.saved")
    }

    /// The conflicts settled since the last call (see `settled`).
    func takeSettled() -> [(uscc: String, field: String, conflictId: Int64)] {
        defer { settled = [] }
        return settled
    }

    /// Stages `document` as the working file of `uscc` (`expecting`: what the file must still be).
    func stageWorking(_ uscc: String, _ document: JSONValue, expecting: AtomicBatch.Expectation, batch: AtomicBatch,
                      updates: inout IndexUpdates) throws(AgentError) {
        try batch.write(store.recordFile(uscc), store.recordFileBytes(document, uscc: uscc), expecting: expecting, group: uscc)
        updates.written[uscc] = document
    }

    /// Stages `document` at `revision` as the base of `uscc`.
    func stageBase(_ uscc: String, revision: Int64, document: JSONValue, batch: AtomicBatch, updates: inout IndexUpdates) throws(AgentError) {
        updates.baseWrites[uscc] = Store.baseBytes(.init(revision: revision, document: document))
        updates.removedBases.remove(uscc)  // the last staged wins, as in the log
        updates.bases[uscc] = (ContentHash.of(document), revision)
    }

    /// Stages the removal of the base of `uscc`.
    func stageBaseRemoval(_ uscc: String, batch: AtomicBatch, updates: inout IndexUpdates) {
        updates.baseWrites[uscc] = nil
        updates.removedBases.insert(uscc)
    }

    /// Drops the bases of `codes` now, in one append (`reconcile`: a record the province has no
    /// record of goes as a new record).
    func dropBases(_ codes: [String]) throws(AgentError) {
        try store.writeBases([], dropped: codes)
        for uscc in codes {
            index.entries[uscc]?.baseHash = ""
            index.entries[uscc]?.baseRevision = -1
            state.provinceHashes[uscc] = nil
        }
        indexDirty = indexDirty || !codes.isEmpty
    }

    struct IndexUpdates {
        var written: [String: JSONValue] = [:]
        var bases: [String: (hash: String, revision: Int64)] = [:]
        /// The bases to append to the log once the batch's record files are in place
        /// (`Store.baseBytes`), by code.
        var baseWrites: [String: [UInt8]] = [:]
        /// For a base written: the hash of the province's version it was made from, when known
        /// (see `AgentState.provinceHashes`).
        var provinceHashes: [String: String] = [:]
        var removedBases: Set<String> = []
        var removedWorking: Set<String> = []

        /// Room for the bases of `count` records (an answer's): growing each table from empty,
        /// eight times over for a change set of 250 records, was a hundredth of a first upload.
        init(reservingBasesFor count: Int = 0) {
            bases.reserveCapacity(count)
            baseWrites.reserveCapacity(count)
            provinceHashes.reserveCapacity(count)
        }
    }

    /// Stages the merge of the province's version of a record: working copy merged field by
    /// field (pending local edits kept), base set to the province's version (old values kept
    /// for fields both sides changed). `mergeBase` replaces the stored base as the common
    /// ancestor (after a push: the base with the sent values). Returns the fields where the
    /// bureau's value was kept. The working file is replaced only if nobody saved it meanwhile.
    /// `mergeBaseHash`, `theirsHash`: the content hashes of those documents, when already known.
    @discardableResult
    func stage(uscc: String, theirs: JSONValue, revision: Int64, mergeBase: JSONValue?, mergeBaseHash: String? = nil,
               theirsHash knownTheirsHash: String? = nil, theirsBytes: [UInt8]? = nil, batch: AtomicBatch,
               updates: inout IndexUpdates) throws(AgentError) -> [String] {
        let theirsHash = knownTheirsHash ?? ContentHash.of(theirs)
        let entry = index.entries[uscc]
        let file = store.recordFile(uscc)
        if let reason = entry?.invalidReason {
            // Cannot merge into a file that does not parse; merge once it is fixed.
            state.deferred.insert(uscc)
            log("record \(uscc): the province's version waits until records/\(uscc).json is fixed (\(reason))")
            return []
        }
        if let entry, entry.hasWorkingFile, mergeBase != nil, mergeBaseHash == theirsHash, entry.docHash == theirsHash, state.parked[uscc] == nil {
            // The province took what was sent, which is the working copy as last scanned: the
            // base becomes it and the file stays as it is, whatever it holds now. A save since
            // the scan (or a removal) changed the file's stat, so the next scan reads it and
            // diffs it against this base: the edit (or the delete) is pushed then, as the merge
            // would have kept it; a file that no longer parses is reported by that scan, its
            // base the province's version (it was deferred to the next pull before). Nothing of
            // the file is looked at: in a first upload this stat was a twenty-fifth of the
            // agent's time. (With a parked field the working copy settles it, so it is read.)
            return try finishStage(uscc, theirs: theirs, theirsHash: theirsHash, theirsBytes: theirsBytes, newBase: theirs,
                                   finalWorking: theirs, revision: revision, divergent: [], batch: batch, updates: &updates)
        }
        let newBase: JSONValue
        var divergent: [String] = []
        var finalWorking: JSONValue?
        if let stat = store.statRecordFile(uscc) {
            // The working copy is known without reading it when its file is as last scanned and
            // its content is the common ancestor (the base, or after a push what was sent).
            let unchanged = entry.map { $0.hasWorkingFile && Self.statUnchanged($0, stat) } ?? false
            let ancestorHash = mergeBase.map { mergeBaseHash ?? ContentHash.of($0) } ?? entry?.baseHash
            if unchanged && entry!.docHash == ancestorHash {
                // The province's version replaces a working copy that is the common ancestor;
                // nothing is written when they are the same (the usual answer to a push).
                newBase = theirs
                finalWorking = theirs
                if theirsHash != entry!.docHash {
                    try batch.write(file, store.recordFileBytes(theirs, uscc: uscc), expecting: .unchanged(stat), group: uscc)
                    updates.written[uscc] = theirs
                }
            } else {
                let mine: JSONValue
                do { mine = try store.readRecord(uscc, validate: false) } catch {
                    state.deferred.insert(uscc)
                    log("record \(uscc): the province's version waits: \(error)")
                    return []
                }
                if let mergeBase, mine == mergeBase {
                    // Read again (its stat was too recent to trust) and still the common ancestor.
                    newBase = theirs
                    finalWorking = theirs
                    if theirs != mine {
                        try batch.write(file, store.recordFileBytes(theirs, uscc: uscc), expecting: .unchanged(stat), group: uscc)
                        updates.written[uscc] = theirs
                    }
                    return try finishStage(uscc, theirs: theirs, theirsHash: theirsHash, theirsBytes: theirsBytes, newBase: newBase,
                                         finalWorking: finalWorking, revision: revision, divergent: [], batch: batch, updates: &updates)
                }
                // A damaged base is treated as absent: the province's version replaces it.
                var storedBase: JSONValue?
                if mergeBase == nil {
                    do { storedBase = try store.readBase(uscc)?.document } catch {
                        log("record \(uscc): \(error); replaced by the province's version")
                    }
                }
                let merged = ThreeWayMerge.merge(base: mergeBase ?? storedBase, theirs: theirs, mine: mine)
                if merged.working != mine {
                    try batch.write(file, store.recordFileBytes(merged.working, uscc: uscc), expecting: .unchanged(stat), group: uscc)
                    updates.written[uscc] = merged.working
                }
                newBase = merged.base
                divergent = merged.divergent
                finalWorking = merged.working
            }
        } else if entry?.hasBase == true {
            // The bureau deleted its file: the delete request stands; only the base moves on.
            newBase = theirs
        } else {
            newBase = theirs
            finalWorking = theirs
            try batch.write(file, store.recordFileBytes(theirs, uscc: uscc), expecting: .absent, group: uscc)
            updates.written[uscc] = theirs
        }
        return try finishStage(uscc, theirs: theirs, theirsHash: theirsHash, theirsBytes: theirsBytes, newBase: newBase,
                             finalWorking: finalWorking, revision: revision, divergent: divergent, batch: batch, updates: &updates)
    }

    /// The end of `stage`: parked fields settled, the base written.
    /// `theirsBytes`: the canonical bytes of `theirs`, when already made (a base that is theirs
    /// is written from them instead of being encoded again).
    private func finishStage(_ uscc: String, theirs: JSONValue, theirsHash: String, theirsBytes: [UInt8]?, newBase: JSONValue,
                           finalWorking: JSONValue?, revision: Int64, divergent: [String], batch: AtomicBatch,
                           updates: inout IndexUpdates) throws(AgentError) -> [String] {
        // A parked field is settled once the province's version agrees with the working copy;
        // until then the bureau asks about its conflict on every pull (see `DecisionSettler`).
        if let parked = state.parked[uscc] {
            let agreed = FieldPath.flatten(theirs)
            let working = finalWorking.map(FieldPath.flatten)
            let remaining = parked.filter { field, _ in working == nil || agreed[field] != working![field] }
            settled += parked.filter { remaining[$0.key] == nil }.map { (uscc, $0.key, $0.value.conflictId) }
            state.parked[uscc] = remaining.isEmpty ? nil : remaining
        }
        let isTheirs = newBase == theirs
        let bytes = isTheirs ? theirsBytes.map { Store.baseBytes(revision: revision, canonicalDocument: $0) } : nil
        updates.baseWrites[uscc] = bytes ?? Store.baseBytes(Store.Base(revision: revision, document: newBase))
        updates.removedBases.remove(uscc)
        updates.bases[uscc] = (isTheirs ? theirsHash : ContentHash.of(newBase), revision)
        updates.provinceHashes[uscc] = theirsHash
        return divergent
    }

    func stageTombstone(_ record: ChangedRecord, batch: AtomicBatch, updates: inout IndexUpdates) {
        let uscc = record.uscc
        guard let entry = index.entries[uscc] else { return }
        updates.baseWrites[uscc] = nil
        updates.removedBases.insert(uscc)
        // A file that is there although this bureau asked to delete it was restored since.
        let restoredAfterRequest = state.pendingDeletes[uscc] != nil && entry.hasWorkingFile
        settled += (state.pendingDeletes[uscc].map { [(uscc, "*", $0)] } ?? [])
            + (state.parked[uscc] ?? [:]).map { (uscc, $0.key, $0.value.conflictId) }
        state.pendingDeletes[uscc] = nil
        state.parked[uscc] = nil
        let what = record.movedTo.map { "moved to region \($0)" } ?? "deleted at the province"
        // After an approved transfer the bureau's file names the new region: it asked for this.
        let askedFor = record.movedTo != nil && (try? store.readRecord(uscc, validate: false))?["region"]?.stringValue == record.movedTo
        if restoredAfterRequest && record.movedTo == nil {
            log("record \(uscc) deleted at the province (its delete request was approved), but its file was restored since: the file stays; delete it to accept the deletion, or ask the province to keep the record")
        } else if entry.hasWorkingFile && (askedFor || entry.docHash == entry.baseHash && statUnchanged(uscc, entry)) {
            batch.remove(store.recordFile(uscc))
            updates.removedWorking.insert(uscc)
            log("record \(uscc) \(what): removed from the store")
        } else if entry.hasWorkingFile {
            log("record \(uscc) \(what), but it has local edits: the file is kept; move it aside or delete it")
        }
    }

    func statUnchanged(_ uscc: String, _ entry: StatIndex.Entry) -> Bool {
        guard let stat = store.statRecordFile(uscc) else { return false }
        return Self.statUnchanged(entry, stat)
    }

    /// The working file, as `stat` shows it now, is as `entry` last saw it (and read it).
    static func statUnchanged(_ entry: StatIndex.Entry, _ stat: FileSystem.Stat) -> Bool {
        guard entry.size >= 0, !entry.isUnread else { return false }
        return stat.size == entry.size && stat.mtimeNs == entry.mtimeNs && stat.ctimeNs == entry.ctimeNs && stat.inode == entry.inode
    }

    /// Commits `batch` with the bases of `updates`. Bases dropped go first: a record file a
    /// tombstone removes must not outlive its base's drop, or the next push would ask to delete
    /// the record. Bases written go after the batch's record files, and not for those the batch
    /// skipped (see `AtomicBatch`); `basesFirst`: before the batch (the batch holds no guarded
    /// record file but a state that must not move ahead of the bases: a heal's).
    @discardableResult
    func commit(_ batch: AtomicBatch, _ updates: IndexUpdates, basesFirst: Bool = false) throws(AgentError) -> Set<String> {
        var updates = updates
        if !updates.written.isEmpty || !updates.removedWorking.isEmpty {
            do { try store.checkRecordsFolder() } catch {
                batch.abandon()
                throw error
            }
        }
        try store.writeBases(basesFirst ? updates.baseWrites.map { ($0.key, $0.value) } : [], dropped: Array(updates.removedBases))
        if basesFirst { updates.baseWrites = [:] }
        // Dropped before the files change, whether or not the commit goes through.
        if !updates.written.isEmpty || !updates.removedWorking.isEmpty { willChangeRecordFiles() }
        let skipped: Set<String>
        // Before any file is renamed into place (see `Scanner.noteWritten`).
        let committing = FileSystem.nowNs()
        do { skipped = try batch.commit() } catch {
            batch.abandon()
            throw error
        }
        for uscc in skipped {
            // Saved by someone while the merge was prepared: merge again on the next pull.
            log("record \(uscc): records/\(uscc).json changed during the merge; it is merged on the next pull")
            updates.written[uscc] = nil
            updates.bases[uscc] = nil
            updates.baseWrites[uscc] = nil
            state.deferred.insert(uscc)
        }
        // After the record files: a crash in between leaves a record file with the province's
        // version over its old base, which the next push sends as the province's own values
        // (answered as unchanged), never the reverse (an old record file over a new base would
        // send the old values back as the bureau's edits).
        try store.writeBases(updates.baseWrites.map { ($0.key, $0.value) }, dropped: [])
        CrashPoint.reach("bases.appended")
        for (uscc, document) in updates.written { scanner.noteWritten(uscc, document: document, before: committing, in: &index) }
        for (uscc, base) in updates.bases {
            // One look-up and one write of the entry (each field set through the subscript
            // copied, compared and wrote the 136-byte entry: a first upload does it per record).
            var entry = index.entries[uscc] ?? StatIndex.Entry()
            entry.baseHash = base.hash
            entry.baseRevision = base.revision
            index.entries[uscc] = entry
            let province = updates.provinceHashes[uscc]
            state.provinceHashes[uscc] = province == base.hash ? nil : province
        }
        for uscc in updates.removedBases {
            index.entries[uscc]?.baseHash = ""
            index.entries[uscc]?.baseRevision = -1
            state.provinceHashes[uscc] = nil
        }
        for uscc in updates.removedWorking { index.entries[uscc] = nil }
        if !(updates.written.isEmpty && updates.bases.isEmpty && updates.removedBases.isEmpty && updates.removedWorking.isEmpty) {
            indexDirty = true
        }
        try saveState()
        // The index is a cache that heals itself (a stale entry is re-read and diffed against
        // the real base), so a long push or pull rewrites it now and then, not per change set.
        if FileSystem.nowNs() - indexSavedAt > 10_000_000_000 { try saveIndex() }
        return skipped
    }

}
