import EnterpriseModel
import Foundation
import SyncCore

/// The bureau's outbox, `.esync/outbox/`: change sets sealed (signed, chained, numbered) durably
/// before anything is sent, then sent in order. A change set too large for the province is
/// sealed again as two halves; one the province refuses whole is set aside in
/// `.esync/refused/` with its reason, and the change sets after it are chained again; one it
/// holds (mass-change guard) stays until the province decides. A change set leaves the outbox
/// only once the province's answer is merged into the store (`Outbox+Answers`).
final class Outbox {
    let config: AgentConfig
    let store: Store
    let writer: StoreWriter
    let clock: BureauClock
    let province: ProvinceLink
    var log: (String) -> Void = { _ in }
    /// Asked before each send: true stops the push there, with what is sealed kept.
    var shouldStop: @Sendable () -> Bool = { false }
    /// The store's signing key, read (or made) once.
    var signingKeyStorage: SigningKey?
    /// The hash of the change set sealed last in this push: the next one's `previous`.
    var lastSealedHash: String?

    init(config: AgentConfig, store: Store, writer: StoreWriter, clock: BureauClock, province: ProvinceLink) {
        self.config = config
        self.store = store
        self.writer = writer
        self.clock = clock
        self.province = province
    }

    /// The outbox may have changed since the last push of this engine: the next seal reads its
    /// newest change set for the chain.
    func forgetLastSealed() { lastSealedHash = nil }

    /// The identity sent with the change set of outbox file `name` (`000000000017-ID.json`).
    func identity(sending name: String) -> StoreIdentity? {
        guard var identity = writer.durableIdentity else { return nil }
        identity.changeSetSequence = Int64(name.prefix(12))
        return identity
    }

    /// The change set id in an outbox file's name (`000000000017-ID.json`).
    static func changeSetID(ofOutboxFile name: String) -> String {
        String(name.dropFirst(13).dropLast(5))
    }

    /// Seals changes into the outbox, durably, as one change set, before anything is sent.
    /// `clock`: the edit time of a change set sealed again (split); a new one gets a tick.
    /// `push`: the push it is a piece of, with how many existing records that push changes or
    /// deletes (`ChangeSet.push`, `PushSession.piece`); nil when it changes none. Every piece
    /// says so, even one of new records only: the mass-change guard then leaves all of the
    /// push's earlier pieces out of the region's recent changes.
    @discardableResult
    /// `recovers`: a recovery change set's generation (`ChangeSet.recovers`, `SyncEngine.heal`).
    func seal(_ chunk: [RecordChange], clock: HybridTimestamp? = nil, push: (id: String, changes: Int)?, recovers: String? = nil) throws(AgentError) -> SealedChangeSet {
        var changeSet = ChangeSet(id: UUID().uuidString.lowercased(), region: config.region, createdAt: SyncEngine.timestamp(),
                                  agent: "esync-agent/\(AgentVersion.current)", records: chunk)
        changeSet.recovers = recovers
        if let piece = push {
            changeSet.push = piece.id
            changeSet.pushChanges = piece.changes
        }
        changeSet.clock = clock ?? self.clock.tick(&writer.state.clock)
        let next = try nextLink()
        let seal = try sign(&changeSet, after: next.previous)
        writer.state.outboxSequence = next.sequence
        // The number is kept before the file exists: a crash in between leaves a gap, never two
        // change sets under one number (which the province takes for a restored store). The
        // chain head moves only once the file is durable.
        try writer.saveState()
        let name = String(format: "%012lld-%@.json", next.sequence, changeSet.id)
        let bytes = changeSet.signature.flatMap { seal.body(signature: $0) } ?? changeSet.encoded()
        try FileSystem.writeAtomically(store.outboxPath + "/" + name, bytes)
        CrashPoint.reach("seal.written")
        lastSealedHash = seal.hash
        writer.state.chainHead = seal.hash
        try writer.saveState()
        let whole = chunk.count { $0.document != nil }
        log("sealed change set \(changeSet.id) with \(plural(chunk.count, "record"))\(whole == 0 ? "" : " (\(whole) new, sent whole)")")
        return SealedChangeSet(name: name, bytes: bytes, changeSet: changeSet)
    }

    /// A change set as it lies in the outbox.
    struct SealedChangeSet {
        var name: String
        var bytes: [UInt8]
        var changeSet: ChangeSet
    }

    /// The outbox's change set files, oldest first (`000000000017-ID.json`).
    func files() throws(AgentError) -> [String] {
        try FileSystem.list(store.outboxPath).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// The record changes sealed in the outbox and not yet acknowledged, the latest per record
    /// (an outbox file that cannot be read is left out: the push names it). A record sealed
    /// whole is given field by field, as a diff gives it.
    func sealedChanges() throws(AgentError) -> [String: RecordChange] {
        var sealed: [String: RecordChange] = [:]
        for name in try files() {
            guard let bytes = try? FileSystem.read(store.outboxPath + "/" + name), let changeSet = try? ChangeSet.decode(bytes) else { continue }
            for change in changeSet.records { sealed[change.uscc] = change.fieldByField }
        }
        return sealed
    }

    /// `answered`: change sets this push has already had an answer for (held ones).
    /// Sends the outbox in order, each change set once its answer to the one before is merged.
    func send(_ session: inout PushSession, answered: Set<String> = []) throws(AgentError) {
        for name in try files() where !answered.contains(name) {
            if shouldStop() {
                let waiting = try files().count
                throw .stopped("\(plural(waiting, "change set")) \(waiting == 1 ? "waits" : "wait") in the outbox for the next run")
            }
            let path = store.outboxPath + "/" + name
            let bytes = try FileSystem.read(path)
            let sent: ChangeSet
            do { sent = try ChangeSet.decode(bytes) } catch {
                throw .corruptState(path: path, reason: "sealed change set cannot be read (\(error)); move it aside to continue")
            }
            // The answers may change record files: the scan that follows looks at the folder anew.
            writer.willChangeRecordFiles()
            let result: ChangeSetResult
            let client = try province.client()
            do {
                defer { province.heard(from: client) }
                let answer = try client.push(bytes, sent: sent, identity: identity(sending: name))
                result = answer.result
                RefusedRecord.note(log: log, answer.refused, into: &session.summary.refusedFromProvince)
            } catch .server(let refusal) where refusal.kind == .tooLarge && sent.records.count > 1 {
                // Larger than the province accepts (nothing was applied): seal it again as two
                // halves and go on with the outbox.
                // The halves stay pieces of the push the whole was a piece of.
                let half = sent.records.count / 2
                let push: (id: String, changes: Int)? = sent.push.flatMap { id in sent.pushChanges.map { (id, $0) } }
                try seal(Array(sent.records[..<half]), clock: sent.clock, push: push, recovers: sent.recovers)
                try seal(Array(sent.records[half...]), clock: sent.clock, push: push, recovers: sent.recovers)
                try FileSystem.remove(path)
                try rechain(after: name, from: sent.previous ?? "")
                log("change set \(sent.id) is too large for the province (\(refusal.message)); split in two")
                return try send(&session, answered: answered)
            } catch .server(let refusal) where Self.sealRefusals.contains(refusal.code) {
                throw try sealRefused(sent, bytes: bytes, path: path, code: refusal.code, message: refusal.message)
            } catch .server(let refusal) where refusal.refusesChangeSet && !province.takesWholeRecords
                && sent.records.contains(where: { $0.document != nil }) {
                // A province that does not take new records sent whole (an older one, answering
                // after one that did) refuses the change set: sealed again with each of them
                // field by field, with the ones after it, and the outbox goes on. (Only a refusal
                // of the change set as it is: one that is not the province's last word, a 503
                // say, is waited out as any other.)
                try rechain(try files().filter { $0 >= name }, from: sent.previous ?? "") { $0.records = $0.records.map(\.fieldByField) }
                log("change set \(sent.id) was refused by a province that does not take new records sent whole (\(refusal.message)); sealed again field by field")
                return try send(&session, answered: answered)
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
    func noteHeld(_ result: ChangeSetResult, sent: ChangeSet, into summary: inout SyncEngine.PushSummary) throws(AgentError) {
        if writer.state.heldChangeSets[sent.id] == nil { log(result.message ?? "change set \(sent.id) is held by the province") }
        writer.state.heldChangeSets[sent.id] = sent.records.map(\.uscc)
        summary.heldChangeSets.append((sent.id, result.message ?? "held for the province's approval"))
        try writer.saveState()
    }

    /// Takes in the province's answer to a change set it applied, then removes it from the outbox.
    func acknowledged(_ result: ChangeSetResult, sent: ChangeSet, path: String, session: inout PushSession) throws(AgentError) {
        CrashPoint.reach("push.answered")
        writer.state.heldChangeSets[sent.id] = nil
        self.clock.hear(result.clock, &writer.state.clock)
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
    func refuse(_ changeSet: ChangeSet, file: String, reason: String, url: String, into summary: inout SyncEngine.PushSummary) throws(AgentError) {
        let folder = store.statePath + "/refused"
        try FileSystem.makeDirectory(folder)
        try FileSystem.writeAtomically(folder + "/" + file + ".reason", Array("\(url): \(reason)\n".utf8))
        if rename(store.outboxPath + "/" + file, folder + "/" + file) != 0 {
            throw .io(path: store.outboxPath + "/" + file, operation: "move to \(folder)", errno: errno)
        }
        writer.state.heldChangeSets[changeSet.id] = nil
        for record in changeSet.records {
            let base = try? store.readBase(record.uscc)
            writer.state.rejected[record.uscc] = .init(hash: sentContentHash(record, base: base?.document), reason: reason)
            summary.rejected.append((record.uscc, reason))
        }
        try writer.saveState()
        log("change set \(changeSet.id) refused by the province (\(reason)); kept in \(folder)")
    }

}
