#if canImport(Glibc)
import Glibc
#endif
import GRDB
import GRDBSQLite

/// A transaction on the SQLite register: the `RegisterTransaction` of `SQLiteRegister`. Its
/// operations live in one extension per group of tables (`SQLiteTransaction+Records.swift` …).
/// Statements are prepared once per connection (`cachedStatement`); a batch is written with
/// multi-row statements of at most `rowsPerStatement` rows.
struct SQLiteTransaction: RegisterTransaction {
    let db: Database

    static let rowsPerStatement = 100

    /// Runs `INSERT … VALUES (…), (…) …` over `values`, `width` values a row in order, `tail`
    /// after the values (an upsert clause), in statements of at most `rowsPerStatement` rows.
    /// (Flat values, not rows of existentials: building those was a tenth of a batch's write.)
    func insert<Value: SQLiteBindable>(_ head: String, width: Int, values: [Value], tail: String = "") throws {
        guard width > 0, !values.isEmpty else { return }
        let rows = values.count / width
        let placeholders = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var start = 0
        while start < rows {
            let end = min(start + Self.rowsPerStatement, rows)
            let sql = head + " VALUES " + Array(repeating: placeholders, count: end - start).joined(separator: ", ") + (tail.isEmpty ? "" : " " + tail)
            try execute(db.cachedStatement(sql: sql), values[start * width ..< end * width])
            start = end
        }
    }

    /// Runs the one-row statement `sql` once for each row of `values` (`width` values a row, in
    /// order: `?1` is a row's first). For updates by key: an `UPDATE … FROM (VALUES …)` of many
    /// rows first copies them all into a temporary table, which took SQLite longer than running
    /// a prepared statement once per row.
    func executeEach<Value: SQLiteBindable>(_ sql: String, width: Int, values: [Value]) throws {
        guard width > 0, !values.isEmpty else { return }
        let statement = try db.cachedStatement(sql: sql)
        var start = 0
        while start < values.count {
            try execute(statement, values[start ..< start + width])
            start += width
        }
    }
}

extension SQLiteTransaction {
    /// Binds `values` to a statement that writes and runs it. (GRDB's `StatementArguments`
    /// converts a batch's values one by one through a generic key path, which cost more than
    /// SQLite running the statement; the values are `DatabaseValue`s already, or `BatchValue`s.)
    private func execute<Value: SQLiteBindable>(_ statement: Statement, _ values: ArraySlice<Value>) throws {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let code = value.bind(to: raw, at: index)
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot bind value \(index)", sql: statement.sql) }
        }
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
        }
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { return }
            if code == SQLITE_ROW { continue }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(raw))), sql: statement.sql)
        }
    }
}

/// A value `SQLiteTransaction` binds to a statement's parameter `index` (from 1), returning
/// SQLite's result code. SQLite copies the bytes it is given (`SQLITE_TRANSIENT`).
protocol SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: CInt) -> CInt
}

extension DatabaseValue: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: CInt) -> CInt {
        switch storage {
        case .null: return sqlite3_bind_null(statement, index)
        case .int64(let i): return sqlite3_bind_int64(statement, index, i)
        case .double(let d): return sqlite3_bind_double(statement, index, d)
        case .string(let text):
            var text = text
            return text.withUTF8 { BatchValue.bindText($0, to: statement, at: index) }
        case .blob(let data):
            return data.withUnsafeBytes { bytes in sqlite3_bind_blob(statement, index, bytes.baseAddress, CInt(bytes.count), BatchValue.transient) }
        }
    }
}

/// A value of a batch of records: GRDB's, or text given as its UTF-8 bytes (a record's
/// canonical text and its history's, `WritePlan.Revision.canonical`), bound as TEXT without
/// being made into a `String` first.
enum BatchValue: SQLiteBindable {
    case value(DatabaseValue)
    case utf8([UInt8])

    func bind(to statement: OpaquePointer, at index: CInt) -> CInt {
        switch self {
        case .value(let value): value.bind(to: statement, at: index)
        case .utf8(let bytes): bytes.withUnsafeBufferPointer { Self.bindText($0, to: statement, at: index) }
        }
    }

    static func bindText(_ bytes: UnsafeBufferPointer<UInt8>, to statement: OpaquePointer, at index: CInt) -> CInt {
        // (An empty buffer may have no address, which SQLite would bind as NULL.)
        if bytes.isEmpty { return sqlite3_bind_text(statement, index, "", 0, transient) }
        return bytes.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(statement, index, $0.baseAddress, CInt($0.count), transient) }
    }

    /// SQLite copies the bytes it is given (`SQLITE_TRANSIENT`, a macro Swift does not import).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

extension SQLiteRegister: RegisterStore {
    func read<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        try await pool.read { db in try body(SQLiteTransaction(db: db)) }
    }

    func readNow<T>(_ body: (any RegisterTransaction) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteTransaction(db: db)) }
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
