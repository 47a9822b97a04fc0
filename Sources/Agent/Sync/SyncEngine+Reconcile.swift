import EnterpriseModel
import Foundation
import SyncCore

/// `esync-agent reconcile`: a store the province does not recognise (recreated, or restored from
/// a backup) compared record by record with the province's copy of its region, and with
/// `--apply` brought back into the sync without losing an edit on either side.
extension SyncEngine {
    /// The province's side of one record, as the change feed last gave it.
    enum ProvinceCopy {
        /// A live record; `document` only when it differs from the working copy.
        case live(revision: Int64, document: JSONValue?)
        case gone(revision: Int64, movedTo: String?)
    }

    /// Compares the store with the province's copy of the region (read in full through the change
    /// feed, without the store's identity, so it works while the province refuses the store) and,
    /// with `apply`, reconciles them. The report is saved under `.esync/reconcile/` either way.
    public func reconcile(apply: Bool) throws(AgentError) -> (report: ReconcileReport, savedTo: String) {
        var report = try reconcileReport()
        if apply {
            report.applied = try applyReconcile(report)
        }
        let saved = try save(report)
        try saveIndex()
        return (report, saved)
    }

    func reconcileReport() throws(AgentError) -> ReconcileReport {
        let registration = try client().storeRegistration()
        if try scanner.scan(&index).indexChanged { indexDirty = true }
        scanned = true
        // Judged as the province would, for the next pull and for each change set the outbox would send.
        let verdicts = [durableIdentity?.judge(against: registration)] + (try outboxFiles()).map { name in
            outbox.identity(sending: name)?.judge(against: registration, changeSetID: Outbox.changeSetID(ofOutboxFile: name))
        }
        var report = ReconcileReport(region: config.region, store: store.root, at: Self.timestamp(), identity: durableIdentity,
                                     province: registration, verdict: verdicts.lazy.compactMap { $0 }.first)
        let copies = try provinceCopy()
        report.recordsHere = index.entries.values.filter(\.hasWorkingFile).count
        report.recordsAtProvince = copies.values.filter { if case .live = $0 { true } else { false } }.count
        for uscc in Set(index.entries.keys).union(copies.keys).sorted() {
            if let record = try compare(uscc, copies[uscc]) { report.records.append(record) } else if index.entries[uscc]?.hasWorkingFile == true { report.agreeing += 1 }
            if copies[uscc] == nil, let entry = index.entries[uscc], entry.hasWorkingFile, entry.hasBase, entry.invalidReason == nil {
                report.unknownAtProvince.append(uscc)
            }
        }
        for name in try outboxFiles() {
            let records = (try? ChangeSet.decode(try FileSystem.read(store.outboxPath + "/" + name)))?.records.count
            report.outbox.append("\(name) (\(records.map { plural($0, "record") } ?? "? records"))")
        }
        return report
    }

    /// Every record of the region at the province, in change order (a later entry of the same
    /// record wins: a record that moved away and back). Documents are kept only where they
    /// differ from the working copy.
    func provinceCopy() throws(AgentError) -> [String: ProvinceCopy] {
        var copies: [String: ProvinceCopy] = [:]
        var cursor: Int64 = 0
        while true {
            let (page, refused) = try client().changes(since: cursor, limit: config.pageSize, own: true)
            for record in refused { log(record.description) }
            for record in page.records {
                if record.deleted || record.document == nil {
                    copies[record.uscc] = .gone(revision: record.revision, movedTo: record.movedTo)
                } else {
                    let same = index.entries[record.uscc]?.docHash == ContentHash.of(record.document!)
                    copies[record.uscc] = .live(revision: record.revision, document: same ? nil : record.document)
                }
            }
            cursor = page.cursor
            if !page.more { return copies }
        }
    }

    /// What differs for one record and what `--apply` does about it; nil when nothing differs.
    func compare(_ uscc: String, _ copy: ProvinceCopy?) throws(AgentError) -> ReconcileReport.Record? {
        let entry = index.entries[uscc] ?? StatIndex.Entry()
        if let reason = entry.invalidReason {
            return .init(uscc: uscc, action: .wait, note: "records/\(uscc).json is invalid (\(reason)): the province's version is merged once it is fixed")
        }
        switch copy {
        case .live(_, nil) where entry.hasWorkingFile:
            return nil
        case .live(let revision, let document?):
            if !entry.hasWorkingFile {
                return entry.hasBase
                    ? .init(uscc: uscc, action: .push, note: "its file was deleted here: a delete request is sent (the province decides)")
                    : .init(uscc: uscc, action: .pull, note: "new at the province (revision \(revision)): the file is written")
            }
            let mine = try store.readRecord(uscc, validate: false)
            let base = (try? store.readBase(uscc))??.document
            return fieldPlan(uscc, base: base, theirs: document, mine: mine, revision: revision)
        case .live:
            return nil
        case .gone(let revision, let movedTo):
            let what = movedTo.map { "moved to region \($0)" } ?? "deleted at the province"
            guard entry.hasWorkingFile else { return nil }
            if entry.hasBase && entry.docHash == entry.baseHash {
                return .init(uscc: uscc, action: .pull, note: "\(what) (revision \(revision)): the file is removed")
            }
            return .init(uscc: uscc, action: .keep, note: "\(what) (revision \(revision)), but the file differs from what the province last acknowledged: it is kept and sent as a new record"
                         + (movedTo == nil ? " (the province decides)" : ", which the province refuses: move it aside or ask region \(movedTo!)"))
        case nil:
            guard entry.hasWorkingFile else { return nil }
            return .init(uscc: uscc, action: .push, note: entry.hasBase
                         ? "the province has no record of it in region \(config.region): its base is dropped and it is sent as a new record"
                         : "new here: sent as a new record")
        }
    }

    /// The field-by-field plan for a record both sides hold, as the merge of `pull --full`
    /// and the next push will carry it out (see `ThreeWayMerge`).
    func fieldPlan(_ uscc: String, base: JSONValue?, theirs: JSONValue, mine: JSONValue, revision: Int64) -> ReconcileReport.Record {
        let b = base.map(FieldPath.flatten) ?? [:], t = FieldPath.flatten(theirs), m = FieldPath.flatten(mine)
        var fields: [ReconcileReport.Field] = []
        for path in Set(b.keys).union(t.keys).union(m.keys).sorted() {
            let action: ReconcileReport.Action
            switch ThreeWayMerge.outcome(base: b[path], theirs: t[path], mine: m[path]) {
            case .same: continue
            case .takeTheirs: action = .pull
            case .keepMine: action = .push
            case .divergent: action = .policy
            }
            fields.append(.init(field: path, action: action, here: m[path], province: t[path], base: b[path]))
        }
        let actions = Set(fields.map(\.action))
        let action: ReconcileReport.Action = actions.contains(.policy) ? .policy : actions == [.pull] ? .pull : actions == [.push] ? .push : .pushAndPull
        let note = base == nil
            ? "province revision \(revision); no common version here (the store was made anew): every field that differs goes to the field policy"
            : "province revision \(revision)"
        return .init(uscc: uscc, action: action, note: note, fields: fields)
    }

    /// `--apply`: a new epoch (saved before the province hears of it), registered in place of
    /// the one the province knows; records the province has no record of lose their base so they
    /// go as new records; then the merge of the province's full copy, a push of the bureau's
    /// edits and a pull.
    func applyReconcile(_ report: ReconcileReport) throws(AgentError) -> [String] {
        var lines: [String] = []
        state.epoch = AgentState.makeEpoch()
        state.cursor = 0
        state.highestCursor = 0
        try saveState()
        let registered = try register(replacing: report.province?.epoch)
        lines.append("new epoch \(registered.epoch) registered at the province" + (registered.replaced.map { " in place of \($0)" } ?? ""))
        // The outbox of a restored store holds change sets sealed before the backup, some perhaps
        // applied since by the store it replaces: set aside (their edits are still in the
        // working files, and the push below seals them again against the province's copy).
        // The next change set follows the last one the province accepted from this token.
        let aside = try setAsideOutbox()
        if aside > 0 { lines.append("\(plural(aside, "change set")) of the old outbox set aside in .esync/reconcile/; their edits are sent again from the files") }
        if let head = registered.chainHead {
            state.chainHead = head
            outbox.lastSealedHash = head
            try saveState()
        }
        try writer.dropBases(report.unknownAtProvince)
        try saveIndex()
        let full = try pull(full: true)
        lines.append("pull --full: \(full.line)")
        let pushed = try push()
        lines.append("push: \(pushed.line)")
        lines += pushed.conflicts.map { "  \($0.uscc) \($0.field): waits for the province's review (conflict \($0.conflictId))" }
        lines += pushed.rejected.map { "  \($0.uscc): refused: \($0.reason)" }
        let pulled = try pull()
        lines.append("pull: \(pulled.line)")
        log("store reconciled: epoch \(registered.epoch)")
        return lines
    }

    /// Moves the outbox's files to `.esync/reconcile/outbox-TIME/`; returns how many.
    /// `keeping`: outbox files left where they are.
    func setAsideOutbox(keeping: Set<String> = []) throws(AgentError) -> Int {
        let files = try outboxFiles().filter { !keeping.contains($0) }
        guard !files.isEmpty else { return 0 }
        let folder = store.statePath + "/reconcile/outbox-" + Self.timestamp().filter { $0.isNumber }
        try FileSystem.makeDirectories(folder)
        for name in files where rename(store.outboxPath + "/" + name, folder + "/" + name) != 0 {
            throw .io(path: store.outboxPath + "/" + name, operation: "move aside to \(folder)", errno: errno)
        }
        try FileSystem.syncDirectory(of: store.outboxPath + "/x")
        state.heldChangeSets = [:]
        return files.count
    }

    /// Saves the report as text and JSON under `.esync/reconcile/`; returns the text file's path.
    func save(_ report: ReconcileReport) throws(AgentError) -> String {
        let folder = store.statePath + "/reconcile"
        try FileSystem.makeDirectory(folder)
        let stamp = String(report.at.filter { $0.isNumber || $0 == "T" || $0 == "Z" })
        let path = folder + "/\(stamp)\(report.applied == nil ? "" : "-applied")"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json: Data
        do { json = try encoder.encode(report) } catch { throw .corruptState(path: path + ".json", reason: "cannot encode the report: \(error)") }
        try FileSystem.writeAtomically(path + ".json", Array(json) + [0x0A])
        try FileSystem.writeAtomically(path + ".txt", Array((report.text + "\n").utf8))
        return path + ".txt"
    }
}
