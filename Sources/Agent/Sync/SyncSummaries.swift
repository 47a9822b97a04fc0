import EnterpriseModel
import SyncCore

/// What a push and a pull did, as the command line prints it (`line`) and decides its exit code
/// (`isClean`), and as `status` and the daemon keep it.
extension SyncEngine {
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
