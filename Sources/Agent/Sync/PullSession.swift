import EnterpriseModel
import SyncCore

/// One pull: the pages of the region's change feed merged into the store one at a time, each
/// committed with its cursor, and the summary of what came. Made for each pull, with what it
/// must know from the start (a full pull; a store set up from the province's copy, which needs
/// even the revisions it wrote itself).
struct PullSession {
    let full: Bool
    /// Ask for the documents of this bureau's own revisions too (`ProvinceAPI.changes`, `own`).
    let setUpFromProvince: Bool
    let store: Store
    let writer: StoreWriter
    let province: ProvinceLink
    let clock: BureauClock
    let log: (String) -> Void
    var summary = SyncEngine.PullSummary()

    /// Merges one page of the feed (`refused`: its records `ProvinceAnswers` did not take) and
    /// moves the cursor past it, durably.
    mutating func take(_ page: ChangePage, refused: [RefusedRecord]) throws(AgentError) {
        summary.pages += 1
        summary.received += page.records.count + refused.count
        RefusedRecord.note(log: log, refused, into: &summary.refusedFromProvince)
        clock.hear(page.clock, &writer.state.clock)
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = StoreWriter.IndexUpdates(reservingBasesFor: page.records.count)
        var echoes: [String] = []
        for record in page.records {
            if record.echo {
                // A revision this bureau wrote: nothing to fetch when the base has it
                // (its hash, or without one its revision: checked against the push
                // answer's hash when it was merged).
                if let entry = writer.index.entries[record.uscc], entry.hasBase,
                   record.hash.map({ entry.baseHash == $0 }) ?? (entry.baseRevision >= record.revision) {
                    summary.skipped += 1
                    if record.hash != nil { writer.state.provinceHashes[record.uscc] = nil }  // the base is the province's
                    if entry.baseRevision < record.revision { writer.index.entries[record.uscc]?.baseRevision = record.revision; writer.indexDirty = true }
                } else if full || (writer.index.entries[record.uscc]?.baseRevision ?? -1) < record.revision {
                    echoes.append(record.uscc)
                } else {
                    summary.skipped += 1
                }
                continue
            }
            if record.deleted || record.document == nil {
                writer.stageTombstone(record, batch: batch, updates: &updates)
                continue
            }
            if !full, let entry = writer.index.entries[record.uscc], entry.baseRevision >= record.revision, entry.invalidReason == nil {
                summary.skipped += 1
                continue
            }
            let divergent = try writer.stage(uscc: record.uscc, theirs: record.document!, revision: record.revision, mergeBase: nil, batch: batch, updates: &updates)
            summary.merged += 1
            summary.divergent += divergent.map { (record.uscc, $0) }
        }
        // Own revisions the base does not match (a crash before the answer was merged,
        // or fields still divergent): fetched one by one and merged like any other.
        for uscc in echoes {
            guard let view = try province.record(uscc, log: log, refused: &summary.refusedFromProvince) else { continue }
            let divergent = try writer.stage(uscc: uscc, theirs: view.document, revision: view.revision, mergeBase: nil, batch: batch, updates: &updates)
            summary.merged += 1
            summary.divergent += divergent.map { (uscc, $0) }
        }
        try writer.commit(batch, updates)
        CrashPoint.reach("pull.committed")
        writer.state.cursor = page.cursor
        try writer.saveState()
    }

    /// Records whose pulled version could not be merged because their file was invalid: once the
    /// file is fixed, fetch the province's version again and merge it.
    mutating func retryDeferred() throws(AgentError) {
        guard !writer.state.deferred.isEmpty else { return }
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = StoreWriter.IndexUpdates()
        for uscc in writer.state.deferred.sorted() where writer.index.entries[uscc]?.invalidReason == nil {
            let view: RecordView
            do {
                // A refused answer leaves the record waiting, to be asked for again on the next pull.
                guard let fetched = try province.record(uscc, log: log, refused: &summary.refusedFromProvince) else { continue }
                view = fetched
            } catch .server(let refusal) where refusal.isNotVisible {
                log("record \(uscc): the province no longer gives it to this bureau (\(refusal.brief)); left as it is")
                writer.state.deferred.remove(uscc)
                continue
            }
            writer.state.deferred.remove(uscc)
            let divergent = try writer.stage(uscc: uscc, theirs: view.document, revision: view.revision, mergeBase: nil, batch: batch, updates: &updates)
            summary.merged += 1
            summary.divergent += divergent.map { (uscc, $0) }
        }
        try writer.commit(batch, updates)
    }
}
