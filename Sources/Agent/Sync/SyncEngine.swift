import EnterpriseModel
import Foundation
import SyncCore

/// Push, pull and diff of one store against the province. Not thread-safe: one engine, one
/// thread, under the store's lock for anything that changes the store.
public final class SyncEngine {
    public let config: AgentConfig
    public let store: Store
    public private(set) var index: StatIndex
    public private(set) var state: AgentState
    let scanner: Scanner
    private var clientStorage: ProvinceClient?
    /// One line per event, for the command line and the daemon's log.
    public var log: (String) -> Void = { _ in }

    public init(config: AgentConfig, store: Store, client: ProvinceClient? = nil) throws(AgentError) {
        self.config = config
        self.store = store
        self.scanner = Scanner(store: store)
        self.clientStorage = client
        self.state = try AgentState.load(from: store.stateFilePath)
        do {
            if FileSystem.exists(store.indexPath) {
                index = try StatIndex.load(from: store.indexPath)
            } else {
                index = try Self.rebuildIndex(store)
            }
        } catch {
            // The index is a cache: a damaged one is rebuilt from the base files.
            index = try Self.rebuildIndex(store)
        }
        if state.region != config.region {
            throw .config("\(config.configPath): region \(config.region) but the store at \(store.root) belongs to region \(state.region)")
        }
    }

    static func rebuildIndex(_ store: Store) throws(AgentError) -> StatIndex {
        var index = StatIndex()
        for name in try FileSystem.list(store.basePath) where name.hasSuffix(".json") {
            let uscc = String(name.dropLast(5))
            guard let base = try store.readBase(uscc) else { continue }
            var entry = StatIndex.Entry()
            entry.baseHash = ContentHash.of(base.document)
            entry.baseRevision = base.revision
            index.entries[uscc] = entry
        }
        return index
    }

    func client() throws(AgentError) -> ProvinceClient {
        if let clientStorage { return clientStorage }
        let made = try ProvinceClient(config: config)
        clientStorage = made
        return made
    }

    public func saveIndex() throws(AgentError) { try index.save(to: store.indexPath) }
    func saveState() throws(AgentError) { try state.save(to: store.stateFilePath) }

    // MARK: - Diff

    public struct Diff: Sendable {
        public var changes: [RecordChange] = []
        public var scan = ScanReport()
        /// Records not sent: invalid for this bureau (another region) or refused before with
        /// the same content.
        public var held: [(uscc: String, reason: String)] = []
    }

    /// The change set a push would send now, without sealing it.
    public func diff() throws(AgentError) -> Diff {
        var diff = Diff()
        diff.scan = try scanner.scan(&index)
        for uscc in diff.scan.changed {
            let entry = index.entries[uscc]!
            if let rejection = state.rejected[uscc], rejection.hash == entry.docHash {
                diff.held.append((uscc, "refused by the province: \(rejection.reason) (edit the file to send it again)"))
                continue
            }
            let working: JSONValue
            do { working = try store.readRecord(uscc) } catch {
                diff.scan.invalid.append((file: "records/" + Store.fileName(for: uscc), reason: "\(error)"))
                continue
            }
            if let region = working["region"]?.stringValue, region != config.region {
                let name = Regions.region(code: region)?.name ?? "?"
                diff.scan.invalid.append((file: "records/" + Store.fileName(for: uscc),
                                          reason: "field region: \(region) (\(name)) is not this bureau's region \(config.region); a move between regions is a transfer the province approves"))
                continue
            }
            let base = try store.readBase(uscc)
            guard var change = RecordDiff.change(uscc: uscc, base: base?.document, baseRevision: base?.revision, working: working) else {
                index.entries[uscc]?.baseHash = entry.docHash  // a stale index: nothing changed after all
                continue
            }
            // A value already parked for review is not sent again; a new edit of that field is.
            if let parked = state.parked[uscc] {
                for (field, p) in parked where change.fields[field]?.value.map(ContentHash.of) == p.valueHash {
                    change.fields[field] = nil
                }
                if change.fields.isEmpty { continue }  // listed by `status` as waiting for review
            }
            diff.changes.append(change)
        }
        for uscc in diff.scan.deleted {
            if let conflict = state.pendingDeletes[uscc] {
                diff.held.append((uscc, "delete request waits for the province (conflict \(conflict))"))
                continue
            }
            guard let base = try store.readBase(uscc),
                  let change = RecordDiff.change(uscc: uscc, base: base.document, baseRevision: base.revision, working: nil)
            else { continue }
            diff.changes.append(change)
        }
        return diff
    }

    // MARK: - Push

    public struct PushSummary: Sendable {
        public var changeSetsSent = 0
        public var recordsSent = 0
        public var applied = 0
        public var unchanged = 0
        public var conflicts: [(uscc: String, field: String, conflictId: Int64)] = []
        public var rejected: [(uscc: String, reason: String)] = []
        public var deleteRequests = 0
        public var invalid: [(file: String, reason: String)] = []
        public var held: [(uscc: String, reason: String)] = []
        public var filesRead = 0
    }

    /// Sends what waits in the outbox, then seals the store's new changes and sends them.
    public func push() throws(AgentError) -> PushSummary {
        var summary = PushSummary()
        do {
            try sendOutbox(&summary)
            let diff = try diff()
            summary.invalid = diff.scan.invalid
            summary.held = diff.held
            summary.filesRead = diff.scan.filesRead
            try saveIndex()
            if !diff.changes.isEmpty {
                try seal(diff.changes)
                try sendOutbox(&summary)
            }
            state.lastPush = .init(at: Self.timestamp(), ok: true, summary: summary.line)
            try saveState()
            return summary
        } catch {
            state.lastPush = .init(at: Self.timestamp(), ok: false, summary: error.description)
            try? saveState()
            throw error
        }
    }

    /// Seals changes into the outbox (durably) before anything is sent, in change sets of at
    /// most `maxRecordsPerChangeSet` records.
    func seal(_ changes: [RecordChange]) throws(AgentError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var start = 0
        while start < changes.count {
            let chunk = Array(changes[start..<min(start + config.maxRecordsPerChangeSet, changes.count)])
            start += chunk.count
            let changeSet = ChangeSet(id: UUID().uuidString.lowercased(), region: config.region, createdAt: Self.timestamp(),
                                      agent: "esync-agent/\(AgentVersion.current)", records: chunk)
            let bytes: Data
            do { bytes = try encoder.encode(changeSet) } catch { throw .protocolError(url: store.outboxPath, reason: "cannot encode a change set: \(error)") }
            state.outboxSequence += 1
            let name = String(format: "%012lld-%@.json", state.outboxSequence, changeSet.id)
            try FileSystem.writeAtomically(store.outboxPath + "/" + name, Array(bytes))
            try saveState()
            log("sealed change set \(changeSet.id) with \(chunk.count) records")
        }
    }

    public func outboxFiles() throws(AgentError) -> [String] {
        try FileSystem.list(store.outboxPath).filter { $0.hasSuffix(".json") }.sorted()
    }

    func sendOutbox(_ summary: inout PushSummary) throws(AgentError) {
        for name in try outboxFiles() {
            let path = store.outboxPath + "/" + name
            let bytes = try FileSystem.read(path)
            let result = try client().push(bytes)
            summary.changeSetsSent += 1
            summary.recordsSent += result.records.count
            let sent = try? JSONDecoder().decode(ChangeSet.self, from: Data(bytes))
            try integrate(result, sent: sent, into: &summary)
            // Only now, with base and working copy durable, is the change set done.
            try FileSystem.remove(path)
            try FileSystem.syncDirectory(of: path)
            log("change set \(result.id) acknowledged\(result.replayed ? " (replayed)" : ""): \(result.records.count) records")
        }
    }

    func integrate(_ result: ChangeSetResult, sent: ChangeSet?, into summary: inout PushSummary) throws(AgentError) {
        let sentFields = Dictionary((sent?.records ?? []).map { ($0.uscc, $0.fields) }, uniquingKeysWith: { $1 })
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = IndexUpdates()
        for record in result.records {
            let uscc = record.uscc
            switch record.outcome {
            case .rejected:
                let reason = record.reason ?? "refused"
                summary.rejected.append((uscc, reason))
                state.rejected[uscc] = .init(hash: index.entries[uscc]?.docHash ?? "", reason: reason)
                log("record \(uscc) refused by the province: \(reason)")
                continue
            case .deleteRequested:
                summary.deleteRequests += 1
                state.pendingDeletes[uscc] = record.conflicts.first?.conflictId ?? 0
                continue
            case .applied, .partial, .conflict, .unchanged:
                if record.outcome == .unchanged { summary.unchanged += 1 } else if record.outcome != .conflict { summary.applied += 1 }
            }
            state.rejected[uscc] = nil
            let sent = sentFields[uscc] ?? [:]
            for c in record.conflicts {
                summary.conflicts.append((uscc, c.field, c.conflictId))
                let valueHash = sent[c.field]?.value.map(ContentHash.of) ?? ""
                state.parked[uscc, default: [:]][c.field] = .init(conflictId: c.conflictId, valueHash: valueHash)
            }
            if let document = record.document, let revision = record.revision {
                try stage(uscc: uscc, theirs: document, revision: revision, batch: batch, updates: &updates)
            }
        }
        try commit(batch, updates)
    }

    // MARK: - Pull

    public struct PullSummary: Sendable {
        public var pages = 0
        public var received = 0
        public var merged = 0
        public var skipped = 0
        /// Fields where the bureau's pending value was kept over the province's.
        public var divergent: [(uscc: String, field: String)] = []
        public var deferred: [String] = []
        public var cursor: Int64 = 0
    }

    /// Merges every record of the region changed at the province since the cursor.
    public func pull(full: Bool = false) throws(AgentError) -> PullSummary {
        var summary = PullSummary()
        do {
            if full { state.cursor = 0 }
            _ = try scanner.scan(&index)
            try retryDeferred(&summary)
            while true {
                let page = try client().changes(since: state.cursor, limit: config.pageSize)
                summary.pages += 1
                summary.received += page.records.count
                let batch = AtomicBatch(anchor: store.statePath)
                var updates = IndexUpdates()
                for record in page.records {
                    if record.deleted || record.document == nil {
                        stageTombstone(record, batch: batch, updates: &updates)
                        continue
                    }
                    if !full, let entry = index.entries[record.uscc], entry.baseRevision >= record.revision, entry.invalidReason == nil {
                        summary.skipped += 1
                        continue
                    }
                    let divergent = try stage(uscc: record.uscc, theirs: record.document!, revision: record.revision, batch: batch, updates: &updates)
                    summary.merged += 1
                    summary.divergent += divergent.map { (record.uscc, $0) }
                }
                try commit(batch, updates)
                state.cursor = page.cursor
                try saveState()
                if !page.more { break }
            }
            summary.cursor = state.cursor
            summary.deferred = state.deferred.sorted()
            state.lastPull = .init(at: Self.timestamp(), ok: true, summary: summary.line)
            try saveState()
            return summary
        } catch {
            state.lastPull = .init(at: Self.timestamp(), ok: false, summary: error.description)
            try? saveState()
            throw error
        }
    }

    /// Records whose pulled version could not be merged because their file was invalid: once the
    /// file is fixed, fetch the province's version again and merge it.
    func retryDeferred(_ summary: inout PullSummary) throws(AgentError) {
        guard !state.deferred.isEmpty else { return }
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = IndexUpdates()
        for uscc in state.deferred.sorted() where index.entries[uscc]?.invalidReason == nil {
            let view = try client().record(uscc)
            state.deferred.remove(uscc)
            let divergent = try stage(uscc: uscc, theirs: view.document, revision: view.revision, batch: batch, updates: &updates)
            summary.merged += 1
            summary.divergent += divergent.map { (uscc, $0) }
        }
        try commit(batch, updates)
    }

    // MARK: - Merging the province's version into the store

    struct IndexUpdates {
        var written: [String: JSONValue] = [:]
        var bases: [String: (hash: String, revision: Int64)] = [:]
        var removedBases: Set<String> = []
        var removedWorking: Set<String> = []
    }

    /// Stages the merge of the province's version of a record: working copy merged field by
    /// field (pending local edits kept), base set to the province's version (old values kept
    /// for fields both sides changed). Returns the fields where the bureau's value was kept.
    @discardableResult
    func stage(uscc: String, theirs: JSONValue, revision: Int64, batch: AtomicBatch, updates: inout IndexUpdates) throws(AgentError) -> [String] {
        let entry = index.entries[uscc]
        if entry?.invalidReason != nil {
            // Cannot merge into a file that does not parse; merge once it is fixed.
            state.deferred.insert(uscc)
            log("record \(uscc): province version not merged yet, the local file is invalid")
            return []
        }
        let newBase: JSONValue
        var divergent: [String] = []
        let clean = entry.map { $0.hasWorkingFile && $0.docHash == $0.baseHash && statUnchanged(uscc, $0) } ?? false
        if clean {
            // The working copy is the acknowledged version: the province's version replaces it.
            newBase = theirs
            try batch.write(store.recordFile(uscc), theirs.prettyBytes())
            updates.written[uscc] = theirs
        } else if entry?.hasWorkingFile == true {
            let mine: JSONValue
            do { mine = try store.readRecord(uscc) } catch {
                state.deferred.insert(uscc)
                return []
            }
            let merged = ThreeWayMerge.merge(base: try store.readBase(uscc)?.document, theirs: theirs, mine: mine)
            if merged.working != mine {
                try batch.write(store.recordFile(uscc), merged.working.prettyBytes())
                updates.written[uscc] = merged.working
            }
            newBase = merged.base
            divergent = merged.divergent
        } else if entry?.hasBase == true {
            // The bureau deleted its file: the delete request stands; only the base moves on.
            newBase = theirs
        } else {
            newBase = theirs
            try batch.write(store.recordFile(uscc), theirs.prettyBytes())
            updates.written[uscc] = theirs
        }
        // A parked field is settled once the province's version agrees with the working copy.
        if let parked = state.parked[uscc] {
            let remaining = parked.filter { divergent.contains($0.key) }
            state.parked[uscc] = remaining.isEmpty ? nil : remaining
        }
        try batch.write(store.baseFile(uscc), Store.baseBytes(Store.Base(revision: revision, document: newBase)))
        updates.bases[uscc] = (ContentHash.of(newBase), revision)
        return divergent
    }

    func stageTombstone(_ record: ChangedRecord, batch: AtomicBatch, updates: inout IndexUpdates) {
        let uscc = record.uscc
        guard let entry = index.entries[uscc] else { return }
        batch.remove(store.baseFile(uscc))
        updates.removedBases.insert(uscc)
        state.pendingDeletes[uscc] = nil
        state.parked[uscc] = nil
        let what = record.movedTo.map { "moved to region \($0)" } ?? "deleted at the province"
        if entry.hasWorkingFile && entry.docHash == entry.baseHash && statUnchanged(uscc, entry) {
            batch.remove(store.recordFile(uscc))
            updates.removedWorking.insert(uscc)
            log("record \(uscc) \(what): removed from the store")
        } else if entry.hasWorkingFile {
            log("record \(uscc) \(what), but it has local edits: the file is kept; move it aside or delete it")
        }
    }

    func statUnchanged(_ uscc: String, _ entry: StatIndex.Entry) -> Bool {
        guard entry.size >= 0, let stat = FileSystem.statFile(store.recordFile(uscc)) else { return false }
        return stat.size == entry.size && stat.mtimeNs == entry.mtimeNs && stat.ctimeNs == entry.ctimeNs && stat.inode == entry.inode
    }

    func commit(_ batch: AtomicBatch, _ updates: IndexUpdates) throws(AgentError) {
        do { try batch.commit() } catch {
            batch.abandon()
            throw error
        }
        for (uscc, document) in updates.written { scanner.noteWritten(uscc, document: document, in: &index) }
        for (uscc, base) in updates.bases {
            index.entries[uscc, default: StatIndex.Entry()].baseHash = base.hash
            index.entries[uscc, default: StatIndex.Entry()].baseRevision = base.revision
        }
        for uscc in updates.removedBases {
            index.entries[uscc]?.baseHash = ""
            index.entries[uscc]?.baseRevision = -1
        }
        for uscc in updates.removedWorking { index.entries[uscc] = nil }
        try saveIndex()
        try saveState()
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}

extension SyncEngine.PushSummary {
    public var line: String {
        var parts = ["\(recordsSent) records sent in \(changeSetsSent) change sets", "\(applied) applied"]
        if unchanged > 0 { parts.append("\(unchanged) already there") }
        if !conflicts.isEmpty { parts.append("\(conflicts.count) fields wait for review") }
        if deleteRequests > 0 { parts.append("\(deleteRequests) delete requests") }
        if !rejected.isEmpty { parts.append("\(rejected.count) refused") }
        if !invalid.isEmpty { parts.append("\(invalid.count) invalid files skipped") }
        return parts.joined(separator: ", ")
    }
}

extension SyncEngine.PullSummary {
    public var line: String {
        var parts = ["\(received) records received", "\(merged) merged"]
        if skipped > 0 { parts.append("\(skipped) already up to date") }
        if !divergent.isEmpty { parts.append("\(divergent.count) local edits kept over the province's") }
        if !deferred.isEmpty { parts.append("\(deferred.count) waiting for invalid files to be fixed") }
        parts.append("cursor \(cursor)")
        return parts.joined(separator: ", ")
    }
}
