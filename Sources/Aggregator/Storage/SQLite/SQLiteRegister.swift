import CSQLiteSetup
import Foundation
import GRDB
import GRDBSQLite

/// The province's register in one SQLite file (WAL, through GRDB): the merged records, their
/// history and field provenance, the applied change sets, the conflict queue and the
/// credentials. The default backend (`ProvinceDatabase(path:)`); one process writes at a time.
final class SQLiteRegister: Sendable {
    /// The connections; only the storage layer (`Storage/`) uses them.
    let pool: DatabasePool
    let path: String
    /// The users lock, held shared while this register is open (see `lockUsers`).
    private let usersLock: Int32

    deinit { close(usersLock) }

    /// Whether SQLite keeps no memory statistics in this process: turned off as it loads, before
    /// any connection, since counting took a process-wide mutex on every allocation
    /// (`Sources/CSQLiteSetup/CSQLiteSetup.c`).
    static var countsNoMemory: Bool { esync_sqlite_statistics_off_result() == SQLITE_OK }

    /// The migrations this version of the register has, in order.
    static var migrationIdentifiers: [String] { migrator.migrations }

    init(path: String, schema: ProvinceDatabase.Schema) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            guard !db.configuration.readonly else { return }
            // A new register's pages are 8 KB (SQLite's default is 4 KB): a record's row and its
            // history's are about 1 KB each, and half as many pages to find, fill, checksum
            // into the WAL and copy back made the storage floor of `Benchmarks/sync-vs-peers.sh`
            // (100,000 documents) 12–15 % faster; 16 KB was no faster. Set before WAL is turned on and
            // the first table made; a register made before keeps its pages (SQLite ignores this).
            try db.execute(sql: "PRAGMA page_size = 8192")
            // The writer keeps 64 MB of the register's pages between transactions (SQLite's
            // default is 2 MB): a merge's records, their indexes' inner pages and the tables'
            // hot ends stay in memory instead of being read again with a system call per page.
            // In a 1 % sync of a register of 100,000 records (as `Benchmarks/sync-vs-peers.sh`
            // makes it) the merge's transactions took 13–22 % less time. Readers keep 2 MB.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Its statement journals (a multi-row statement keeps the pages it changes until it
            // ends, to undo itself alone) stay in memory too: as temporary files they were
            // four writes in ten of a merge's, in the system's temporary folder, on a disk even
            // when the register is not. One is a statement's pages (a few MB for a change set).
            // The writer's sorts and temporary indexes stay in memory as well. Migrations,
            // which may copy whole tables, use files (`migrateWithTemporaryFiles`).
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try Self.createPrivately(path)
        // A restore that is replacing the register finishes first (it holds the lock alone).
        guard let lock = try Self.lockUsers(path, exclusive: false) else {
            throw DatabaseFileError(path: path + "-users.lock", action: "cannot take the users lock of", errno: EWOULDBLOCK)
        }
        usersLock = lock
        // Opening a pool turns WAL on (`PRAGMA journal_mode = WAL`), which SQLite answers with
        // "database is locked", busy timeout or not, while another process does the same to a
        // new file: instances starting at once take turns, as for the migrations.
        do { pool = try Self.exclusively(path) { try DatabasePool(path: path, configuration: configuration) } } catch {
            close(lock)
            throw error
        }
        try Self.exclusively(path) {
            switch schema {
            case .migrate: try migrateWithTemporaryFiles()
            case .current:
                let applied = try appliedMigrations()
                if applied.isEmpty {
                    try migrateWithTemporaryFiles()   // a new register
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

    var location: String { path }
    var knownMigrations: [String] { Self.migrator.migrations }
    func closeConnections() async {}

    /// The migrations the register has run, in the order they ran (none for a new one).
    func appliedMigrations() throws -> [String] {
        try pool.read { db in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }

    /// Brings the register to this version's schema; returns the migrations it ran.
    func migrate() throws -> [String] {
        try Self.exclusively(path) {
            let before = Set(try appliedMigrations())
            try migrateWithTemporaryFiles()
            return Self.migrator.migrations.filter { !before.contains($0) }
        }
    }

    /// Runs the migrations with the writer's temporary store in files (its default between
    /// them is memory, see `init`): a migration that copies a table keeps a statement journal
    /// of the free pages it reuses, as large as the table. v23-history-in-write-order held
    /// 240 MB of memory so for the 110 MB history of a register of 100,000 records (9 MB
    /// with temporary files); a register of a million would have needed gigabytes.
    private func migrateWithTemporaryFiles() throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA temp_store = FILE") }
        defer { try? pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA temp_store = MEMORY") } }
        try Self.migrator.migrate(pool)
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

/// The database file could not be made: which file, what was tried, and the system's reason.
public struct DatabaseFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var action: String
    public var errno: Int32
    public var description: String { "\(action) the database file \(path): \(String(cString: strerror(errno)))" }
}
