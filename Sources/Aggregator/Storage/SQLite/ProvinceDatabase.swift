import Foundation
import GRDB

/// The province's SQLite database (WAL, through GRDB): the merged records, their history and
/// field provenance, the applied change sets, the conflict queue and the credentials.
public final class ProvinceDatabase: Sendable {
    /// The connections; only the storage layer (`Storage/`) uses them.
    let pool: DatabasePool
    public let path: String
    /// The users lock, held shared while this register is open (see `lockUsers`).
    private let usersLock: Int32

    /// What opening a register may do to its schema.
    public enum Schema: Sendable {
        /// Bring any older schema to this version (`esync-aggregator database migrate`, tests).
        case migrate
        /// Give a new, empty register the schema; refuse one at another version
        /// (`SchemaMismatch`) instead of migrating it behind other instances' backs. Every
        /// command and `serve` open this way.
        case current
        /// Leave the schema as found (`database migrate` looks before it migrates).
        case asFound
    }

    deinit { close(usersLock) }

    /// The migrations this version of the register has, in order.
    public static var migrationIdentifiers: [String] { migrator.migrations }

    public init(path: String, schema: Schema = .migrate) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try Self.createPrivately(path)
        // A restore that is replacing the register finishes first (it holds the lock alone).
        guard let lock = try Self.lockUsers(path, exclusive: false) else {
            throw DatabaseFileError(path: path + "-users.lock", action: "cannot take the users lock of", errno: EWOULDBLOCK)
        }
        usersLock = lock
        do { pool = try DatabasePool(path: path, configuration: configuration) } catch {
            close(lock)
            throw error
        }
        try Self.exclusively(path) {
            switch schema {
            case .migrate: try Self.migrator.migrate(pool)
            case .current:
                let applied = try appliedMigrations()
                if applied.isEmpty {
                    try Self.migrator.migrate(pool)   // a new register
                } else if applied != Self.migrator.migrations {
                    throw SchemaMismatch(path: path, applied: applied, known: Self.migrator.migrations)
                }
            case .asFound: break
            }
        }
    }

    /// Runs `body` holding the register's migration lock (`PATH-migrate.lock`, an exclusive
    /// `flock`): instances that start at once on a register that is not there yet would each
    /// find it without a schema and each run the first migration; one does, the others then
    /// find it made.
    static func exclusively<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lockPath = path + "-migrate.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DatabaseFileError(path: lockPath, action: "cannot open the migration lock", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw DatabaseFileError(path: lockPath, action: "cannot take the migration lock", errno: errno) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// The migrations the register has run, in the order they ran (none for a new one).
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }

    /// Brings the register to this version's schema; returns the migrations it ran.
    public func migrate() throws -> [String] {
        try Self.exclusively(path) {
            let before = Set(try appliedMigrations())
            try Self.migrator.migrate(pool)
            return Self.migrator.migrations.filter { !before.contains($0) }
        }
    }

    /// Makes the database file, when there is none, with mode 0600 whatever the umask: it holds
    /// the register and every credential's hash. SQLite would make it 0644 under the usual umask
    /// 022 (`SQLITE_DEFAULT_FILE_PERMISSIONS`), and gives its `-wal` and `-shm` files the mode of
    /// the database file, so those follow. An existing file keeps the mode its operator gave it.
    static func createPrivately(_ path: String) throws(DatabaseFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            guard code == EEXIST else { throw DatabaseFileError(path: path, action: "cannot create", errno: code) }
            return
        }
        defer { close(fd) }
        // The umask may have taken bits off 0600 too (umask 0277 would leave it unwritable).
        guard fchmod(fd, 0o600) == 0 else { throw DatabaseFileError(path: path, action: "cannot set mode 0600 on", errno: errno) }
    }
}

/// A register whose schema is not this version's: older (run `esync-aggregator database
/// migrate`, with every instance stopped) or written by a newer aggregator (run that one).
public struct SchemaMismatch: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var applied: [String]
    public var known: [String]

    public init(path: String, applied: [String], known: [String]) {
        self.path = path
        self.applied = applied
        self.known = known
    }

    /// Migrations this version has that the register has not run.
    public var pending: [String] { known.filter { !applied.contains($0) } }
    /// Migrations the register ran that this version does not know.
    public var unknown: [String] { applied.filter { !known.contains($0) } }

    public var description: String {
        if !unknown.isEmpty {
            return "the register at \(path) was migrated by a newer esync-aggregator (it ran \(unknown.joined(separator: ", ")), which this version does not know); run the newer version, or restore a backup taken before it"
        }
        let from = applied.last.map { "schema \($0)" } ?? "no schema"
        return "the register at \(path) has \(from); this esync-aggregator needs \(known.last ?? "?") (\(pending.count) migration\(pending.count == 1 ? "" : "s") to run: \(pending.joined(separator: ", "))). Stop every esync-aggregator that uses it, run `esync-aggregator database migrate`, then start them again; an instance does not migrate by itself, so that two never race to"
    }
}

/// The database file could not be made: which file, what was tried, and the system's reason.
public struct DatabaseFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var action: String
    public var errno: Int32
    public var description: String { "\(action) the database file \(path): \(String(cString: strerror(errno)))" }
}
