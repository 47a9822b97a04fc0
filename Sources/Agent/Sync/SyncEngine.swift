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
    private var clientStorage: (any ProvinceAPI)?
    /// The bureau's clock, read through the wall clock it was given.
    let clock: BureauClock
    /// Change sets sealed by a push are sent on a second connection while the next ones are
    /// sealed (see `PushPipeline`); not with a client given by the caller (the daemon's, which
    /// it aborts on stop).
    let pipelinePushes: Bool
    /// One line per event, for the command line and the daemon's log.
    public var log: (String) -> Void = { _ in } {
        didSet { writer.log = log }
    }
    /// Asked between safe points of a push (after each sealed change set, before each send):
    /// true stops it there, with what is sealed kept in the outbox for the next run.
    public var shouldStop: @Sendable () -> Bool = { false }

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
        self.clientStorage = client
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

    func client() throws(AgentError) -> any ProvinceAPI {
        if let clientStorage { return clientStorage }
        let made = try ProvinceClient(config: config)
        clientStorage = made
        return made
    }

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
    /// The store's signing key, read (or made) once per engine.
    var signingKeyStorage: SigningKey?
    /// The hash of the change set sealed last in this push: the next one's `previous`.
    var lastSealedHash: String?
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
        var outbox = PushSession.outboxOnly()
        do throws(AgentError) {
            try ensureEpoch()
            // A held change set whose file is gone (refused, or moved aside) holds nothing.
            let inOutbox = Set(try outboxFiles().map(Self.changeSetID(ofOutboxFile:)))
            state.heldChangeSets = state.heldChangeSets.filter { inOutbox.contains($0.key) }
            lastSealedHash = nil  // the outbox may have changed since the last push of this engine
            _ = try signingKey()
            try signOutboxSealedBeforeSigning()
            try sendOutbox(&outbox)
            try withdrawRestoredDeletes(&outbox.summary)
            var pending: [RecordChange] = []
            var sealed = 0
            let outboxEmpty = try outboxFiles().isEmpty
            let pipeline = pipelinePushes && outboxEmpty ? try PushPipeline(config: config) : nil
            var plan = try planPush()
            // What the outbox's sending found goes on in the summary of the push proper.
            var session = PushSession(changes: plan.existingChanges, summary: outbox.summary)
            do throws(AgentError) {
                try emitChanges(&plan) { change, base throws(AgentError) in
                    if let base { session.remember(base, of: change.uscc) }
                    pending.append(change)
                    if pending.count == config.maxRecordsPerChangeSet {
                        let next = try seal(pending, push: session.piece)
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
                    let last = try seal(pending, push: session.piece)  // (not inside `pipeline?.…`: that would skip it without a pipeline)
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
            if sealed + pending.count > 0 { try sendOutbox(&session, answered: pipeline?.held ?? []) }
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

    /// Seals changes into the outbox, durably, as one change set, before anything is sent.
    /// `clock`: the edit time of a change set sealed again (split); a new one gets a tick.
    /// `push`: the push it is a piece of, with how many existing records that push changes or
    /// deletes (`ChangeSet.push`, `PushSession.piece`); nil when it changes none. Every piece
    /// says so, even one of new records only: the mass-change guard then leaves all of the
    /// push's earlier pieces out of the region's recent changes.
    @discardableResult
    func seal(_ chunk: [RecordChange], clock: HybridTimestamp? = nil, push: (id: String, changes: Int)?) throws(AgentError) -> SealedChangeSet {
        var changeSet = ChangeSet(id: UUID().uuidString.lowercased(), region: config.region, createdAt: Self.timestamp(),
                                  agent: "esync-agent/\(AgentVersion.current)", records: chunk)
        if let piece = push {
            changeSet.push = piece.id
            changeSet.pushChanges = piece.changes
        }
        changeSet.clock = clock ?? tick()
        let next = try nextLink()
        let seal = try sign(&changeSet, after: next.previous)
        state.outboxSequence = next.sequence
        // The number is kept before the file exists: a crash in between leaves a gap, never two
        // change sets under one number (which the province takes for a restored store). The
        // chain head moves only once the file is durable.
        try saveState()
        let name = String(format: "%012lld-%@.json", next.sequence, changeSet.id)
        let bytes = changeSet.encoded()
        try FileSystem.writeAtomically(store.outboxPath + "/" + name, bytes)
        CrashPoint.reach("seal.written")
        lastSealedHash = seal.hash
        state.chainHead = seal.hash
        try saveState()
        log("sealed change set \(changeSet.id) with \(plural(chunk.count, "record"))")
        return SealedChangeSet(name: name, bytes: bytes, changeSet: changeSet)
    }

    /// A change set as it lies in the outbox.
    struct SealedChangeSet {
        var name: String
        var bytes: [UInt8]
        var changeSet: ChangeSet
    }

    /// The bureau's clock, one step on.
    func tick() -> HybridTimestamp { clock.tick(&state.clock) }

    /// Moves the bureau's clock past the province's.
    func hear(_ province: HybridTimestamp?) { clock.hear(province, &state.clock) }

    public func outboxFiles() throws(AgentError) -> [String] {
        try FileSystem.list(store.outboxPath).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// The record changes sealed in the outbox and not yet acknowledged, the latest per record
    /// (an outbox file that cannot be read is left out: the push names it).
    public func sealedChanges() throws(AgentError) -> [String: RecordChange] {
        var sealed: [String: RecordChange] = [:]
        for name in try outboxFiles() {
            guard let bytes = try? FileSystem.read(store.outboxPath + "/" + name), let changeSet = try? ChangeSet.decode(bytes) else { continue }
            for change in changeSet.records { sealed[change.uscc] = change }
        }
        return sealed
    }

    /// `answered`: change sets this push has already had an answer for (held ones).
    func sendOutbox(_ session: inout PushSession, answered: Set<String> = []) throws(AgentError) {
        for name in try outboxFiles() where !answered.contains(name) {
            if shouldStop() {
                let waiting = try outboxFiles().count
                throw .stopped("\(plural(waiting, "change set")) \(waiting == 1 ? "waits" : "wait") in the outbox for the next run")
            }
            let path = store.outboxPath + "/" + name
            let bytes = try FileSystem.read(path)
            let sent: ChangeSet
            do { sent = try ChangeSet.decode(bytes) } catch {
                throw .corruptState(path: path, reason: "sealed change set cannot be read (\(error)); move it aside to continue")
            }
            // The answers may change record files: the scan that follows looks at the folder anew.
            scanAhead = nil
            let result: ChangeSetResult
            do {
                let answer = try client().push(bytes, sent: sent, identity: identity(sending: name))
                result = answer.result
                noteRefused(answer.refused, into: &session.summary.refusedFromProvince)
            } catch .server(let refusal) where refusal.kind == .tooLarge && sent.records.count > 1 {
                // Larger than the province accepts (nothing was applied): seal it again as two
                // halves and go on with the outbox.
                // The halves stay pieces of the push the whole was a piece of.
                let half = sent.records.count / 2
                let push: (id: String, changes: Int)? = sent.push.flatMap { id in sent.pushChanges.map { (id, $0) } }
                try seal(Array(sent.records[..<half]), clock: sent.clock, push: push)
                try seal(Array(sent.records[half...]), clock: sent.clock, push: push)
                try FileSystem.remove(path)
                try rechain(after: name, from: sent.previous ?? "")
                log("change set \(sent.id) is too large for the province (\(refusal.message)); split in two")
                return try sendOutbox(&session, answered: answered)
            } catch .server(let refusal) where Self.sealRefusals.contains(refusal.code) {
                throw try sealRefused(sent, bytes: bytes, path: path, code: refusal.code, message: refusal.message)
            } catch .server(let refusal) where refusal.refusesChangeSet {
                // The province will never take this change set as it is: set it aside with the
                // reason instead of blocking every later push, and hold its records until edited.
                try refuse(sent, file: name, reason: refusal.reason, url: refusal.url, into: &session.summary)
                try rechain(after: name, from: sent.previous ?? "")
                continue
            }
            if result.held {
                try noteHeld(result, sent: sent, into: &session.summary)
                continue
            }
            try acknowledged(result, sent: sent, path: path, session: &session)
        }
    }

    /// A change set the province holds whole (mass-change guard): kept in the outbox and sent
    /// again on each push until the province decides; its records are not sealed again
    /// meanwhile, other changes go on.
    func noteHeld(_ result: ChangeSetResult, sent: ChangeSet, into summary: inout PushSummary) throws(AgentError) {
        if state.heldChangeSets[sent.id] == nil { log(result.message ?? "change set \(sent.id) is held by the province") }
        state.heldChangeSets[sent.id] = sent.records.map(\.uscc)
        summary.heldChangeSets.append((sent.id, result.message ?? "held for the province's approval"))
        try saveState()
    }

    /// Takes in the province's answer to a change set it applied, then removes it from the outbox.
    func acknowledged(_ result: ChangeSetResult, sent: ChangeSet, path: String, session: inout PushSession) throws(AgentError) {
        CrashPoint.reach("push.answered")
        state.heldChangeSets[sent.id] = nil
        hear(result.clock)
        session.summary.changeSetsSent += 1
        session.summary.recordsSent += result.records.count
        try integrate(result, sent: sent, session: &session)
        try noteAcknowledged(sent)
        CrashPoint.reach("push.integrated")
        // Only now, with base and working copy durable, is the change set done.
        try FileSystem.remove(path)
        try FileSystem.syncDirectory(of: path)
        log("change set \(result.id) acknowledged\(result.replayed ? " (replayed)" : ""): \(plural(result.records.count, "record"))")
    }

    /// Moves a change set the province refused whole to `.esync/refused/` and marks its records
    /// refused, with the content that was sent, so that `status` names them and an edit resends.
    func refuse(_ changeSet: ChangeSet, file: String, reason: String, url: String, into summary: inout PushSummary) throws(AgentError) {
        let folder = store.statePath + "/refused"
        try FileSystem.makeDirectory(folder)
        try FileSystem.writeAtomically(folder + "/" + file + ".reason", Array("\(url): \(reason)\n".utf8))
        if rename(store.outboxPath + "/" + file, folder + "/" + file) != 0 {
            throw .io(path: store.outboxPath + "/" + file, operation: "move to \(folder)", errno: errno)
        }
        state.heldChangeSets[changeSet.id] = nil
        for record in changeSet.records {
            let base = try? store.readBase(record.uscc)
            state.rejected[record.uscc] = .init(hash: sentContentHash(record, base: base?.document), reason: reason)
            summary.rejected.append((record.uscc, reason))
        }
        try saveState()
        log("change set \(changeSet.id) refused by the province (\(reason)); kept in \(folder)")
    }

    /// The hash of the working copy as it was when `record` was sealed: the base with the sent
    /// values in place (a delete: "" — no working file).
    func sentContentHash(_ record: RecordChange, base: JSONValue?) -> String {
        record.op == .delete ? "" : ContentHash.of(RecordDiff.apply(record.fields, to: base))
    }

    func integrate(_ result: ChangeSetResult, sent: ChangeSet, session: inout PushSession) throws(AgentError) {
        let sentRecords = Dictionary(sent.records.map { ($0.uscc, $0) }, uniquingKeysWith: { $1 })
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = StoreWriter.IndexUpdates()
        for record in result.records {
            let uscc = record.uscc
            let oldBase = session.takeBase(of: uscc) ?? ((try? store.readBase(uscc)) ?? nil)
            let change = sentRecords[uscc]
            switch record.outcome {
            case .rejected:
                let reason = record.reason ?? "refused"
                session.summary.rejected.append((uscc, reason))
                state.rejected[uscc] = .init(hash: change.map { sentContentHash($0, base: oldBase?.document) } ?? "", reason: reason)
                log("record \(uscc) refused by the province: \(reason)")
                continue
            case .deleteRequested:
                session.summary.deleteRequests += 1
                state.pendingDeletes[uscc] = record.conflicts.first?.conflictId ?? 0
                continue
            case .applied, .partial, .conflict, .unchanged:
                if record.outcome == .unchanged { session.summary.unchanged += 1 } else if record.outcome != .conflict { session.summary.applied += 1 }
            }
            state.rejected[uscc] = nil
            let fields = change?.fields ?? [:]
            for c in record.conflicts {
                session.summary.conflicts.append((uscc, c.field, c.conflictId))
                state.parked[uscc, default: [:]][c.field] = .init(conflictId: c.conflictId, valueHash: fields[c.field]?.value.map(ContentHash.of) ?? "")
            }
            guard var revision = record.revision else { continue }
            if let known = index.entries[uscc]?.baseRevision, known > revision { continue }  // a pull already brought newer
            // What the bureau and the province agreed on is the base with the sent values in
            // place (except those parked): merging against it keeps edits made after sealing.
            // Only what the province applied (or already had) is agreed: a field parked, refused
            // by the policy, or held with a transfer request stays the bureau's pending edit.
            var document = record.document
            if document == nil, let hash = record.hash {
                // Left out of the answer: the province holds the base with every sent field in
                // place. Rebuilt here, and fetched only when it is not what the hash says.
                // (A hash may be cut short: see `AnswerForm.shortHashes`.)
                let rebuilt = RecordDiff.apply(fields, to: oldBase?.document)
                let rebuiltBytes = rebuilt.canonicalBytes()
                let rebuiltHash = ContentHash.of(bytes: rebuiltBytes)
                if hash.count >= AnswerForm.shortHashLength, rebuiltHash.hasPrefix(hash) {
                    try stage(uscc: uscc, theirs: rebuilt, revision: revision, mergeBase: rebuilt, mergeBaseHash: rebuiltHash,
                              theirsHash: rebuiltHash, theirsBytes: rebuiltBytes, batch: batch, updates: &updates)
                    continue
                }
                log("record \(uscc): the province's answer is not the base with the sent fields in place; fetching the record")
                guard let view = try provinceRecord(uscc, refused: &session.summary.refusedFromProvince) else { continue }
                document = view.document
                revision = view.revision
            }
            guard let document else { continue }
            let theirsLeaves = FieldPath.flatten(document)
            let appliedPaths = Set(record.applied)
            let agreed = RecordDiff.apply(fields.filter { appliedPaths.contains($0.key) || theirsLeaves[$0.key] == $0.value.value }, to: oldBase?.document)
            try stage(uscc: uscc, theirs: document, revision: revision, mergeBase: agreed, batch: batch, updates: &updates)
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
        var summary = PullSummary()
        do {
            try ensureEpoch()
            if full { state.cursor = 0 }
            // A store set up from the province's copy needs even the revisions it wrote itself.
            let setUpFromProvince = full || !index.entries.values.contains { $0.hasBase }
            // After a push in the same run the index is fresh; a file saved since is caught by
            // the stat checks of the merge and of the rename, so it is not scanned twice.
            if !scanned, try scanner.scan(&index, snapshot: takeScanAhead()).indexChanged { indexDirty = true }
            scanned = true
            try retryDeferred(&summary)
            while true {
                let (page, refused) = try changes(own: setUpFromProvince)
                CrashPoint.reach("pull.fetched")
                summary.pages += 1
                summary.received += page.records.count + refused.count
                noteRefused(refused, into: &summary.refusedFromProvince)
                hear(page.clock)
                let batch = AtomicBatch(anchor: store.statePath)
                var updates = StoreWriter.IndexUpdates()
                var echoes: [String] = []
                for record in page.records {
                    if record.echo {
                        // A revision this bureau wrote: nothing to fetch when the base has it
                        // (its hash, or without one its revision: checked against the push
                        // answer's hash when it was merged).
                        if let entry = index.entries[record.uscc], entry.hasBase,
                           record.hash.map({ entry.baseHash == $0 }) ?? (entry.baseRevision >= record.revision) {
                            summary.skipped += 1
                            if record.hash != nil { state.provinceHashes[record.uscc] = nil }  // the base is the province's
                            if entry.baseRevision < record.revision { index.entries[record.uscc]?.baseRevision = record.revision; indexDirty = true }
                        } else if full || (index.entries[record.uscc]?.baseRevision ?? -1) < record.revision {
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
                    if !full, let entry = index.entries[record.uscc], entry.baseRevision >= record.revision, entry.invalidReason == nil {
                        summary.skipped += 1
                        continue
                    }
                    let divergent = try stage(uscc: record.uscc, theirs: record.document!, revision: record.revision, mergeBase: nil, batch: batch, updates: &updates)
                    summary.merged += 1
                    summary.divergent += divergent.map { (record.uscc, $0) }
                }
                // Own revisions the base does not match (a crash before the answer was merged,
                // or fields still divergent): fetched one by one and merged like any other.
                for uscc in echoes {
                    guard let view = try provinceRecord(uscc, refused: &summary.refusedFromProvince) else { continue }
                    let divergent = try stage(uscc: uscc, theirs: view.document, revision: view.revision, mergeBase: nil, batch: batch, updates: &updates)
                    summary.merged += 1
                    summary.divergent += divergent.map { (uscc, $0) }
                }
                try commit(batch, updates)
                CrashPoint.reach("pull.committed")
                state.cursor = page.cursor
                try saveState()
                if !page.more { break }
            }
            try settleDecisions(&summary)
            reportSettled(&summary)
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
        do { return try client().record(uscc) } catch .refusedAnswer(let url, let code, let reason) {
            noteRefused([RefusedRecord(uscc: code, reason: "\(reason) (\(url))")], into: &refused)
            return nil
        }
    }

    /// Logs the records of the province's answers that were not taken in and lists them.
    func noteRefused(_ refused: [RefusedRecord], into list: inout [RefusedRecord]) {
        for record in refused { log(record.description) }
        list += refused
    }

    /// Records whose pulled version could not be merged because their file was invalid: once the
    /// file is fixed, fetch the province's version again and merge it.
    func retryDeferred(_ summary: inout PullSummary) throws(AgentError) {
        guard !state.deferred.isEmpty else { return }
        let batch = AtomicBatch(anchor: store.statePath)
        var updates = StoreWriter.IndexUpdates()
        for uscc in state.deferred.sorted() where index.entries[uscc]?.invalidReason == nil {
            let view: RecordView
            do {
                // A refused answer leaves the record waiting, to be asked for again on the next pull.
                guard let fetched = try provinceRecord(uscc, refused: &summary.refusedFromProvince) else { continue }
                view = fetched
            } catch .server(let refusal) where refusal.isNotVisible {
                log("record \(uscc): the province no longer gives it to this bureau (\(refusal.brief)); left as it is")
                state.deferred.remove(uscc)
                continue
            }
            state.deferred.remove(uscc)
            let divergent = try stage(uscc: uscc, theirs: view.document, revision: view.revision, mergeBase: nil, batch: batch, updates: &updates)
            summary.merged += 1
            summary.divergent += divergent.map { (uscc, $0) }
        }
        try commit(batch, updates)
    }

    /// Fields parked for review and delete requests: once the province has decided, its
    /// decision is taken into the working copy — unless the bureau edited the field again
    /// since, in which case the new edit stays and goes out with the next push.
    func settleDecisions(_ summary: inout PullSummary) throws(AgentError) {
        let waiting = Set(state.parked.keys).union(state.pendingDeletes.keys)
        for uscc in waiting.sorted() {
            var decided: [(field: String, parked: AgentState.Parked, conflict: ConflictView)] = []
            var deleteDecision: ConflictView?
            do {
                for (field, parked) in state.parked[uscc] ?? [:] {
                    let conflict = try client().conflict(parked.conflictId)
                    if !conflict.isOpen { decided.append((field, parked, conflict)) }
                }
                if let id = state.pendingDeletes[uscc] {
                    let conflict = try client().conflict(id)
                    if !conflict.isOpen { deleteDecision = conflict }
                }
            } catch .server(let refusal) where refusal.isNotVisible {
                log("record \(uscc): its conflicts are no longer visible to this bureau (\(refusal.brief)); no longer waiting")
                state.parked[uscc] = nil
                state.pendingDeletes[uscc] = nil
                continue
            }
            if decided.isEmpty && deleteDecision == nil { continue }
            guard let view = try provinceRecord(uscc, refused: &summary.refusedFromProvince) else { continue }
            let file = store.recordFile(uscc)
            // One record at a time, and the state changes only once its files are in place: an
            // error or a stop in between leaves it waiting, to be settled on the next pull.
            let batch = AtomicBatch(anchor: store.statePath)
            var updates = StoreWriter.IndexUpdates()
            let knownRevision = index.entries[uscc]?.baseRevision ?? view.revision
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
            let skipped = try commit(batch, updates)
            guard !skipped.contains(uscc) else { continue }
            if let decision = deleteDecision {
                state.pendingDeletes[uscc] = nil
                learned(.init(decision, field: "*", prefix: "delete request: "), &summary)
            }
            for d in decided where takenIn.contains(d.field) {
                state.parked[uscc]?[d.field] = nil
                learned(.init(d.conflict, field: d.field), &summary)
                summary.divergent.removeAll { $0.uscc == uscc && $0.field == d.field }  // decided, not kept
            }
            if state.parked[uscc]?.isEmpty == true { state.parked[uscc] = nil }
            try saveState()
        }
    }

    /// The decisions behind the conflicts a pulled page settled: asked for once, so that the
    /// bureau sees who decided and the note even when the decision was its own value. Only
    /// reported, so an error is logged and the pull goes on.
    func reportSettled(_ summary: inout PullSummary) {
        for settled in writer.takeSettled() {
            do {
                let conflict = try client().conflict(settled.conflictId)
                guard !conflict.isOpen, conflict.status != "withdrawn" else { continue }
                learned(.init(conflict, field: settled.field, prefix: settled.field == "*" && conflict.kind == "delete" ? "delete request: " : ""), &summary)
            } catch {
                log("record \(settled.uscc): could not ask for the decision on conflict \(settled.conflictId): \(error)")
            }
        }
    }

    /// A decision taken in: listed in the pull's summary and kept for `status`.
    func learned(_ decision: AgentState.Decision, _ summary: inout PullSummary) {
        summary.decisions.append(decision)
        state.recentDecisions = (state.recentDecisions + [decision]).suffix(AgentState.recentDecisionsKept)
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
