import Foundation
import GRDB

/// The province's SQLite database (WAL, through GRDB): the merged records, their history and
/// field provenance, the applied change sets, the conflict queue and the credentials.
public final class ProvinceDatabase: Sendable {
    /// The connections; only the storage layer (`Storage/`) uses them.
    let pool: DatabasePool
    public let path: String

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try Self.createPrivately(path)
        pool = try DatabasePool(path: path, configuration: configuration)
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
