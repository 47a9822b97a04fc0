import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A value bound to a statement's parameter, of the type its column has (`BIGINT`, `TEXT`,
/// `BOOLEAN`, `DOUBLE PRECISION`, `BYTEA`). A NULL is sent untyped: the server takes the
/// column's type. The arrays (`BIGINT[]`, `TEXT[]`, `BOOLEAN[]`) carry a column of many rows
/// at once (`unnest`, see `PostgresTransaction.write(_:context:delta:beforeNumbering:)`).
enum SQLValue: Sendable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case bool(Bool)
    case bytes([UInt8])
    case ints([Int64])
    case texts([String])
    case bools([Bool])

    init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    init(_ int: Int64?) { self = int.map(SQLValue.int) ?? .null }
    init(_ int: Int) { self = .int(Int64(int)) }
}

/// A row as read: its cells by position, decoded with the column and statement named when one
/// is not of the type asked for.
struct SQLRow {
    let row: PostgresRandomAccessRow
    let sql: String

    init(_ row: PostgresRow, sql: String) {
        self.row = row.makeRandomAccess()
        self.sql = sql
    }

    private func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T {
        guard index < row.count else {
            throw PostgresRegisterError(action: "read column \(index + 1) of a row of \(row.count)", statement: sql)
        }
        do { return try row[index].decode(T.self) } catch {
            throw PostgresRegisterError(action: "read column \(row[index].columnName) as \(T.self)", statement: sql, underlying: "\(error)")
        }
    }

    func int(_ index: Int) throws -> Int64 { try cell(index, Int64.self) }
    func optionalInt(_ index: Int) throws -> Int64? { try cell(index, Int64?.self) }
    func string(_ index: Int) throws -> String { try cell(index, String.self) }
    func optionalString(_ index: Int) throws -> String? { try cell(index, String?.self) }
    func bool(_ index: Int) throws -> Bool { try cell(index, Bool.self) }
    func double(_ index: Int) throws -> Double { try cell(index, Double.self) }
    func bytes(_ index: Int) throws -> [UInt8] { Array(try byteBuffer(index).readableBytesView) }
    /// A cell's bytes as received (a `TEXT` column's UTF-8, unchecked), without a copy.
    func byteBuffer(_ index: Int) throws -> ByteBuffer { try cell(index, ByteBuffer.self) }
    func optionalBytes(_ index: Int) throws -> [UInt8]? { try cell(index, ByteBuffer?.self).map { Array($0.readableBytesView) } }
}

/// A transaction on the PostgreSQL register: the `RegisterTransaction` of `PostgresRegister`.
/// Its operations live in one extension per group of tables, as on the SQLite side
/// (`PostgresTransaction+Records.swift` …). It runs on a session's own thread, never on Swift's
/// cooperative pool: each statement waits there for PostgresNIO's answer. In a write
/// transaction (`locking`) the records a merge loads are locked (`SELECT … FOR UPDATE`, in
/// credit-code order) and so is the change-sequence row, until commit.
struct PostgresTransaction: RegisterTransaction {
    let connection: PostgresConnection
    let logger: Logger
    /// A write transaction: rows loaded to be changed are locked.
    let locking: Bool
    /// How long a statement may go without the server's answer (`database.statementTimeoutSeconds`);
    /// then the connection is closed and the statement fails as unavailable. Nil: as long as it
    /// takes (migrations, `database copy`).
    var timeout: Duration? = nil

    /// Parameters per statement at most (the protocol allows 65,535).
    static let maxParameters = 30_000
    /// Rows per multi-row statement at most.
    static let maxRows = 500

    /// Runs `sql` with `values` for `$1`, `$2` … and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) throws -> [SQLRow] {
        try run(sql, values[...]).rows.map { SQLRow($0, sql: sql) }
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        try run(sql, values[...]).metadata.rows ?? 0
    }

    /// The first row, if any.
    func one(_ sql: String, _ values: [SQLValue] = []) throws -> SQLRow? {
        try query(sql, values).first
    }

    private func run(_ sql: String, _ values: ArraySlice<SQLValue>) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .int(let i): binds.append(i)
            case .double(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .bool(let b): binds.append(b)
            case .bytes(let b): binds.append(ByteBuffer(bytes: b))
            case .ints(let a): binds.append(a)
            case .texts(let a): binds.append(a)
            case .bools(let a): binds.append(a)
            }
        }
        let answer = connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        if let timeout {
            let answered = DispatchSemaphore(value: 0)
            answer.whenComplete { _ in answered.signal() }
            let deadline = ContinuousClock.now + timeout
            // Looked at every second: a statement sent as the server went away (its primary
            // killed, in a failover) may get neither an answer nor an error from the closed
            // connection, and would otherwise hold its session until the deadline (seen: the
            // bureaus back 64 s after a promotion instead of a few).
            while answered.wait(timeout: .now() + .seconds(1)) == .timedOut {
                if connection.isClosed {
                    throw PostgresRegisterError(action: "get an answer from the server", statement: sql,
                                                underlying: "the server closed the connection before answering", unavailable: true)
                }
                if ContinuousClock.now >= deadline {
                    // Closing fails the statement's future, and the session is not used again.
                    connection.close().whenComplete { _ in }
                    throw PostgresRegisterError(action: "get an answer from the server", statement: sql, underlying: "none came within \(timeout) (database.statementTimeoutSeconds); the connection is given up", unavailable: true)
                }
            }
        }
        do {
            return try answer.wait()
        } catch {
            throw PostgresRegisterError(statement: sql, error)
        }
    }

    /// Runs `INSERT … VALUES ($1, …), (…) …` over `values`, `width` values a row in order,
    /// `tail` after the values (an upsert clause), in statements of at most `maxRows` rows and
    /// `maxParameters` parameters.
    func insert(_ head: String, width: Int, values: [SQLValue], tail: String = "") throws {
        guard width > 0, !values.isEmpty else { return }
        let rows = values.count / width
        let perStatement = max(1, min(Self.maxRows, Self.maxParameters / width))
        var start = 0
        while start < rows {
            let end = min(start + perStatement, rows)
            var sql = head + " VALUES "
            var parameter = 0
            for row in 0..<(end - start) {
                sql += row == 0 ? "(" : ", ("
                for column in 0..<width {
                    parameter += 1
                    sql += column == 0 ? "$\(parameter)" : ", $\(parameter)"
                }
                sql += ")"
            }
            if !tail.isEmpty { sql += " " + tail }
            _ = try run(sql, values[start * width ..< end * width])
            start = end
        }
    }

    /// `$first, $first+1, …` for `count` parameters (an `IN` list).
    static func parameters(from first: Int, count: Int) -> String {
        (first..<(first + count)).map { "$\($0)" }.joined(separator: ", ")
    }

    /// Calls `body` with the rows of `sql` page by page, `pageSize` at a time, in the order of
    /// a unique text key: `sql` has `$1` for the last key seen and the page size as
    /// `LIMIT $2` (plus `values` as `$3` …), and selects the key as column `keyColumn`. A
    /// streamed read in one snapshot without holding a whole table in memory.
    func forEachPage(_ sql: String, _ values: [SQLValue] = [], keyColumn: Int = 0, pageSize: Int = 1_000,
                     _ body: (SQLRow) throws -> Void) throws {
        var last = ""
        while true {
            let rows = try query(sql, [.text(last), .int(Int64(pageSize))] + values)
            for row in rows { try body(row) }
            guard rows.count == pageSize, let final = rows.last else { return }
            last = try final.string(keyColumn)
        }
    }
}

/// A statement the PostgreSQL register refused or could not run: what was being done, the
/// server's SQLSTATE and message, and the statement (never its values, which may be a
/// bureau's data or a credential's hash).
struct PostgresRegisterError: Error, CustomStringConvertible, Sendable {
    var action: String
    var sqlState: String?
    var message: String?
    var detail: String?
    var statement: String?
    var underlying: String?
    /// The server could not be reached, stopped answering, or is not one that takes writes:
    /// nothing is wrong with the request, which may be made again (503).
    var unavailable = false

    init(action: String, sqlState: String? = nil, message: String? = nil, detail: String? = nil, statement: String? = nil, underlying: String? = nil,
         unavailable: Bool = false) {
        self.unavailable = unavailable
        self.action = action
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.statement = statement
        self.underlying = underlying
    }

    /// From PostgresNIO's error (whose own description says nothing, on purpose).
    init(statement: String?, _ error: any Error, action: String = "run a statement") {
        self.action = action
        self.statement = statement
        if let error = error as? PSQLError {
            sqlState = error.serverInfo?[.sqlState]
            message = error.serverInfo?[.message]
            detail = error.serverInfo?[.detail]
            if error.serverInfo == nil {
                underlying = "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
            unavailable = Self.unavailableCodes.contains(error.code) || sqlState.map(Self.isUnavailable) == true
        } else if let error = error as? PostgresRegisterError {
            self = error
        } else {
            underlying = "\(error)"
            // NIO's own (a refused connection, a connect timeout) before PostgresNIO wraps them.
            unavailable = error is NIOConnectionError || error is ChannelError || error is IOError
        }
    }

    /// PostgresNIO's errors for a connection that could not be made or was lost.
    static let unavailableCodes: Set<PSQLError.Code> = [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown]

    /// The server's SQLSTATEs that say it cannot serve now, whatever was asked: a connection
    /// exception (class 08, but a protocol violation, 08P01, which is a bug of ours), a server
    /// shutting down or starting (57P01–57P03), too many connections (53300), a statement the
    /// server cancelled at `statement_timeout` (57014: it waited too long, for a lock mostly). A read-only
    /// transaction's refusal (25006) is judged by the write transaction that met it
    /// (`PostgresSession.transaction`): a standby there, a bug in a read.
    static func isUnavailable(_ sqlState: String) -> Bool {
        (sqlState.hasPrefix("08") && sqlState != "08P01") || ["57P01", "57P02", "57P03", "53300", "57014"].contains(sqlState)
    }

    /// A serialization failure or a deadlock: the transaction may succeed when run again.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// A unique key taken by a transaction that committed meanwhile (two instances applying the
    /// same change set, making the same record): run again, the body sees the other's row.
    var isUniqueViolation: Bool { sqlState == "23505" }

    /// What went wrong, without what was being done: the server's message, or the client's.
    var reason: String {
        [sqlState.map { "SQLSTATE \($0)" }, message, detail, underlying].compactMap { $0 }.joined(separator: ": ")
    }

    var description: String {
        var text = "PostgreSQL: cannot \(action)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let message { text += ": \(message)" }
        if let detail { text += " (\(detail))" }
        if let underlying { text += ": \(underlying)" }
        if let statement {
            let oneLine = statement.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            text += "; statement: " + (oneLine.count > 160 ? oneLine.prefix(160) + "…" : oneLine)
        }
        return text
    }
}
