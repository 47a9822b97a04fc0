#if canImport(Glibc)
import Glibc
#endif
import GRDB

/// A transaction on the SQLite register: the `RegisterTransaction` of `ProvinceDatabase`. Its
/// operations live in one extension per group of tables (`SQLiteTransaction+Records.swift` …).
/// Statements are prepared once per connection (`cachedStatement`); a batch is written with
/// multi-row statements of at most `rowsPerStatement` rows.
struct SQLiteTransaction: RegisterTransaction {
    let db: Database

    static let rowsPerStatement = 100

    /// Runs `INSERT … VALUES (…), (…) …` over `values`, `width` values a row in order, `tail`
    /// after the values (an upsert clause), in statements of at most `rowsPerStatement` rows.
    /// (Flat values, not rows of existentials: building those was a tenth of a batch's write.)
    func insert(_ head: String, width: Int, values: [DatabaseValue], tail: String = "") throws {
        guard width > 0, !values.isEmpty else { return }
        let rows = values.count / width
        let placeholders = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var start = 0
        while start < rows {
            let end = min(start + Self.rowsPerStatement, rows)
            let sql = head + " VALUES " + Array(repeating: placeholders, count: end - start).joined(separator: ", ") + (tail.isEmpty ? "" : " " + tail)
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values[start * width ..< end * width]))
            start = end
        }
    }
}

extension ProvinceDatabase: RegisterStore {
    func read<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        try await pool.read { db in try body(SQLiteTransaction(db: db)) }
    }

    func write<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        try await pool.write { db in try body(SQLiteTransaction(db: db)) }
    }

    func writeTimed<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> (value: T, duration: Duration, cpu: Duration) {
        try await pool.writeWithoutTransaction { db in
            let started = ContinuousClock.now
            let cpuStarted = Self.threadCPUTime()
            var value: T?
            try db.inTransaction(.immediate) {
                value = try body(SQLiteTransaction(db: db))
                return .commit
            }
            guard let value else { throw ServiceError.internalError("a write transaction ended without its result") }
            return (value, ContinuousClock.now - started, Self.threadCPUTime() - cpuStarted)
        }
    }

    /// The CPU time the calling thread has used.
    static func threadCPUTime() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
