import Agent

/// `push --json`, `pull --json`, `sync --json`: the summaries for scripts, with the exit code
/// the command ends with. `sync` prints `{"push": …, "pull": …, "exitCode": N}`; an error
/// that stops a command prints `{"error": {"message", "exitCode"}}` instead (see `reporting`).
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
}

/// What `reporting(json: true)` prints when an error stops the command.
struct ErrorJSON: Encodable {
    struct Body: Encodable {
        var message: String
        var exitCode: Int32
    }
    var error: Body
}
