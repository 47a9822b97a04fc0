#if canImport(Glibc)
import Glibc
#endif
import EnterpriseModel
import Foundation
import SyncCore

/// Push, pull and diff of one store against the province. Not thread-safe: one engine, one
/// thread, under the store's lock for anything that changes the store.
public final class SyncEngine {
    public let config: AgentConfig
    public let store: Store
    /// The only writer of record files, base files, the index and the state during a sync.
    let writer: StoreWriter
    public internal(set) var index: StatIndex {
        get { writer.index }
        _modify { yield &writer.index }
    }
    public internal(set) var state: AgentState {
        get { writer.state }
        _modify { yield &writer.state }
    }
    var scanner: Scanner { writer.scanner }
    /// The province, connected when first needed.
    let province: ProvinceLink
    /// Sealing, sending, splitting, refusing and re-chaining change sets.
    let outbox: Outbox
    /// The bureau's clock, read through the wall clock it was given.
    let clock: BureauClock
    /// Change sets sealed by a push are sent on a second connection while the next ones are
    /// sealed (see `PushPipeline`); not with a client given by the caller (the daemon's, which
    /// it aborts on stop).
    let pipelinePushes: Bool
    /// One line per event, for the command line and the daemon's log.
    public var log: (String) -> Void = { _ in } {
        didSet {
            writer.log = log
            outbox.log = log
        }
    }
    /// Asked between safe points of a push (after each sealed change set, before each send):
    /// true stops it there, with what is sealed kept in the outbox for the next run.
    public var shouldStop: @Sendable () -> Bool = { false } {
        didSet { outbox.shouldStop = shouldStop }
    }

    /// `scanAhead`: the command holds the store's lock and scans the working copy first thing
    /// (push, pull, sync). The folder is then listed and stat'ed on a second thread while this one
    /// loads the index: on a store of 100,000 records each took about a third of a no-change sync.
    /// The snapshot serves the first scan only, and is dropped once the engine sends a change set
    /// or writes a record file (or when it is older than `ScanAhead.maxAgeNs`).
    /// `client`: the province (by default a `ProvinceClient` made from the configuration when
    /// first needed); `clock`: the bureau's (by default the machine's, see `BureauClock.system`).
    public init(config: AgentConfig, store: Store, client: (any ProvinceAPI)? = nil, clock: BureauClock? = nil, scanAhead: Bool = false) throws(AgentError) {
        // libcurl's global init must not overlap another thread: done before the snapshot's.
        if scanAhead { ProvinceClient.initializeLibrary() }
        self.scanAhead = scanAhead ? ScanAhead(recordsPath: store.recordsPath) : nil
        self.config = config
        self.store = store
        self.province = ProvinceLink(config: config, client: client)
        self.clock = clock ?? .system(node: config.region)
        self.pipelinePushes = client == nil
        let state = try AgentState.load(from: store.stateFilePath)
        let index: StatIndex
        var rebuilt = false
        do {
            if FileSystem.exists(store.indexPath) {
                index = try StatIndex.load(from: store.indexPath)
            } else {
                index = try Self.rebuildIndex(store)
                rebuilt = true
            }
        } catch {
            // The index is a cache: a damaged one is rebuilt from the base files.
            index = try Self.rebuildIndex(store)
            rebuilt = true
        }
        writer = StoreWriter(store: store, index: index, indexDirty: rebuilt, state: state)
        outbox = Outbox(config: config, store: store, writer: writer, clock: self.clock, province: province)
        writer.willChangeRecordFiles = { [weak self] in self?.scanAhead = nil }
        if state.region != config.region {
            throw .config("\(config.configPath): region \(config.region) but the store at \(store.root) belongs to region \(state.region)")
        }
    }

    static func rebuildIndex(_ store: Store) throws(AgentError) -> StatIndex {
        var index = StatIndex()
        for name in try FileSystem.list(store.basePath) where name.hasSuffix(".json") {
            let uscc = String(name.dropLast(5))
            // A damaged base file gets no entry: the record is merged afresh on the next pull.
            guard let base = try? store.readBase(uscc) else { continue }
            var entry = StatIndex.Entry()
            entry.baseHash = ContentHash.of(base.document)
            entry.baseRevision = base.revision
            index.entries[uscc] = entry
        }
        return index
    }

    func client() throws(AgentError) -> any ProvinceAPI { try province.client() }

    /// The snapshot taken while the engine was made, for its first scan; dropped once the engine
    /// sends a change set or writes in the records folder.
    private var scanAhead: ScanAhead?

    /// The snapshot taken ahead, if it is still current.
    func takeScanAhead() throws(AgentError) -> Scanner.Snapshot? {
        defer { scanAhead = nil }
        guard let snapshot = try scanAhead?.snapshot(), FileSystem.nowNs() - snapshot.takenNs <= ScanAhead.maxAgeNs else { return nil }
        return snapshot
    }
    /// The working copy was scanned in this run.
    var scanned = false
    /// The index in memory differs from the file: an unchanged store is checked without writing.
    var indexDirty: Bool {
        get { writer.indexDirty }
        set { writer.indexDirty = newValue }
    }
    /// The store's identity as last saved in state.json (see `StoreWriter.durableIdentity`).
    var durableIdentity: StoreIdentity? { writer.durableIdentity }

    public func saveIndex() throws(AgentError) { try writer.saveIndex() }
    func saveState() throws(AgentError) { try writer.saveState() }
    @discardableResult
    func stage(uscc: String, theirs: JSONValue, revision: Int64, mergeBase: JSONValue?, mergeBaseHash: String? = nil,
               theirsHash: String? = nil, theirsBytes: [UInt8]? = nil, batch: AtomicBatch,
               updates: inout StoreWriter.IndexUpdates) throws(AgentError) -> [String] {
        try writer.stage(uscc: uscc, theirs: theirs, revision: revision, mergeBase: mergeBase, mergeBaseHash: mergeBaseHash,
                         theirsHash: theirsHash, theirsBytes: theirsBytes, batch: batch, updates: &updates)
    }
    @discardableResult
    func commit(_ batch: AtomicBatch, _ updates: StoreWriter.IndexUpdates) throws(AgentError) -> Set<String> {
        try writer.commit(batch, updates)
    }

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
        var changes: [RecordChange] = []
        var plan = try planPush()
        try emitChanges(&plan) { change, _ throws(AgentError) in changes.append(change) }
        plan.diff.changes = changes
        return plan.diff
    }

    /// What a scan found for a push, before its changes are made: the scan, the held records so
    /// far, the records in held change sets, and how many records the province has that it
    /// changes or deletes (its `PushSession.changes`).
    struct PushPlan {
        var diff = Diff()
        var inHeldSet: [String: String] = [:]
        var existingChanges = 0
    }

    /// Scans the working copy for a push (renamed files are not deletes).
    func planPush() throws(AgentError) -> PushPlan {
        var plan = PushPlan()
        plan.diff.scan = try scanner.scan(&index, snapshot: takeScanAhead())
        scanned = true
        if plan.diff.scan.indexChanged { indexDirty = true }
        for (id, codes) in state.heldChangeSets { for uscc in codes { plan.inHeldSet[uscc] = id } }
        let renamed = renamedRecords(&plan.diff.scan)
        plan.diff.scan.deleted.removeAll { renamed[$0] != nil }
        let inHeldSet = plan.inHeldSet
        plan.existingChanges = plan.diff.scan.changed.filter { index.entries[$0]?.hasBase == true && inHeldSet[$0] == nil }.count
            + plan.diff.scan.deleted.filter { inHeldSet[$0] == nil && state.pendingDeletes[$0] == nil }.count
        return plan
    }

    /// Hands each record change of `plan` to `emit` with the base it was diffed against, in
    /// credit-code order, without holding them all (a first push of a large store seals as it
    /// goes). Adds the invalid files and the held records to `plan.diff`.
    /// (The base is nil for a new record, and not given for a delete.)
    func emitChanges(_ plan: inout PushPlan, _ emit: (RecordChange, Store.Base??) throws(AgentError) -> Void) throws(AgentError) {
        let inHeldSet = plan.inHeldSet
        var diff = plan.diff
        defer { plan.diff = diff }
        for uscc in diff.scan.changed {
            let entry = index.entries[uscc]!
            if let id = inHeldSet[uscc] {
                diff.held.append((uscc, "in change set \(id), held for the province's approval (mass-change guard)"))
                continue
            }
            if let transfer = state.parked[uscc]?["region"] {
                diff.held.append((uscc, "a transfer to another region waits for the province's approval (conflict \(transfer.conflictId))"))
                continue
            }
            if let rejection = state.rejected[uscc], rejection.hash == entry.docHash {
                diff.held.append((uscc, "refused by the province: \(rejection.reason) (edit the file to send it again)"))
                continue
            }
            // Parsed by the scan already, or read now.
            let working: JSONValue
            if let kept = diff.scan.documents.removeValue(forKey: uscc) {
                working = kept
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
            guard var change = RecordDiff.change(uscc: uscc, base: base?.document, baseRevision: base?.revision, working: working) else {
                index.entries[uscc]?.baseHash = entry.docHash  // a stale index: nothing changed after all
            indexDirty = true
                continue
            }
            // A value already parked for review is not sent again; a new edit of that field is.
            if let parked = state.parked[uscc] {
                for (field, p) in parked where change.fields[field]?.value.map(ContentHash.of) == p.valueHash {
                    change.fields[field] = nil
                }
                if change.fields.isEmpty { continue }  // listed by `status` as waiting for review
            }
            try emit(change, .some(base))
        }
        diff.scan.documents = [:]
        for uscc in diff.scan.deleted {
            if let id = inHeldSet[uscc] {
                diff.held.append((uscc, "in change set \(id), held for the province's approval (mass-change guard)"))
                continue
            }
            if let conflict = state.pendingDeletes[uscc] {
                diff.held.append((uscc, "delete request waits for the province (conflict \(conflict))"))
                continue
            }
            guard let base = try? store.readBase(uscc),
                  let change = RecordDiff.change(uscc: uscc, base: base.document, baseRevision: base.revision, working: nil)
            else { continue }
            try emit(change, .none)
        }
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
        /// Delete requests taken back because the record's file is back (credit code, conflict).
        public var withdrawn: [(uscc: String, conflictId: Int64)] = []
        public var invalid: [(file: String, reason: String)] = []
        public var held: [(uscc: String, reason: String)] = []
        public var filesRead = 0
        public var heldChangeSets: [(id: String, message: String)] = []
        /// Records of the province's answers not taken in (see `ProvinceAnswers`).
        public var refusedFromProvince: [RefusedRecord] = []
    }

    /// Sends what waits in the outbox, then seals the store's new changes and sends them.
    public func push() throws(AgentError) -> PushSummary {
        var before = PushSession.outboxOnly()
        do throws(AgentError) {
            try ensureEpoch()
            // A held change set whose file is gone (refused, or moved aside) holds nothing.
            let inOutbox = Set(try outbox.files().map(Outbox.changeSetID(ofOutboxFile:)))
            state.heldChangeSets = state.heldChangeSets.filter { inOutbox.contains($0.key) }
            outbox.forgetLastSealed()
            _ = try outbox.signingKey()
            try outbox.signSealedBeforeSigning()
            try outbox.send(&before)
            try withdrawRestoredDeletes(&before.summary)
            var pending: [RecordChange] = []
            var sealed = 0
            let outboxEmpty = try outbox.files().isEmpty
            let pipeline = pipelinePushes && outboxEmpty ? try PushPipeline(config: config) : nil
            var plan = try planPush()
            // What the outbox's sending found goes on in the summary of the push proper.
            var session = PushSession(changes: plan.existingChanges, summary: before.summary)
            do throws(AgentError) {
                try emitChanges(&plan) { change, base throws(AgentError) in
                    if let base { session.remember(base, of: change.uscc) }
                    pending.append(change)
                    if pending.count == config.maxRecordsPerChangeSet {
                        let next = try outbox.seal(pending, push: session.piece)
                        sealed += pending.count
                        pending.removeAll(keepingCapacity: true)
                        try pipeline?.send(next, engine: self, session: &session)
                        if shouldStop() {
                            try pipeline?.finish(engine: self, session: &session)
                            throw .stopped("after sealing \(sealed) records; the outbox keeps them, the rest is sealed next time")
                        }
                    }
                }
                if !pending.isEmpty {
                    let last = try outbox.seal(pending, push: session.piece)  // (not inside `pipeline?.…`: that would skip it without a pipeline)
                    try pipeline?.send(last, engine: self, session: &session)
                }
                try pipeline?.finish(engine: self, session: &session)
            } catch {
                try? pipeline?.finish(engine: self, session: &session)
                throw error
            }
            session.summary.invalid = plan.diff.scan.invalid
            session.summary.held = plan.diff.held
            session.summary.filesRead = plan.diff.scan.filesRead
            try saveIndex()
            if sealed + pending.count > 0 { try outbox.send(&session, answered: pipeline?.held ?? []) }
            state.lastPush = .init(at: Self.timestamp(), ok: true, summary: session.summary.line)
            try saveState()
            try saveIndex()
            return session.summary
        } catch {
            state.lastPush = .init(at: Self.timestamp(), ok: false, summary: error.description)
            try? saveState()
            try? saveIndex()
            throw error
        }
    }

    /// The outbox's change set files, oldest first.
    public func outboxFiles() throws(AgentError) -> [String] { try outbox.files() }

    /// The record changes sealed in the outbox and not yet acknowledged, the latest per record.
    public func sealedChanges() throws(AgentError) -> [String: RecordChange] { try outbox.sealedChanges() }

    /// The store's signing key; a store without one gets one, logged with how to register it.
    public func signingKey() throws(AgentError) -> SigningKey { try outbox.signingKey() }

    // MARK: - Pull

    public struct PullSummary: Sendable {
        public var pages = 0
        public var received = 0
        public var merged = 0
        public var skipped = 0
        /// Fields where the bureau's pending value was kept over the province's.
        public var divergent: [(uscc: String, field: String)] = []
        public var deferred: [String] = []
        /// Conflicts and delete requests of this bureau that the province decided, with who
        /// decided and the note.
        public var decisions: [AgentState.Decision] = []
        public var cursor: Int64 = 0
        /// Records of the province's pages and answers not taken in (see `ProvinceAnswers`); the
        /// cursor has moved past them.
        public var refusedFromProvince: [RefusedRecord] = []
    }

    /// Merges every record of the region changed at the province since the cursor.
    public func pull(full: Bool = false) throws(AgentError) -> PullSummary {
        do {
            try ensureEpoch()
            if full { state.cursor = 0 }
            // A store set up from the province's copy needs even the revisions it wrote itself.
            let setUpFromProvince = full || !index.entries.values.contains { $0.hasBase }
            // After a push in the same run the index is fresh; a file saved since is caught by
            // the stat checks of the merge and of the rename, so it is not scanned twice.
            if !scanned, try scanner.scan(&index, snapshot: takeScanAhead()).indexChanged { indexDirty = true }
            scanned = true
            var session = PullSession(full: full, setUpFromProvince: setUpFromProvince, store: store, writer: writer, province: province,
                                      clock: clock, log: log)
            try session.retryDeferred()
            while true {
                let (page, refused) = try changes(own: session.setUpFromProvince)
                CrashPoint.reach("pull.fetched")
                try session.take(page, refused: refused)
                if !page.more { break }
            }
            let settler = DecisionSettler(store: store, writer: writer, province: province, log: log)
            var summary = session.summary
            try settler.settle(&summary)
            settler.reportSettled(&summary)
            summary.cursor = state.cursor
            summary.deferred = state.deferred.sorted()
            state.lastPull = .init(at: Self.timestamp(), ok: true, summary: summary.line)
            try saveState()
            try saveIndex()
            return summary
        } catch {
            state.lastPull = .init(at: Self.timestamp(), ok: false, summary: error.description)
            try? saveState()
            try? saveIndex()
            throw error
        }
    }

    /// The province's version of a record this store holds; nil when its answer is refused
    /// (another record, another region: see `ProvinceAnswers`), which is logged and listed in
    /// `refused`, and the record stays as it is.
    func provinceRecord(_ uscc: String, refused: inout [RefusedRecord]) throws(AgentError) -> RecordView? {
        try province.record(uscc, log: log, refused: &refused)
    }

    /// Logs the records of the province's answers that were not taken in and lists them.
    func noteRefused(_ refused: [RefusedRecord], into list: inout [RefusedRecord]) {
        RefusedRecord.note(log: log, refused, into: &list)
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}

extension SyncEngine.PushSummary {
    /// Nothing skipped: no invalid file, no record refused by or from the province, no change set
    /// held (else the command exits 3).
    public var isClean: Bool { invalid.isEmpty && rejected.isEmpty && heldChangeSets.isEmpty && refusedFromProvince.isEmpty }

    public var line: String {
        var parts = ["\(plural(recordsSent, "record")) sent in \(plural(changeSetsSent, "change set"))", "\(applied) applied"]
        if unchanged > 0 { parts.append("\(unchanged) already there") }
        if !conflicts.isEmpty { parts.append("\(plural(conflicts.count, "field")) \(conflicts.count == 1 ? "waits" : "wait") for review") }
        if deleteRequests > 0 { parts.append("\(plural(deleteRequests, "delete request"))") }
        if !withdrawn.isEmpty { parts.append("\(plural(withdrawn.count, "delete request")) withdrawn") }
        if !rejected.isEmpty { parts.append("\(rejected.count) refused") }
        if !invalid.isEmpty { parts.append("\(plural(invalid.count, "invalid file")) skipped") }
        if !heldChangeSets.isEmpty { parts.append("\(plural(heldChangeSets.count, "change set")) held for the province's approval") }
        if !refusedFromProvince.isEmpty { parts.append("\(plural(refusedFromProvince.count, "record")) of the province's answers refused") }
        return parts.joined(separator: ", ")
    }
}

extension SyncEngine.PullSummary {
    /// Nothing skipped: no record waiting for its invalid file, none refused from the province
    /// (else the command exits 3).
    public var isClean: Bool { deferred.isEmpty && refusedFromProvince.isEmpty }

    public var line: String {
        var parts = ["\(plural(received, "record")) received", "\(merged) merged"]
        if skipped > 0 { parts.append("\(skipped) already up to date") }
        if !divergent.isEmpty { parts.append("\(plural(divergent.count, "local edit")) kept over the province's") }
        if !deferred.isEmpty { parts.append("\(deferred.count) waiting for invalid files to be fixed") }
        if !decisions.isEmpty { parts.append("\(plural(decisions.count, "decision")) of the province taken in") }
        if !refusedFromProvince.isEmpty { parts.append("\(plural(refusedFromProvince.count, "record")) from the province refused") }
        parts.append("cursor \(cursor)")
        return parts.joined(separator: ", ")
    }
}

/// `Scanner.snapshot` on a thread of its own, started when the engine is made.
final class ScanAhead: @unchecked Sendable {
    /// A snapshot older than this is not used (the index load it overlaps takes a fraction of it).
    static let maxAgeNs: Int64 = 5_000_000_000
    private var result: Result<Scanner.Snapshot, AgentError>?
    private let done = DispatchSemaphore(value: 0)

    init(recordsPath: String) {
        let thread = Thread { [self] in
            do throws(AgentError) { result = .success(try Scanner.snapshot(of: recordsPath)) } catch { result = .failure(error) }
            done.signal()
        }
        thread.start()
    }

    func snapshot() throws(AgentError) -> Scanner.Snapshot {
        done.wait()
        done.signal()
        return try result!.get()
    }
}
