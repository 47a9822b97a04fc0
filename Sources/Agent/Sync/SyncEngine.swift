#if canImport(Glibc)
import Glibc
#endif
import EnterpriseModel
import Foundation
import SyncCore

/// Push, pull and diff of one store against the province: the coordinator of the parts that do
/// the work, each readable alone (see docs/architecture.md, "The agent's parts"):
///
/// - `PushPlanner` scans the working copy and makes the record changes a push sends;
/// - `PushSession` is one push (its id, its count of changed records, the bases its diff read,
///   its summary), `PullSession` one pull (pages merged, cursor moved);
/// - `Outbox` seals, signs, sends, splits, refuses and re-chains change sets, and takes each
///   answer into the store; `PushPipeline` overlaps sending with sealing;
/// - `DecisionSettler` takes the province's decisions in at the end of a pull;
/// - `StoreWriter` is the only code that writes record files, bases, the index and the state;
/// - `ProvinceLink` / `ProvinceAPI` is the province, `BureauClock` the bureau's clock.
///
/// The engine orders the steps and keeps what lasts a whole run (the snapshot scanned ahead,
/// whether the working copy was scanned). Not thread-safe: one engine, one thread, under the
/// store's lock for anything that changes the store.
public final class SyncEngine {
    public let config: AgentConfig
    public let store: Store
    /// The only writer of record files, bases, the index and the state during a sync.
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
            // The index is a cache: a damaged one is rebuilt from the bases.
            index = try Self.rebuildIndex(store)
            rebuilt = true
        }
        writer = StoreWriter(store: store, index: index, indexDirty: rebuilt || index.needsRewrite, state: state)
        outbox = Outbox(config: config, store: store, writer: writer, clock: self.clock, province: province)
        writer.willChangeRecordFiles = { [weak self] in self?.scanAhead = nil }
        if state.region != config.region {
            throw .config("\(config.configPath): region \(config.region) but the store at \(store.root) belongs to region \(state.region)")
        }
    }

    static func rebuildIndex(_ store: Store) throws(AgentError) -> StatIndex {
        var index = StatIndex()
        // A damaged base (or base log) gets no entry: the record is merged afresh on the next pull.
        for uscc in (try? store.baseCodes()) ?? [] {
            guard let base = try? store.readBase(uscc) else { continue }
            var entry = StatIndex.Entry()
            entry.baseHash = ContentHash.of(base.document)
            entry.baseRevision = base.revision
            index.entries[uscc] = entry
        }
        return index
    }

    func client() throws(AgentError) -> any ProvinceAPI { try province.client() }

    /// The listing started while the engine was made, for its first scan; dropped once the
    /// engine sends a change set or writes in the records folder.
    private var scanAhead: ScanAhead?

    /// The listing started ahead, if it is still current (it may still be under way).
    func takeScanAhead() throws(AgentError) -> (any FileListing)? {
        defer { scanAhead = nil }
        guard let scanAhead, FileSystem.nowNs() - scanAhead.takenNs <= ScanAhead.maxAgeNs else { return nil }
        return scanAhead
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
    /// Commits a batch through the writer (see `StoreWriter.commit`).
    @discardableResult
    func commit(_ batch: AtomicBatch, _ updates: StoreWriter.IndexUpdates, basesFirst: Bool = false) throws(AgentError) -> Set<String> {
        try writer.commit(batch, updates, basesFirst: basesFirst)
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
        var diff = try diff { change throws(AgentError) in changes.append(change) }
        diff.changes = changes
        return diff
    }

    /// Each change a push would send now, handed to `body` as it is made and not kept (the
    /// diff's `changes` stay empty): what a store of 100,000 new records would send, kept
    /// whole, was 600 MB for a `status` that only counts it.
    public func diff(each body: (RecordChange) throws(AgentError) -> Void) throws(AgentError) -> Diff {
        var plan = try planPush()
        try planner.emitChanges(&plan) { change, _, _ throws(AgentError) in try body(change) }
        return plan.diff
    }

    var planner: PushPlanner { PushPlanner(config: config, store: store, writer: writer) }

    /// Scans the working copy for a push, from the snapshot taken ahead if it is still current.
    func planPush() throws(AgentError) -> PushPlanner.PushPlan {
        let plan = try planner.plan(snapshot: takeScanAhead())
        scanned = true
        return plan
    }

    // MARK: - Push

    /// Sends what waits in the outbox, then seals the store's new changes and sends them. A
    /// province restored from a backup is healed first (`heal`).
    public func push() throws(AgentError) -> PushSummary {
        try store.withRecordsFolder { () throws(AgentError) in try healingIfRestored { () throws(AgentError) in try pushOnce() } }
    }

    private func pushOnce() throws(AgentError) -> PushSummary {
        var before = PushSession.outboxOnly()
        do throws(AgentError) {
            try ensureEpoch()
            // A held change set whose file is gone (refused, or moved aside) holds nothing.
            let inOutbox = Set(try outbox.files().map(Outbox.changeSetID(ofOutboxFile:)))
            state.heldChangeSets = state.heldChangeSets.filter { inOutbox.contains($0.key) }
            outbox.forgetLastSealed()
            province.pushBegins()
            _ = try outbox.signingKey()
            try outbox.signSealedBeforeSigning()
            try outbox.send(&before)
            try withdrawRestoredDeletes(&before.summary)
            var pending: [RecordChange] = []
            var sealed = 0
            var changeSets = 0
            let outboxEmpty = try outbox.files().isEmpty
            let pipeline = pipelinePushes && outboxEmpty ? try PushPipeline(config: config) : nil
            var plan = try planPush()
            store.bases.expectedAppends = plan.diff.scan.changed.count
            defer { store.bases.expectedAppends = 0 }
            // What the outbox's sending found goes on in the summary of the push proper.
            var session = PushSession(changes: plan.existingChanges, summary: before.summary)
            do throws(AgentError) {
                try planner.emitChanges(&plan, whole: { outbox.province.takesWholeRecords }) { change, base, working throws(AgentError) in
                    if let base { session.remember(base, working: working, of: change.uscc) }
                    pending.append(change)
                    if pending.count == config.recordsInChangeSet(after: changeSets) {
                        let next = try outbox.seal(pending, push: session.piece)
                        sealed += pending.count
                        changeSets += 1
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

    /// Merges every record of the region changed at the province since the cursor. A province
    /// restored from a backup is healed first (`heal`).
    public func pull(full: Bool = false) throws(AgentError) -> PullSummary {
        try store.withRecordsFolder { () throws(AgentError) in try healingIfRestored { () throws(AgentError) in try pullOnce(full: full) } }
    }

    private func pullOnce(full: Bool) throws(AgentError) -> PullSummary {
        do {
            try ensureEpoch()
            if full {
                state.cursor = 0
                // Every base comes again: a damaged base log is moved aside and started afresh.
                store.bases.restartIfDamaged = true
            }
            // A store set up from the province's copy needs even the revisions it wrote itself.
            let setUpFromProvince = full || !index.entries.values.contains { $0.hasBase }
            // After a push in the same run the index is fresh; a file saved since is caught by
            // the stat checks of the merge and of the rename, so it is not scanned twice.
            if !scanned, try scanner.scan(&index, snapshot: takeScanAhead()).indexChanged { indexDirty = true }
            scanned = true
            var session = PullSession(full: full, setUpFromProvince: setUpFromProvince, store: store, writer: writer, province: province,
                                      clock: clock, log: log)
            try session.retryDeferred()
            // Every change set sent was answered and its answer merged (the outbox is empty):
            // those answers told the store each revision it wrote, and the province leaves them
            // out of the feed (a first upload of 100,000 records pulled 100,000 echoes back).
            // Until then they come, so that one whose answer was lost is caught.
            let leavingOutEchoes = !session.setUpFromProvince && ((try? outboxFiles().isEmpty) ?? false)
            while true {
                let (page, refused) = try changes(own: session.setUpFromProvince, leavingOutEchoes: leavingOutEchoes)
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

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}
