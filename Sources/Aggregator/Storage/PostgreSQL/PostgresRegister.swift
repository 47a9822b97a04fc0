import Foundation
import Logging
import PostgresNIO

/// The province's register on PostgreSQL (or an engine that speaks its protocol and SQL),
/// through PostgresNIO: what several aggregator instances share. The same promises as the
/// SQLite file (`RegisterStore`), kept by the server:
///
/// - a write transaction runs at READ COMMITTED; the records a merge loads are locked
///   (`SELECT … FOR UPDATE` in credit-code order), and the change-sequence row is locked from
///   the moment a transaction takes numbers from it (`UPDATE meta … RETURNING`) until it
///   commits, so the change feed is in commit order;
/// - a serialization failure or a deadlock (SQLSTATE 40001, 40P01), or a unique key that a
///   transaction committed meanwhile took (23505: the same change set applied, the same record
///   made, by another instance), rolls the transaction back and runs its body again, which
///   then sees the other's rows (a change set already applied is answered from its result);
/// - a read transaction is one snapshot (REPEATABLE READ, READ ONLY).
///
/// Only SQL that PostgreSQL-compatible engines share: tables, indexes (one partial), identity
/// columns, `INSERT … ON CONFLICT`, `RETURNING`, `FOR UPDATE`, `pg_advisory_lock` for the
/// migrations; no extension, no stored procedure, no trigger, no JSON function.
final class PostgresRegister: RegisterStore {
    let settings: PostgresSettings
    /// The sessions writes (and the migrations) run on, and those reads run on: apart, so that
    /// a reader never waits for a session behind writers that wait for each other's locks.
    let sessions: PostgresSessionPool
    let readers: PostgresSessionPool
    /// How many times a write that met a retryable error runs at most.
    static let attempts = 8

    var location: String { settings.location }
    var knownMigrations: [String] { Self.migrations.map(\.identifier) }

    private init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        sessions = PostgresSessionPool(settings: settings, size: settings.connections / 2, logger: logger)
        readers = PostgresSessionPool(settings: settings, size: settings.connections - settings.connections / 2, logger: logger)
    }

    /// A register let go without `closeConnections` (a command that ends) still closes its
    /// connections properly: the task keeps the sessions until they are.
    deinit {
        let sessions = sessions, readers = readers
        Task {
            await sessions.close()
            await readers.close()
        }
    }

    /// Connects to the register and does to its schema what `schema` says (see
    /// `ProvinceDatabase.Schema`), holding the migration lock.
    static func open(_ settings: PostgresSettings, schema: ProvinceDatabase.Schema, logger: Logger) async throws -> PostgresRegister {
        let register = PostgresRegister(settings: settings, logger: logger)
        do {
            switch schema {
            case .migrate: _ = try await register.migrate()
            case .current:
                try await register.withMigrationLock { transaction in
                    let applied = try Self.applied(transaction)
                    if applied.isEmpty {
                        _ = try Self.runMigrations(transaction, location: settings.location)   // a new register
                    } else if applied != Self.migrations.map(\.identifier) {
                        throw SchemaMismatch(path: settings.location, applied: applied, known: Self.migrations.map(\.identifier))
                    }
                }
            case .asFound:
                _ = try await register.appliedMigrations()   // connects: a wrong address or password is said now
            }
        } catch {
            await register.closeConnections()
            throw error
        }
        return register
    }

    func read<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        let session = try await readers.acquire()
        do {
            let value = try await session.transaction(.read) { try body($0) }
            await readers.release(session)
            return value
        } catch {
            await readers.release(session)
            throw error
        }
    }

    /// On the calling thread, waiting for each statement there: for a command line that
    /// streams what it reads (an export), never for `serve`.
    func readNow<T>(_ body: (any RegisterTransaction) throws -> T) throws -> T {
        let logger = Logger(label: "esync.postgres")
        let session = NowSession(connection: try NowSession.connect(settings, logger: logger), logger: logger, timeout: settings.clientDeadline)
        defer { session.closeNow() }
        return try session.transactionNow(body)
    }

    func write<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        try await retrying { session in try await session.transaction(.write) { try body($0) } }
    }

    func writeTimed<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> (value: T, duration: Duration, cpu: Duration) {
        try await retrying { session in try await session.timedTransaction { try body($0) } }
    }

    /// Runs `transaction` on a session, again (on a session that is still open) after a
    /// serialization failure, a deadlock or a unique key another transaction took meanwhile.
    private func retrying<T: Sendable>(_ transaction: (PostgresSession) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            let session = try await sessions.acquire()
            do {
                let value = try await transaction(session)
                await sessions.release(session)
                return value
            } catch let error as PostgresRegisterError where (error.isRetryable || error.isUniqueViolation) && attempt < Self.attempts {
                await sessions.release(session)
                attempt += 1
                // A short, growing, jittered pause, so that two instances that met do not meet again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 << min(attempt, 6)))))
            } catch {
                await sessions.release(session)
                throw error
            }
        }
    }

    func appliedMigrations() async throws -> [String] {
        let session = try await sessions.acquire()
        do {
            let applied = try await session.withoutTransaction { try Self.applied($0) }
            await sessions.release(session)
            return applied
        } catch {
            await sessions.release(session)
            throw error
        }
    }

    func migrate() async throws -> [String] {
        let location = settings.location
        return try await withMigrationLock { try Self.runMigrations($0, location: location) }
    }

    func closeConnections() async {
        await sessions.close()
        await readers.close()
    }

    /// Runs `body` on one session holding the register's migration lock (a session-level
    /// `pg_advisory_lock`, let go when `body` ends or the connection does): instances that
    /// start at once on an empty database would each find it without a schema and each run the
    /// first migration; one does, the others then find it made.
    private func withMigrationLock<T: Sendable>(_ body: @Sendable (PostgresTransaction) throws -> T) async throws -> T {
        let session = try await sessions.acquire()
        do {
            let value = try await session.withoutTransaction { transaction in
                // A migration takes as long as it takes (an index on a large register), and so
                // may the wait for another instance's; the statements around them answer at
                // once, and have the session's deadline.
                var deadlined = transaction
                deadlined.timeout = session.timeout
                // A session whose lock cannot be let go (its answer never came) is not used again:
                // its connection is closed, and the lock goes with it.
                func letGo(_ sql: String) { do { try deadlined.execute(sql) } catch { session.giveUp() } }
                try deadlined.execute("SET statement_timeout = 0")
                defer { letGo("RESET statement_timeout") }
                try transaction.execute("SELECT pg_advisory_lock(\(Self.migrationLock))")
                defer { letGo("SELECT pg_advisory_unlock(\(Self.migrationLock))") }
                return try body(transaction)
            }
            await sessions.release(session)
            return value
        } catch {
            // A connection that failed (or a statement whose answer never came) is not reused,
            // even before `isClosed` shows it.
            if (error as? PostgresRegisterError)?.unavailable == true { session.giveUp() }
            await sessions.release(session)
            throw error
        }
    }

    /// The advisory lock's key: "esync" in ASCII, so that it is recognisable in `pg_locks`.
    static let migrationLock: Int64 = 0x6573_796E_63

    /// The migrations the register has run, in order (none for an empty database).
    static func applied(_ transaction: PostgresTransaction) throws -> [String] {
        let exists = try transaction.one("""
            SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'
            """)
        guard try exists?.int(0) ?? 0 > 0 else { return [] }
        return try transaction.query("SELECT identifier FROM schema_migrations ORDER BY position").map { try $0.string(0) }
    }

    /// Runs the migrations the register has not, each in a transaction of its own with its row
    /// in `schema_migrations`; returns those it ran. A register that ran one this version does
    /// not know is refused.
    static func runMigrations(_ transaction: PostgresTransaction, location: String) throws -> [String] {
        try transaction.execute(migrationsTable)
        let applied = try applied(transaction)
        let known = migrations.map(\.identifier)
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw SchemaMismatch(path: location, applied: applied, known: known) }
        var ran: [String] = []
        for (position, migration) in migrations.enumerated() where !applied.contains(migration.identifier) {
            try transaction.execute("START TRANSACTION ISOLATION LEVEL READ COMMITTED")
            do {
                try apply(migration, position: position + 1, in: transaction)
                try transaction.execute("COMMIT")
            } catch {
                _ = try? transaction.execute("ROLLBACK")
                throw PostgresRegisterError(statement: nil, error, action: "run migration \(migration.identifier)")
            }
            ran.append(migration.identifier)
        }
        return ran
    }

    /// Runs one migration's statements and keeps its row in `schema_migrations` (which must
    /// exist), in the caller's transaction.
    static func apply(_ migration: Migration, position: Int, in transaction: PostgresTransaction) throws {
        for statement in migration.statements { try transaction.execute(statement) }
        try transaction.execute("INSERT INTO schema_migrations (identifier, position, applied_at) VALUES ($1, $2, $3)",
                                [.text(migration.identifier), .int(Int64(position)), .text(ISO8601DateFormatter().string(from: Date()))])
    }

    /// `schema_migrations`, which `runMigrations` makes first.
    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            identifier TEXT PRIMARY KEY,
            position BIGINT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """
}

/// A connection used from the calling thread (`PostgresRegister.readNow`).
struct NowSession {
    let connection: PostgresConnection
    let logger: Logger
    let timeout: Duration

    static func connect(_ settings: PostgresSettings, logger: Logger) throws -> PostgresConnection {
        do { return try settings.connect(id: 0, logger: logger).wait() } catch {
            throw PostgresRegisterError(statement: nil, error, action: "connect to \(settings.location)")
        }
    }

    func transactionNow<T>(_ body: (any RegisterTransaction) throws -> T) throws -> T {
        let transaction = PostgresTransaction(connection: connection, logger: logger, locking: false, timeout: timeout)
        try transaction.execute("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        let value: T
        do { value = try body(transaction) } catch {
            _ = try? transaction.execute("ROLLBACK")
            throw error
        }
        try transaction.execute("COMMIT")
        return value
    }

    func closeNow() {
        try? connection.close().wait()
    }
}
