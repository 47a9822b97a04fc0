import Agent
import EnterpriseModel
import SyncCore

/// What `esync-agent status` shows: what waits to be pushed, what waits at the province, what
/// is wrong with the store, and how the last sync went.
struct StatusReport: Encodable, Sendable {
    struct FileProblem: Encodable, Sendable {
        var file: String
        var reason: String
    }

    struct Waiting: Encodable, Sendable {
        var uscc: String
        var field: String
        var conflictId: Int64
    }

    struct Held: Encodable, Sendable {
        var uscc: String
        var reason: String
    }

    struct Scan: Encodable, Sendable {
        var filesSeen: Int
        var filesRead: Int
    }

    var region: String
    var regionName: String
    var store: String
    var records: Int
    var creates: [String]
    var updates: [String]
    var deleteRequests: [String]
    var outbox: [String]
    /// Records in `outbox`: sealed, not yet acknowledged, and not counted again under
    /// creates/updates/deleteRequests unless edited since they were sealed.
    var outboxRecords: Int
    var invalid: [FileProblem]
    var held: [Held]
    var waitingForReview: [Waiting]
    /// The latest decisions of the province that pulls brought, with who decided and the note.
    var decisions: [AgentState.Decision]
    var cursor: Int64
    var lastPush: AgentState.Outcome?
    var lastPull: AgentState.Outcome?
    /// The province's register and its generation this store syncs with.
    var province: RegisterStamp?
    var epoch: String?
    var lastVerify: AgentState.Verification?
    var scan: Scan

    /// The store's diff is taken change by change, each counted and let go: the report holds
    /// codes, not the records a push would send. (The outbox's sealed changes, to tell them
    /// apart, are read whole: a large push sealed and not yet acknowledged is held meanwhile.)
    init(engine: SyncEngine) throws(AgentError) {
        // A change sealed while the province was away is still a difference from the base until
        // it is acknowledged: it is in the outbox, not "to push" a second time.
        let sealed = try engine.sealedChanges()
        var creates: [String] = [], updates: [String] = [], deleteRequests: [String] = []
        let diff = try engine.diff { change throws(AgentError) in
            guard sealed[change.uscc] != change else { return }
            switch change.op {
            case .create: creates.append(change.uscc)
            case .update: updates.append(change.uscc)
            case .delete: deleteRequests.append(change.uscc)
            }
        }
        (self.creates, self.updates, self.deleteRequests) = (creates, updates, deleteRequests)
        region = engine.config.region
        regionName = Regions.region(code: region)?.name ?? ""
        store = engine.store.root
        records = diff.scan.filesSeen
        outbox = try engine.outboxFiles()
        outboxRecords = sealed.count
        invalid = diff.scan.invalid.map { FileProblem(file: $0.file, reason: $0.reason) }
        held = diff.held.map { Held(uscc: $0.uscc, reason: $0.reason) }
        waitingForReview = engine.state.parked.keys.sorted().flatMap { uscc in
            engine.state.parked[uscc]!.sorted { $0.key < $1.key }.map { Waiting(uscc: uscc, field: $0.key, conflictId: $0.value.conflictId) }
        }
        decisions = engine.state.recentDecisions
        cursor = engine.state.cursor
        lastPush = engine.state.lastPush
        lastPull = engine.state.lastPull
        epoch = engine.state.epoch
        province = engine.state.province
        lastVerify = engine.state.lastVerify
        scan = Scan(filesSeen: diff.scan.filesSeen, filesRead: diff.scan.filesRead)
    }

    /// The report for a person on a terminal.
    var text: String {
        var lines = ["store \(store), region \(region) \(regionName), \(plural(records, "record file"))"]
        let pending = creates.count + updates.count + deleteRequests.count
        lines.append(pending == 0 ? "nothing to push" : "to push: \(creates.count) new, \(updates.count) changed, \(plural(deleteRequests.count, "delete request"))")
        if !outbox.isEmpty {
            lines.append("outbox: \(plural(outbox.count, "sealed change set")) (\(plural(outboxRecords, "record"))) not yet acknowledged; the next push sends \(outbox.count == 1 ? "it" : "them")")
        }
        if !waitingForReview.isEmpty {
            lines.append("waiting for the province's review (\(plural(waitingForReview.count, "field"))):")
            lines += waitingForReview.map { "  \($0.uscc) \($0.field) (conflict \($0.conflictId))" }
        }
        if !decisions.isEmpty {
            lines.append("decided by the province (the latest \(decisions.count)):")
            lines += decisions.map { "  " + $0.line }
        }
        if !held.isEmpty {
            lines.append("not sent (\(held.count)):")
            lines += held.map { "  \($0.uscc): \($0.reason)" }
        }
        if !invalid.isEmpty {
            lines.append("invalid files, not synced (\(invalid.count)):")
            lines += invalid.map { "  \($0.file): \($0.reason)" }
        }
        lines.append("last push: " + (lastPush.map { "\(BeijingTime.text($0.at, seconds: true)) \($0.ok ? "ok" : "FAILED"): \($0.summary)" } ?? "never"))
        lines.append("last pull: " + (lastPull.map { "\(BeijingTime.text($0.at, seconds: true)) \($0.ok ? "ok" : "FAILED"): \($0.summary)" } ?? "never (cursor \(cursor))"))
        lines.append("last verify: " + (lastVerify.map { "\(BeijingTime.text($0.at, seconds: true)) \($0.summary)" } ?? "never"))
        lines.append("store epoch: \(epoch ?? "none yet (given on the next push or pull)")")
        lines.append("province register: " + (province.map { "\($0.register), generation \($0.generation)" } ?? "not known yet (learnt on the next push or pull)"))
        return lines.joined(separator: "\n")
    }
}
