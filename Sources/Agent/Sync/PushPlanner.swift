import EnterpriseModel
import Foundation
import SyncCore

/// What a push would send: the working copy scanned, and each record that differs from its base
/// made into a record change, except what must wait (a change set the province holds, a
/// transfer waiting for approval, content the province refused before, a value parked for
/// review, a delete request already made). A file renamed away from its credit code is an
/// invalid file, not a delete.
struct PushPlanner {
    let config: AgentConfig
    let store: Store
    let writer: StoreWriter

    /// What a scan found for a push, before its changes are made: the scan, the held records so
    /// far, the records in held change sets, and how many records the province has that it
    /// changes or deletes (its `PushSession.changes`).
    struct PushPlan {
        var diff = SyncEngine.Diff()
        var inHeldSet: [String: String] = [:]
        var existingChanges = 0
    }

    /// Scans the working copy for a push (renamed files are not deletes), from `snapshot` when
    /// one was taken ahead.
    func plan(snapshot: (any FileListing)?) throws(AgentError) -> PushPlan {
        var plan = PushPlan()
        plan.diff.scan = try writer.scanner.scan(&writer.index, snapshot: snapshot, deferNew: true)
        if plan.diff.scan.indexChanged { writer.indexDirty = true }
        for (id, codes) in writer.state.heldChangeSets { for uscc in codes { plan.inHeldSet[uscc] = id } }
        let renamed = renamedRecords(&plan.diff.scan)
        plan.diff.scan.deleted.removeAll { renamed[$0] != nil }
        let inHeldSet = plan.inHeldSet
        plan.existingChanges = plan.diff.scan.changed.keys.count { key in
            writer.index.entries.withEntry(key) { $0?.pointee.hasBase == true } && (inHeldSet.isEmpty || inHeldSet[key.text] == nil)
        }
            + plan.diff.scan.deleted.filter { inHeldSet[$0] == nil && writer.state.pendingDeletes[$0] == nil }.count
        return plan
    }

    /// Hands each record change of `plan` to `emit` with the base it was diffed against, in
    /// credit-code order, without holding them all (a first push of a large store seals as it
    /// goes). Adds the invalid files and the held records to `plan.diff`. A new file the scan
    /// left unread (`StatIndex.Entry.isUnread`) is read, validated and noted in the index here, once.
    /// (The base is nil for a new record, and not given for a delete. The working copy is given
    /// as it was parsed for the diff, when its canonical bytes were made: not for a delete, nor
    /// for a file the scan did not keep and that is read again here.)
    /// `whole`: asked for each new record, whether to send it whole (`RecordChange.document`,
    /// to a province that takes it) rather than field by field.
    func emitChanges(_ plan: inout PushPlan, whole: () -> Bool = { false },
                     _ emit: (RecordChange, Store.Base??, Scanner.Parsed?) throws(AgentError) -> Void) throws(AgentError) {
        let inHeldSet = plan.inHeldSet
        var diff = plan.diff
        defer { plan.diff = diff }
        for uscc in diff.scan.changed {
            var kept = diff.scan.documents.removeValue(forKey: uscc)
            if let unread = writer.index.entries[uscc], unread.isUnread {
                diff.scan.filesRead += 1
                let read = writer.scanner.noteRead(uscc, stat: unread.unreadStat, takenNs: diff.scan.takenNs, into: StatIndex.Entry(),
                                                   in: &writer.index, report: &diff.scan, keep: false)
                writer.indexDirty = true
                guard let parsed = read.parsed else {
                    diff.scan.invalid.append((file: "records/" + Store.fileName(for: uscc), reason: String(read.hash.dropFirst())))
                    continue
                }
                kept = parsed
            }
            let entry = writer.index.entries[uscc]!
            if let id = inHeldSet[uscc] {
                diff.held.append((uscc, "in change set \(id), held for the province's approval (mass-change guard)"))
                continue
            }
            if let transfer = writer.state.parked[uscc]?["region"] {
                diff.held.append((uscc, "a transfer to another region waits for the province's approval (conflict \(transfer.conflictId))"))
                continue
            }
            if let rejection = writer.state.rejected[uscc], rejection.hash == entry.docHash {
                diff.held.append((uscc, "refused by the province: \(rejection.reason) (edit the file to send it again)"))
                continue
            }
            // Parsed by the scan already (or just above), or read now.
            let working: JSONValue
            if let kept {
                working = kept.document
            } else {
                do { working = try store.readRecord(uscc) } catch {
                    diff.scan.invalid.append((file: "records/" + Store.fileName(for: uscc), reason: "\(error)"))
                    continue
                }
            }
            let base: Store.Base?
            do { base = try store.readBase(uscc) } catch {
                diff.scan.invalid.append((file: "records/" + Store.fileName(for: uscc), reason: "\(error)"))
                continue
            }
            // Another region in a record the province knows is a transfer request (sent, and
            // held by the province until approved); in a new record it is a mistake.
            if let region = working["region"]?.stringValue, region != config.region, base == nil {
                diff.scan.invalid.append((file: "records/" + Store.fileName(for: uscc),
                                          reason: RecordFiles.otherRegion(region, bureau: config.region, uscc: nil)))
                continue
            }
            if base == nil, writer.state.parked[uscc] == nil, case .object(let members) = working, !members.isEmpty, whole() {
                try emit(RecordChange(uscc: uscc, creating: working, canonical: kept?.canonical), .some(base), kept)
                continue
            }
            guard var change = RecordDiff.change(uscc: uscc, base: base?.document, baseRevision: base?.revision, working: working) else {
                writer.index.entries[uscc]?.baseHash = entry.docHash  // a stale index: nothing changed after all
            writer.indexDirty = true
                continue
            }
            // A value already parked for review is not sent again; a new edit of that field is.
            if let parked = writer.state.parked[uscc] {
                for (field, p) in parked where change.fields[field]?.value.map(ContentHash.of) == p.valueHash {
                    change.fields[field] = nil
                }
                if change.fields.isEmpty { continue }  // listed by `status` as waiting for review
            }
            try emit(change, .some(base), kept)
        }
        diff.scan.documents = [:]
        diff.scan.invalid.sort { $0.file < $1.file }
        for uscc in diff.scan.deleted {
            if let id = inHeldSet[uscc] {
                diff.held.append((uscc, "in change set \(id), held for the province's approval (mass-change guard)"))
                continue
            }
            if let conflict = writer.state.pendingDeletes[uscc] {
                diff.held.append((uscc, "delete request waits for the province (conflict \(conflict))"))
                continue
            }
            guard let base = try? store.readBase(uscc),
                  let change = RecordDiff.change(uscc: uscc, base: base.document, baseRevision: base.revision, working: nil)
            else { continue }
            try emit(change, .none, nil)
        }
    }

    /// Records whose file was renamed (`mv CODE.json other.json`): the file under the other
    /// name is an invalid file and nothing else, so the record it holds is not deleted. Its
    /// entry in `scan.invalid` says which record it holds and how to put it back.
    func renamedRecords(_ scan: inout ScanReport) -> [String: String] {
        guard !scan.deleted.isEmpty, !scan.invalid.isEmpty else { return [:] }
        let deleted = Set(scan.deleted)
        var renamed: [String: String] = [:]
        for n in scan.invalid.indices {
            let file = scan.invalid[n].file
            guard let bytes = FileManager.default.contents(atPath: store.root + "/" + file),
                  let uscc = (try? JSONValue.parse(bytes))?["uscc"]?.stringValue, deleted.contains(uscc), renamed[uscc] == nil,
                  file != "records/" + Store.fileName(for: uscc) else { continue }
            renamed[uscc] = file
            scan.invalid[n].reason += "; it holds record \(uscc), whose file \(Store.fileName(for: uscc)) is gone: a record file must be named after its credit code (rename it back to \(Store.fileName(for: uscc))); the record is not deleted"
        }
        return renamed
    }
}
