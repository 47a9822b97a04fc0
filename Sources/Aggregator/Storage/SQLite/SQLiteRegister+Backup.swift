import Foundation
import GRDB

extension ProvinceDatabase {
    /// Copies the register into a new SQLite file at `path` (see `SQLiteRegister.copy(to:)`).
    /// A register on PostgreSQL is backed up with PostgreSQL's own tools.
    func copy(to path: String) throws {
        guard let sqlite = store as? SQLiteRegister else {
            throw BackupFailure(kind: .io, path: location, reason: "is on PostgreSQL: back it up with PostgreSQL's own tools (pg_basebackup with WAL archiving, or pg_dump); see docs/operations.md")
        }
        try sqlite.copy(to: path)
    }
}

/// The register's files: an online copy for a backup, a backup's manifest, and the checks and
/// changes a restore makes to a register file no service has open.
extension SQLiteRegister {
    /// Copies the register, as one committed state, into a new file at `path` (mode 0600):
    /// SQLite's online backup, run inside one read transaction, so the copy is consistent while
    /// `serve` goes on writing (WAL: writers do not wait for a reader). The copy is one file
    /// in rollback-journal mode, with no `-wal` beside it.
    func copy(to path: String) throws {
        try Self.createPrivately(path)
        let destination = try DatabaseQueue(path: path)
        try pool.backup(to: destination)
        try destination.close()
        // The copy's header says WAL, as the register's does; opened again, it is turned into
        // a single file.
        try Self.onFile(path) { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
    }

    /// Runs `body` on a register file opened alone, on one connection (a backup's copy, a
    /// register being restored): its storage operations, and the connection for what only
    /// this file has (`backupManifest`).
    static func onFile<T>(_ path: String, readOnly: Bool = false, _ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = readOnly
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.inDatabase { db in try body(db) }
    }

    /// The storage operations on a register file opened alone (see `onFile`).
    static func withTransaction<T>(on path: String, readOnly: Bool = false, _ body: (any RegisterTransaction) throws -> T) throws -> T {
        try onFile(path, readOnly: readOnly) { db in
            var value: T?
            try db.inTransaction(.deferred) {
                value = try body(SQLiteTransaction(db: db))
                return readOnly ? .rollback : .commit
            }
            guard let value else { throw ServiceError.internalError("a transaction on \(path) ended without its result") }
            return value
        }
    }

    /// What `PRAGMA integrity_check` finds wrong with the file (none: it is sound).
    static func integrityProblems(_ path: String) throws -> [String] {
        try onFile(path, readOnly: true) { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
        }
    }

    /// The migrations a register file ran, in order (see `appliedMigrations()`).
    static func appliedMigrations(_ path: String) throws -> [String] {
        try onFile(path, readOnly: true) { db in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }

    /// Keeps a backup's manifest (JSON) in its copy of the register, in a table of its own.
    static func writeBackupManifest(_ json: String, in path: String) throws {
        try onFile(path) { db in
            try db.execute(sql: "CREATE TABLE esync_backup (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            try db.execute(sql: "INSERT INTO esync_backup (key, value) VALUES ('manifest', ?)", arguments: [json])
        }
    }

    /// A backup's manifest; nil when the file is an SQLite database without one (not a backup).
    static func backupManifest(in path: String) throws -> String? {
        try onFile(path, readOnly: true) { db in
            guard try db.tableExists("esync_backup") else { return nil }
            return try String.fetchOne(db, sql: "SELECT value FROM esync_backup WHERE key = 'manifest'")
        }
    }

    /// Turns a backup's copy into a register: without the manifest, with a new generation.
    static func makeRestored(_ path: String, generation: String, at: String, from: String) throws {
        try onFile(path) { db in
            try db.inTransaction {
                try db.execute(sql: "DROP TABLE IF EXISTS esync_backup")
                try SQLiteTransaction(db: db).markRestored(generation: generation, at: at, from: from)
                return .commit
            }
        }
    }

    /// Folds a register's WAL into its file and leaves it a single file (a register that is
    /// moved aside by a restore keeps everything it had). Only with no process using it.
    static func makeSingleFile(_ path: String) throws {
        try onFile(path) { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
    }

    /// Takes the register's users lock (`PATH-users.lock`): every process that opens the
    /// register holds it shared while it has it open (see `init`); a restore takes it alone,
    /// and is refused while any `serve` or command has the register open. Returns the lock's
    /// descriptor, or nil when another process holds it.
    static func lockUsers(_ path: String, exclusive: Bool) throws -> Int32? {
        let lockPath = path + "-users.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DatabaseFileError(path: lockPath, action: "cannot open the users lock", errno: errno) }
        while flock(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw DatabaseFileError(path: lockPath, action: "cannot take the users lock", errno: code)
        }
        return fd
    }
}
