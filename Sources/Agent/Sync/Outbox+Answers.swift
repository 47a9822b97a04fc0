import EnterpriseModel
import Foundation
import SyncCore

/// The province's answer to a change set it applied, taken into the store: the working copy
/// merged with the province's version against what both agreed on, the records refused or
/// parked noted in the state.
extension Outbox {
    /// The hash of the working copy as it was when `record` was sealed: the base with the sent
    /// values in place (a delete: "" — no working file).
    func sentContentHash(_ record: RecordChange, base: JSONValue?) -> String {
        record.op == .delete ? "" : ContentHash.of(sentDocument(record, base: base))
    }

    /// The working copy as `record` sent it: `base` with the sent fields in place (a record
    /// sent whole over no base: its document).
    func sentDocument(_ record: RecordChange, base: JSONValue?) -> JSONValue {
        if base == nil, let document = record.document { return document }
        return RecordDiff.apply(record.sentFields, to: base)
    }

    func integrate(_ result: ChangeSetResult, sent: ChangeSet, session: inout PushSession) throws(AgentError) {
        // Where each record is in `sent` (the last one of a code): the changes are not copied.
        let sentIndex = Dictionary(sent.records.indices.map { (sent.records[$0].uscc, $0) }, uniquingKeysWith: { $1 })
        // A record sent that the answer does not speak of (its part was refused, `ProvinceAnswers`)
        // is fetched by the next pull (`PullSession.retryDeferred`): with the outbox empty, its
        // echo no longer comes (`EchoForm.none`).
        let answered = Set(result.records.map(\.uscc))
        for uscc in sentIndex.keys where !answered.contains(uscc) { writer.state.deferred.insert(uscc) }
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = StoreWriter.IndexUpdates(reservingBasesFor: result.records.count)
        for record in result.records {
            let uscc = record.uscc
            let diffed = session.takeDiffed(uscc)
            let oldBase = diffed.map(\.base) ?? ((try? store.readBase(uscc)) ?? nil)
            let change = sentIndex[uscc].map { sent.records[$0] }
            switch record.outcome {
            case .rejected:
                let reason = record.reason ?? "refused"
                session.summary.rejected.append((uscc, reason))
                writer.state.rejected[uscc] = .init(hash: change.map { sentContentHash($0, base: oldBase?.document) } ?? "", reason: reason)
                log("record \(uscc) refused by the province: \(reason)")
                continue
            case .deleteRequested:
                session.summary.deleteRequests += 1
                writer.state.pendingDeletes[uscc] = record.conflicts.first?.conflictId ?? 0
                continue
            case .applied, .partial, .conflict, .unchanged:
                if record.outcome == .unchanged { session.summary.unchanged += 1 } else if record.outcome != .conflict { session.summary.applied += 1 }
            }
            writer.state.rejected[uscc] = nil
            // (The fields of a record sent whole are made only when needed.)
            var sentFields: [String: FieldChange]?
            func fields() -> [String: FieldChange] {
                if sentFields == nil { sentFields = change?.sentFields ?? [:] }
                return sentFields!
            }
            for c in record.conflicts {
                session.summary.conflicts.append((uscc, c.field, c.conflictId))
                writer.state.parked[uscc, default: [:]][c.field] = .init(conflictId: c.conflictId, valueHash: fields()[c.field]?.value.map(ContentHash.of) ?? "")
            }
            guard var revision = record.revision else { continue }
            // A pull already brought newer (looked at in place: an entry is 136 bytes).
            if let known = writer.index.entries.withEntry(StatIndex.Key(uscc), { $0?.pointee.baseRevision }), known > revision { continue }
            // What the bureau and the province agreed on is the base with the sent values in
            // place (except those parked): merging against it keeps edits made after sealing.
            // Only what the province applied (or already had) is agreed: a field parked, refused
            // by the policy, or held with a transfer request stays the bureau's pending edit.
            var document = record.document
            if document == nil, let hash = record.hash {
                // Left out of the answer: the province holds the base with every sent field in
                // place. Rebuilt here, and fetched only when it is not what the hash says.
                // (A hash may be cut short: see `AnswerForm.shortHashes`.) Usually it is the
                // working copy the diff parsed: its bytes and hash are made already.
                func held(_ candidate: Scanner.Parsed) -> Bool { hash.count >= AnswerForm.shortHashLength && candidate.hash.hasPrefix(hash) }
                var agreed = diffed?.working.flatMap { held($0) ? $0 : nil }
                if agreed == nil, let change {
                    let rebuilt = sentDocument(change, base: oldBase?.document)
                    let bytes = rebuilt.canonicalBytes()
                    let candidate = Scanner.Parsed(document: rebuilt, canonical: bytes, hash: ContentHash.of(bytes: bytes))
                    if held(candidate) { agreed = candidate }
                }
                if let agreed {
                    try writer.stage(uscc: uscc, theirs: agreed.document, revision: revision, mergeBase: agreed.document,
                                     mergeBaseHash: agreed.hash, theirsHash: agreed.hash, theirsBytes: agreed.canonical, batch: batch,
                                     updates: &updates)
                    continue
                }
                log("record \(uscc): the province's answer is not the base with the sent fields in place; fetching the record")
                guard let view = try province.record(uscc, log: log, refused: &session.summary.refusedFromProvince) else {
                    writer.state.deferred.insert(uscc)  // (fetched again by the next pull, as above)
                    continue
                }
                document = view.document
                revision = view.revision
            }
            guard let document else { continue }
            let theirsLeaves = FieldPath.flatten(document)
            let appliedPaths = Set(record.applied)
            let agreed = RecordDiff.apply(fields().filter { appliedPaths.contains($0.key) || theirsLeaves[$0.key] == $0.value.value }, to: oldBase?.document)
            try writer.stage(uscc: uscc, theirs: document, revision: revision, mergeBase: agreed, batch: batch, updates: &updates)
        }
        try writer.commit(batch, updates)
    }
}
