import EnterpriseModel
import SyncCore

/// The province's decisions on this bureau's conflicts and delete requests, taken in at the end
/// of a pull: a decided field goes into the working copy unless the bureau edited it again since
/// (the new edit stays, and goes out with the next push), an approved delete removes the base, a
/// refused one brings the record back. Each record is settled alone, its state changed only once
/// its files are in place. Every decision learned is listed in the pull's summary and kept for
/// `status`, with who decided and the note.
struct DecisionSettler {
    let store: Store
    let writer: StoreWriter
    let province: ProvinceLink
    let log: (String) -> Void

    /// Fields parked for review and delete requests: once the province has decided, its
    /// decision is taken into the working copy — unless the bureau edited the field again
    /// since, in which case the new edit stays and goes out with the next push.
    func settle(_ summary: inout SyncEngine.PullSummary) throws(AgentError) {
        let waiting = Set(writer.state.parked.keys).union(writer.state.pendingDeletes.keys)
        for uscc in waiting.sorted() {
            var decided: [(field: String, parked: AgentState.Parked, conflict: ConflictView)] = []
            var deleteDecision: ConflictView?
            do {
                for (field, parked) in writer.state.parked[uscc] ?? [:] {
                    let conflict = try province.client().conflict(parked.conflictId)
                    if !conflict.isOpen { decided.append((field, parked, conflict)) }
                }
                if let id = writer.state.pendingDeletes[uscc] {
                    let conflict = try province.client().conflict(id)
                    if !conflict.isOpen { deleteDecision = conflict }
                }
            } catch .server(let refusal) where refusal.isNotVisible {
                log("record \(uscc): its conflicts are no longer visible to this bureau (\(refusal.brief)); no longer waiting")
                writer.state.parked[uscc] = nil
                writer.state.pendingDeletes[uscc] = nil
                continue
            }
            if decided.isEmpty && deleteDecision == nil { continue }
            guard let view = try province.record(uscc, log: log, refused: &summary.refusedFromProvince) else { continue }
            let file = store.recordFile(uscc)
            // One record at a time, and the state changes only once its files are in place: an
            // error or a stop in between leaves it waiting, to be settled on the next pull.
            let batch = AtomicBatch(anchor: store.statePath)
            var updates = StoreWriter.IndexUpdates()
            let knownRevision = writer.index.entries[uscc]?.baseRevision ?? view.revision
            if deleteDecision != nil && !view.deleted && !FileSystem.exists(file) {
                // The province kept the record: it comes back.
                try writer.stageWorking(uscc, view.document, expecting: .absent, batch: batch, updates: &updates)
                try writer.stageBase(uscc, revision: view.revision, document: view.document, batch: batch, updates: &updates)
            } else if deleteDecision != nil && view.deleted {
                writer.stageBaseRemoval(uscc, batch: batch, updates: &updates)
            }
            var takenIn: [String] = []
            if !decided.isEmpty, let stat = FileSystem.statFile(file), let mine = try? store.readRecord(uscc, validate: false) {
                var working = mine
                var base = (try? store.readBase(uscc))??.document ?? view.document
                let theirs = FieldPath.flatten(view.document)
                let current = FieldPath.flatten(mine)
                for d in decided {
                    if (current[d.field].map(ContentHash.of) ?? "") == d.parked.valueHash {
                        Self.take(d.field, from: theirs, into: &working)
                    }
                    Self.take(d.field, from: theirs, into: &base)
                    takenIn.append(d.field)
                }
                if working != mine { try writer.stageWorking(uscc, working, expecting: .unchanged(stat), batch: batch, updates: &updates) }
                // The base keeps the revision it had: other fields of a newer revision still
                // come with the next pull.
                try writer.stageBase(uscc, revision: knownRevision, document: base, batch: batch, updates: &updates)
                if view.revision == knownRevision { updates.provinceHashes[uscc] = ContentHash.of(view.document) }
            } else if !decided.isEmpty && !FileSystem.exists(file) {
                takenIn = decided.map(\.field)  // no working copy to take the decision into
            }
            let skipped = try writer.commit(batch, updates)
            guard !skipped.contains(uscc) else { continue }
            if let decision = deleteDecision {
                writer.state.pendingDeletes[uscc] = nil
                learned(.init(decision, field: "*", prefix: "delete request: "), &summary)
            }
            for d in decided where takenIn.contains(d.field) {
                writer.state.parked[uscc]?[d.field] = nil
                learned(.init(d.conflict, field: d.field), &summary)
                summary.divergent.removeAll { $0.uscc == uscc && $0.field == d.field }  // decided, not kept
            }
            if writer.state.parked[uscc]?.isEmpty == true { writer.state.parked[uscc] = nil }
            try writer.saveState()
        }
    }

    /// The decisions behind the conflicts a pulled page settled: asked for once, so that the
    /// bureau sees who decided and the note even when the decision was its own value. Only
    /// reported, so an error is logged and the pull goes on.
    func reportSettled(_ summary: inout SyncEngine.PullSummary) {
        for settled in writer.takeSettled() {
            do {
                let conflict = try province.client().conflict(settled.conflictId)
                guard !conflict.isOpen, conflict.status != "withdrawn" else { continue }
                learned(.init(conflict, field: settled.field, prefix: settled.field == "*" && conflict.kind == "delete" ? "delete request: " : ""), &summary)
            } catch {
                log("record \(settled.uscc): could not ask for the decision on conflict \(settled.conflictId): \(error)")
            }
        }
    }

    /// A decision taken in: listed in the pull's summary and kept for `status`.
    func learned(_ decision: AgentState.Decision, _ summary: inout SyncEngine.PullSummary) {
        summary.decisions.append(decision)
        writer.state.recentDecisions = (writer.state.recentDecisions + [decision]).suffix(AgentState.recentDecisionsKept)
    }

    /// Puts the province's value of `field` into `document`: the field itself, or the value of
    /// an ancestor the province holds as a leaf (srdi: null where the bureau had srdi.year), or
    /// nothing when the province has neither.
    static func take(_ field: String, from theirs: [String: JSONValue], into document: inout JSONValue) {
        if let value = theirs[field] {
            FieldPath.set(&document, path: field, to: value)
            return
        }
        var end = field.startIndex
        while let dot = field[end...].firstIndex(of: ".") {
            let ancestor = String(field[..<dot])
            if let value = theirs[ancestor] {
                FieldPath.set(&document, path: ancestor, to: value)
                return
            }
            end = field.index(after: dot)
        }
        FieldPath.set(&document, path: field, to: nil)
    }
}
