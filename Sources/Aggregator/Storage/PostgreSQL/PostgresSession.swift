import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// One connection to the PostgreSQL register and the thread its transactions run on. A
/// transaction's body is synchronous (`RegisterStore`): it runs on this session's own serial
/// dispatch queue, never on Swift's cooperative pool, and each statement waits there for
/// PostgresNIO's answer (`EventLoopFuture.wait()`, which is fine on a thread that is not an
/// event loop's). The actor's executor is that queue, so `await session.transaction { … }`
/// hops onto it and back.
actor PostgresSession {
    private let executor: QueueExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let connection: PostgresConnection
    let logger: Logger
    /// `database.statementTimeoutSeconds`, plus a margin (`PostgresSettings.clientDeadline`).
    let timeout: Duration

    private init(connection: PostgresConnection, settings: PostgresSettings, logger: Logger, label: String) {
        self.connection = connection
        self.logger = logger
        timeout = settings.clientDeadline
        executor = QueueExecutor(queue: DispatchQueue(label: label))
    }

    /// Opens a connection (on PostgresNIO's shared event loops) to the server of
    /// `settings.hosts` that takes writes (`PostgresSettings.connect`).
    static func connect(_ settings: PostgresSettings, id: Int, logger: Logger) async throws -> PostgresSession {
        let connection = try await settings.connect(id: id, logger: logger).get()
        return PostgresSession(connection: connection, settings: settings, logger: logger, label: "esync.postgres.\(id)")
    }

    static func tlsConfiguration(_ settings: PostgresSettings) throws -> PostgresConnection.Configuration.TLS {
        switch settings.tls {
        case .disable: return .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull(let rootCertificate):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let rootCertificate {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
                } catch {
                    throw PostgresRegisterError(action: "read database.sslRootCert \(rootCertificate)", underlying: "\(error)")
                }
            }
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }

    /// Set when a statement found the server unreachable or silent: the connection is being
    /// closed (which may take a moment to show in `connection.isClosed`) and must not be used.
    private let broken = Mutex(false)

    /// Whether the connection is gone (the server closed it, or a statement broke it).
    nonisolated var isClosed: Bool { connection.isClosed || broken.withLock { $0 } }

    /// Takes the session out of use: its pool closes it when it comes back.
    nonisolated func giveUp() { broken.withLock { $0 = true } }

    /// How a transaction begins.
    enum Mode: Sendable {
        /// One snapshot for every statement, nothing written.
        case read
        /// Read committed: each statement sees what committed before it; the rows a merge
        /// loads and the change-sequence row are locked until commit.
        case write
    }

    /// Runs `body` in one transaction on this session's thread: committed when it returns,
    /// rolled back when it throws.
    func transaction<T>(_ mode: Mode, _ body: (PostgresTransaction) throws -> T) throws -> T {
        let transaction = PostgresTransaction(connection: connection, logger: logger, locking: mode == .write, timeout: timeout)
        do {
            switch mode {
            case .read: try transaction.execute("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            case .write: try transaction.execute("START TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE")
            }
            let value = try body(transaction)
            try transaction.execute("COMMIT")
            return value
        } catch var error as PostgresRegisterError {
            // A write refused as read-only: the server is a standby (or was demoted) now.
            if mode == .write && error.sqlState == "25006" { error.unavailable = true }
            if error.unavailable {
                broken.withLock { $0 = true }
            } else if !connection.isClosed {
                rollBack(transaction)
            }
            throw error
        } catch {
            if !connection.isClosed { rollBack(transaction) }
            throw error
        }
    }

    /// Rolls a failed transaction back; a session whose ROLLBACK fails is not used again.
    private func rollBack(_ transaction: PostgresTransaction) {
        do { try transaction.execute("ROLLBACK") } catch { broken.withLock { $0 = true } }
    }

    /// `transaction`, timed on this thread: how long it took, commit included, and the CPU
    /// time the thread used meanwhile.
    func timedTransaction<T>(_ body: (PostgresTransaction) throws -> T) throws -> (value: T, duration: Duration, cpu: Duration) {
        let started = ContinuousClock.now
        let cpuStarted = SQLiteRegister.threadCPUTime()
        let value = try transaction(.write, body)
        return (value, ContinuousClock.now - started, SQLiteRegister.threadCPUTime() - cpuStarted)
    }

    /// Runs `body` with the connection outside any transaction (the migrations, which take
    /// their own lock and transactions).
    func withoutTransaction<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try body(PostgresTransaction(connection: connection, logger: logger, locking: true))
    }

    func close() async {
        try? await connection.close()
    }
}

extension PostgresSettings {
    /// A connection to the first of `hosts` that answers and, when there are several, takes
    /// writes (`SHOW transaction_read_only` is `off`: a primary, not a standby), as libpq's
    /// `target_session_attrs=read-write` does. Each server gets `connectTimeout`; when none
    /// will do, the error names what each said and is `unavailable` (503: try again later, for
    /// instance once a standby has been promoted).
    func connect(id: Int, logger: Logger) -> EventLoopFuture<PostgresConnection> {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let tls: PostgresConnection.Configuration.TLS
        do { tls = try PostgresSession.tlsConfiguration(self) } catch { return loop.makeFailedFuture(error) }
        let settings = self
        /// The connection to `server`, or why it will not do (never a failed future).
        @Sendable func check(_ server: Endpoint) -> EventLoopFuture<Result<PostgresConnection, PostgresRegisterError>> {
            var configuration = PostgresConnection.Configuration(host: server.host, port: server.port, username: settings.user,
                                                                 password: settings.password, database: settings.database, tls: tls)
            configuration.options.connectTimeout = .seconds(10)
            // The server cancels a statement (and lets go of its locks) at the deadline; the
            // client's own comes a little later, for a server that does not answer at all.
            configuration.options.additionalStartupParameters = [("statement_timeout", "\(settings.statementTimeout.components.seconds * 1000)")]
            if case .verifyFull = settings.tls { configuration.options.tlsServerName = server.host }
            let refused = { @Sendable (error: any Error) in PostgresRegisterError(statement: nil, error, action: "connect to \(server)") }
            return PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger).flatMap { connection in
                guard settings.hosts.count > 1 else { return loop.makeSucceededFuture(.success(connection)) }
                // Login is bounded by connectTimeout, this question by a deadline of its own.
                let deadline = loop.scheduleTask(in: .seconds(10)) { connection.close().whenComplete { _ in } }
                return connection.query("SHOW transaction_read_only", logger: logger).always { _ in deadline.cancel() }.flatMap { answer in
                    if (try? answer.rows.first?.decode(String.self)) == "off" { return loop.makeSucceededFuture(.success(connection)) }
                    return connection.close().map { _ in .failure(PostgresRegisterError(action: "connect to \(server)", underlying: "it takes no writes (a standby)", unavailable: true)) }
                }.flatMapError { error in
                    connection.close().map { _ in .failure(refused(error)) }.recover { _ in .failure(refused(error)) }
                }
            }.recover { .failure(refused($0)) }
        }
        @Sendable func attempt(_ index: Int, _ refusals: [(server: Endpoint, error: PostgresRegisterError)]) -> EventLoopFuture<PostgresConnection> {
            check(settings.hosts[index]).flatMap { result in
                switch result {
                case .success(let connection): return loop.makeSucceededFuture(connection)
                case .failure(let refusal) where index + 1 < settings.hosts.count:
                    return attempt(index + 1, refusals + [(settings.hosts[index], refusal)])
                case .failure(let refusal):
                    guard !refusals.isEmpty else { return loop.makeFailedFuture(refusal) }
                    let all = refusals + [(settings.hosts[index], refusal)]
                    return loop.makeFailedFuture(PostgresRegisterError(action: "connect to \(settings.location)",
                                                                       underlying: all.map { "\($0.server): \($0.error.reason)" }.joined(separator: "; "),
                                                                       unavailable: all.allSatisfy(\.error.unavailable)))
                }
            }
        }
        return attempt(0, [])
    }
}

/// Runs an actor's jobs on one serial dispatch queue (a thread of dispatch's, not of Swift's
/// cooperative pool), where blocking on PostgresNIO is allowed.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

/// Sessions of one process: at most `size` open, an idle one reused, a caller waiting in turn
/// when all are busy.
actor PostgresSessionPool {
    let settings: PostgresSettings
    let size: Int
    let logger: Logger
    private var idle: [PostgresSession] = []
    private var open = 0
    private var nextID = 1
    private var waiting: [CheckedContinuation<PostgresSession, any Error>] = []
    private var closed = false

    init(settings: PostgresSettings, size: Int, logger: Logger) {
        self.settings = settings
        self.size = max(1, size)
        self.logger = logger
    }

    func acquire() async throws -> PostgresSession {
        guard !closed else { throw PostgresRegisterError(action: "use the register at \(settings.location): it is closed") }
        while let session = idle.popLast() {
            if !session.isClosed { return session }
            open -= 1
        }
        if open < size {
            open += 1
            return try await connect()
        }
        return try await withCheckedThrowingContinuation { waiting.append($0) }
    }

    private func connect() async throws -> PostgresSession {
        let id = nextID
        nextID += 1
        do { return try await PostgresSession.connect(settings, id: id, logger: logger) } catch {
            open -= 1
            throw error
        }
    }

    /// Gives a session back; a closed one is replaced for the next in line.
    func release(_ session: PostgresSession) async {
        guard !session.isClosed, !closed else {
            open -= 1
            await session.close()
            guard !waiting.isEmpty, !closed else { return }
            let next = waiting.removeFirst()
            open += 1
            do { next.resume(returning: try await connect()) } catch { next.resume(throwing: error) }
            return
        }
        if !waiting.isEmpty {
            waiting.removeFirst().resume(returning: session)
        } else {
            idle.append(session)
        }
    }

    func close() async {
        closed = true
        for next in waiting { next.resume(throwing: PostgresRegisterError(action: "use the register at \(settings.location): it is closed")) }
        waiting = []
        for session in idle { await session.close() }
        idle = []
    }
}
