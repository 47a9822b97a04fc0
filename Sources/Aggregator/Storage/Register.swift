import SyncCore

/// The province's register behind one storage layer: every table, statement and migration of the
/// aggregator lives under `Sources/Aggregator/Storage/`, and the services above it (merge, review,
/// report, credentials, the HTTP layer) call the typed operations of a `RegisterTransaction`
/// instead of writing SQL. `ArchitectureTests` keeps it so: only files in this folder import
/// GRDB. `ProvinceDatabase` is the services' handle on one implementation: `SQLiteRegister`
/// (SQLite, WAL, through GRDB), the embedded default; the protocols are written so that a second
/// one (PostgreSQL, several aggregator instances at once) satisfies them too.
///
/// What every implementation promises:
///
/// - **A transaction is all or nothing.** `write` commits when `body` returns and rolls back when
///   it throws; nothing of a refused change set, decision or edit remains.
/// - **One record is never merged by two writers at once.** A writer that loads records to merge
///   them (`RecordStorage.recordsForMerge`) holds them until it commits. SQLite has one writer at
///   a time; a server database locks the rows it loads (`SELECT … FOR UPDATE`, in credit-code
///   order so that two writers cannot deadlock), and the change-sequence row (below).
/// - **The change feed is in commit order.** The sequence numbers that pull cursors point into
///   are handed out inside the writing transaction (`RecordStorage.write(_:context:delta:beforeNumbering:)`,
///   as late in it as can be) from one counter that stays locked until commit, so a reader that
///   has seen `seq` n never later meets a committed record with a smaller `seq`.
/// - **A change set id is applied once.** `ChangeSetStorage` refuses a second result under an id
///   it holds (the id is the key of the applied change sets); the caller answers a resend from
///   the stored result instead.
/// - **Reads see one snapshot.** Everything a `read` body reads comes from one committed state.
protocol RegisterStore: Sendable {
    /// Runs `body` in a read-only transaction (one snapshot).
    func read<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T
    /// `read` on the calling thread, for a command line that streams what it reads (an export).
    func readNow<T>(_ body: (any RegisterTransaction) throws -> T) throws -> T
    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    func write<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T
    /// `write`, and how long the transaction took, its commit included (not the wait for it):
    /// in time, and in CPU time of the thread that ran it (what other processes on the machine
    /// do not stretch).
    func writeTimed<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> (value: T, duration: Duration, cpu: Duration)

    /// Where the register is, for messages (a file's path; a server's address, never a password).
    var location: String { get }
    /// The migrations this version of the register has, in order.
    var knownMigrations: [String] { get }
    /// The migrations the register has run, in the order they ran (none for a new one).
    func appliedMigrations() async throws -> [String]
    /// Brings the register to this version's schema, holding the migration lock; returns the
    /// migrations it ran.
    func migrate() async throws -> [String]
    /// Lets go of the connections.
    func closeConnections() async
}

/// Every typed operation on the register, grouped by the tables they own. An implementation
/// conforms to each group; the services see only this composition.
typealias RegisterTransaction = RecordStorage & CredentialStorage & ChangeSetStorage & ActivityStorage & ConflictStorage & SessionStorage & StoreEpochStorage & ReportStorage
    & IdentityStorage

/// The records, their provenance, history and report facts, conflicts as a merge parks them,
/// and the change sequence.
protocol RecordStorage {
    /// The records with these codes (deleted ones too), by code. In a write transaction they
    /// stay the caller's until it commits: no other writer merges them meanwhile.
    func recordsForMerge(_ codes: [String]) throws -> [String: StoredRecord]
    /// Where the records with these codes are in the change sequence (`seq`, by code; deleted
    /// ones too), without their documents: a writer checks with it that records read earlier
    /// are unchanged. In a write transaction they stay the caller's until it commits, as with
    /// `recordsForMerge`.
    func recordSequence(_ codes: [String]) throws -> [String: Int64]
    /// Whether the records with these codes are as a read found them (`stored`, by code) when
    /// the change sequence stood at `sequence` (its `lastChangeSequence`): none created,
    /// written, deleted or moved since. In a write transaction they stay the caller's until it
    /// commits, as with `recordsForMerge`. (By default with `recordSequence`.)
    func unchanged(_ codes: [String], stored: [String: StoredRecord], since sequence: Int64) throws -> Bool
    /// One record (deleted or not); nil when the province never had it.
    func record(_ uscc: String) throws -> StoredRecord?
    /// The clock of the edit that set each field of a record (provenance), by field path.
    func fieldClocks(_ uscc: String) throws -> [String: HybridTimestamp]
    /// Writes a merge's plan: its conflicts (an open conflict for the same field and incoming
    /// value, or the same automatic decision, is reused), then its revisions (see
    /// `write(_:context:delta:beforeNumbering:)`); returns the answers with the conflicts' ids.
    /// `beforeNumbering` gets those answers, so that a writer can keep them (the change set's
    /// result) before it takes the province-wide rows, not while it holds them.
    func write(_ plan: WritePlan, beforeNumbering: ([RecordResult]) throws -> Void) throws -> [RecordResult]
    /// Writes new revisions in order: the records, their provenance, their history (what
    /// changed, see `HistoryEntry`), their report facts and the totals. Each revision gets the
    /// next numbers of the change sequence, in order; returns the records as stored.
    ///
    /// The change sequence is taken as late as it can be: after the rows of the records
    /// themselves that need no number (their facts), `beforeNumbering` runs (a writer takes
    /// there the other province-wide row it must hold to commit, the clock's, always before
    /// the sequence's), then the numbers are taken and the rest written (the region's totals,
    /// records, history). Where writers run at once (PostgreSQL), the province-wide rows are
    /// so held only for the end of each transaction, and taken by every writer in one order:
    /// clock, sequence, totals. `delta`: what the revisions move in the report's totals, when
    /// made already (`WritePlan.delta`); nil, the writer works it out.
    @discardableResult
    func write(_ revisions: [WritePlan.Revision], context: WriteContext, delta: FactsDelta?, beforeNumbering: () throws -> Void) throws
        -> [StoredRecord]
    /// A record's history, oldest first.
    func history(of uscc: String) throws -> [HistoryEntry]
    /// Each field's provenance (`~*`: the creation's, for every field not written since), with
    /// the key that signed the change set when it was signed.
    func provenance(of uscc: String) throws -> [String: Provenance]
    /// The change feed of a region: its records changed after `cursor` and the tombstones of
    /// those that moved away, in `seq` order (commit order), at most `limit`. A record whose last
    /// writer is `requester` comes without its document (`echo`), or not at all when
    /// `leavingOutEchoes` (a deleted one always comes).
    func changes(region: String, after cursor: Int64, limit: Int, requester: String?, leavingOutEchoes: Bool) throws -> [ChangedRow]
    /// The highest `seq` of the region's feed (its records and the tombstones of those that moved
    /// away), 0 when it has none: where a page that left rows out and reached the end puts its
    /// cursor. In commit order like the feed, so no row of a lower `seq` can commit after it.
    func lastChangeSeq(region: String) throws -> Int64
    /// How many live records a region has.
    func liveRecords(region: String) throws -> Int
    /// The province's hybrid logical clock as last saved (nil: never).
    func savedClock() throws -> HybridTimestamp?
    func saveClock(_ last: HybridTimestamp) throws
}

extension RecordStorage {
    func changes(region: String, after cursor: Int64, limit: Int, requester: String?) throws -> [ChangedRow] {
        try changes(region: region, after: cursor, limit: limit, requester: requester, leavingOutEchoes: false)
    }

    func unchanged(_ codes: [String], stored: [String: StoredRecord], since sequence: Int64) throws -> Bool {
        try unchangedRecordByRecord(codes, stored: stored)
    }

    /// `unchanged` by each record's place in the change sequence now (every write of a record
    /// moves it, and its provenance only with it).
    func unchangedRecordByRecord(_ codes: [String], stored: [String: StoredRecord]) throws -> Bool {
        let now = try recordSequence(codes)
        return now.count == stored.count && stored.allSatisfy { now[$0.key] == $0.value.seq }
    }

    /// `write(_:beforeNumbering:)` with nothing else to hold.
    func write(_ plan: WritePlan) throws -> [RecordResult] { try write(plan, beforeNumbering: { _ in }) }
    /// `write(_:context:delta:beforeNumbering:)`, the totals' delta worked out by the writer.
    @discardableResult
    func write(_ revisions: [WritePlan.Revision], context: WriteContext, beforeNumbering: () throws -> Void) throws -> [StoredRecord] {
        try write(revisions, context: context, delta: nil, beforeNumbering: beforeNumbering)
    }

    /// `write(_:context:delta:beforeNumbering:)` with nothing else to hold.
    @discardableResult
    func write(_ revisions: [WritePlan.Revision], context: WriteContext) throws -> [StoredRecord] {
        try write(revisions, context: context, delta: nil, beforeNumbering: {})
    }
}

/// A row of the change feed (see `RecordStorage.changes`).
struct ChangedRow: Sendable {
    var uscc: String
    var revision: Int64
    var seq: Int64
    var deleted: Bool
    /// Nil for an echo, a deleted record or a move.
    var document: String?
    var hash: String?
    var echo: Bool
    var movedTo: String?
}

/// When each region last pushed and pulled, and with which agent.
struct RegionActivityRow: Sendable {
    var lastPushAt: String?
    var lastPushRecords: Int?
    var agent: String?
    var lastPullAt: String?
    var lastPullCursor: Int64?
}

protocol ActivityStorage {
    /// Notes a region's push. The region's row stays the caller's until it commits: two merges
    /// of one region's change sets (on two instances) run one after the other, so the
    /// mass-change guard of the second counts the first. A writer that also changes the region's
    /// store row (`StoreEpochStorage`, see `RegionActivity.notePull`) changes that one first.
    func notePush(region: String, at: String, changeSet: String, records: Int, agent: String?) throws
    func notePull(region: String, at: String, cursor: Int64) throws
    func activity(region: String) throws -> RegionActivityRow?
    /// Every region's activity, by region.
    func activities() throws -> [String: RegionActivityRow]
    /// A region's conflicts by status (`open`, `resolved`, `auto`, `withdrawn`) and its held change sets.
    func conflictCounts(region: String) throws -> [String: Int]
    func heldCount(region: String) throws -> Int
    /// Each live record of a region: its code, revision and stored document text.
    func forEachLiveRecord(region: String, _ body: (String, Int64, String) throws -> Void) throws
}
