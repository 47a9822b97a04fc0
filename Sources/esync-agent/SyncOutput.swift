import Agent
import ArgumentParser

/// `push --json`, `pull --json`, `sync --json`: the summaries for scripts, with the exit code
/// the command ends with. `sync` prints `{"push": …, "pull": …, "exitCode": N}`; an error
/// that stops a command prints `{"error": {"message", "exitCode"}}` instead (see
/// `CommandReporter`).
struct SyncJSON: Encodable {
    struct Push: Encodable {
        struct Field: Encodable { var uscc: String; var field: String; var conflictId: Int64 }
        struct Record: Encodable { var uscc: String; var reason: String }
        struct File: Encodable { var file: String; var reason: String }
        struct Withdrawn: Encodable { var uscc: String; var conflictId: Int64 }
        struct HeldChangeSet: Encodable { var id: String; var message: String }
        var changeSetsSent: Int
        var recordsSent: Int
        var applied: Int
        var unchanged: Int
        var deleteRequests: Int
        var waitingForReview: [Field]
        var rejected: [Record]
        var withdrawnDeleteRequests: [Withdrawn]
        var invalid: [File]
        var held: [Record]
        var heldChangeSets: [HeldChangeSet]
        var refusedFromProvince: [Record]
        var summary: String

        init(_ s: SyncEngine.PushSummary) {
            changeSetsSent = s.changeSetsSent
            recordsSent = s.recordsSent
            applied = s.applied
            unchanged = s.unchanged
            deleteRequests = s.deleteRequests
            waitingForReview = s.conflicts.map { Field(uscc: $0.uscc, field: $0.field, conflictId: $0.conflictId) }
            rejected = s.rejected.map { Record(uscc: $0.uscc, reason: $0.reason) }
            withdrawnDeleteRequests = s.withdrawn.map { Withdrawn(uscc: $0.uscc, conflictId: $0.conflictId) }
            invalid = s.invalid.map { File(file: $0.file, reason: $0.reason) }
            held = s.held.map { Record(uscc: $0.uscc, reason: $0.reason) }
            heldChangeSets = s.heldChangeSets.map { HeldChangeSet(id: $0.id, message: $0.message) }
            refusedFromProvince = s.refusedFromProvince.map { Record(uscc: $0.uscc, reason: $0.reason) }
            summary = s.line
        }
    }

    struct Pull: Encodable {
        struct Field: Encodable { var uscc: String; var field: String }
        var pages: Int
        var received: Int
        var merged: Int
        var upToDate: Int
        var cursor: Int64
        var keptLocal: [Field]
        var deferred: [String]
        /// Each with `conflictId`, `by`, `at` and `note` as the province answered.
        var decisions: [AgentState.Decision]
        var refusedFromProvince: [Push.Record]
        var summary: String

        init(_ s: SyncEngine.PullSummary) {
            pages = s.pages
            received = s.received
            merged = s.merged
            upToDate = s.skipped
            cursor = s.cursor
            keptLocal = s.divergent.map { Field(uscc: $0.uscc, field: $0.field) }
            deferred = s.deferred
            decisions = s.decisions
            refusedFromProvince = s.refusedFromProvince.map { Push.Record(uscc: $0.uscc, reason: $0.reason) }
            summary = s.line
        }
    }

    var push: Push?
    var pull: Pull?
    var exitCode: Int32

    init(push: Push? = nil, pull: Pull? = nil, exitCode: ExitCode) {
        self.push = push
        self.pull = pull
        self.exitCode = exitCode.rawValue
    }
}

/// `push`, `pull` and `sync` for a person: the summary line, then one line per record that
/// needs a look.
enum PushReport {
    static func print(_ summary: SyncEngine.PushSummary) {
        Swift.print("push: \(summary.line)")
        for c in summary.conflicts { Swift.print("  \(c.uscc) \(c.field): waits for the province's review (conflict \(c.conflictId))") }
        for w in summary.withdrawn { Swift.print("  \(w.uscc): delete request withdrawn (conflict \(w.conflictId)): its file is back") }
        for r in summary.rejected { Swift.print("  \(r.uscc): refused: \(r.reason)") }
        for i in summary.invalid { Swift.print("  \(i.file): not sent: \(i.reason)") }
        for h in summary.heldChangeSets { Swift.print("  \(h.message)") }
        for r in summary.refusedFromProvince { Swift.print("  \(r)") }
    }
}

enum PullReport {
    static func print(_ summary: SyncEngine.PullSummary) {
        Swift.print("pull: \(summary.line)")
        for d in summary.divergent { Swift.print("  kept local \(d.field) of \(d.uscc) (the province changed it too; the next push sends it for review)") }
        for d in summary.decisions { Swift.print("  " + d.line) }
        for r in summary.refusedFromProvince { Swift.print("  \(r)") }
    }
}
