import SyncCore

/// Which conflicts to read: every condition given must hold.
struct ConflictQuery: Sendable {
    var status: String?
    var region: String?
    var field: String?
    var kind: String?
    var uscc: String?
    /// Raised before (`createdBefore`) or at the latest (`createdAtMost`) this time.
    var createdBefore: String?
    var createdAtMost: String?
    var offset = 0
    var limit = 1000
}

/// The conflict queue: conflicts parked for review and automatic decisions, their decisions,
/// and the moves an approved transfer makes.
protocol ConflictStorage {
    func conflict(id: Int64) throws -> ConflictView?
    /// Conflicts matching `query`, oldest first.
    func conflicts(_ query: ConflictQuery) throws -> [ConflictView]
    func conflictCount(_ query: ConflictQuery) throws -> Int
    /// Open conflicts counted by region, kind and field.
    func openConflictCounts() throws -> [(region: String, kind: String, field: String, count: Int)]
    /// A transfer's whole record change (canonical JSON), and what a re-opened decision was.
    func conflictRequest(id: Int64) throws -> String?
    func conflictReopenedFrom(id: Int64) throws -> String?
    func resolveConflict(id: Int64, decision: String, value: String?, note: String?, by: String, at: String, revision: Int64?) throws
    /// Closes the record's other open conflicts (the record was deleted).
    func resolveOpenConflicts(uscc: String, except id: Int64, note: String, by: String, at: String, revision: Int64) throws
    func reopenConflict(id: Int64, by: String) throws
    func withdrawConflict(id: Int64, note: String, by: String, at: String) throws
    /// The enterprises' names as the province holds them now, by credit code.
    func enterpriseNames(_ codes: [String]) throws -> [String: String]
    /// An approved transfer: the record left `from` at change sequence `seq`.
    func insertMove(uscc: String, from: String, to: String, seq: Int64, revision: Int64, at: String, conflict: Int64) throws
}
