import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which register the tests' aggregators use: `ESYNC_TEST_BACKEND=postgresql` puts each one on a
/// fresh database of a throwaway PostgreSQL cluster (`PostgresCluster.shared`); anything else,
/// or nothing, the SQLite file as always.
enum TestBackend: Sendable {
    case sqlite
    case postgresql

    static let variable = "ESYNC_TEST_BACKEND"

    static var current: TestBackend {
        ProcessInfo.processInfo.environment[variable]?.lowercased() == "postgresql" ? .postgresql : .sqlite
    }

    /// Whether the register is the SQLite file, which `backup` and `restore` (and a heal after
    /// a restore) need; their tests are skipped on PostgreSQL, saying `fileOnly`.
    static var isFile: Bool { current == .sqlite }
    static let fileOnly = "backup and restore copy the embedded SQLite register; a register on PostgreSQL is backed up with pg_dump or pg_basebackup"
}

/// A PostgreSQL cluster for this test process: made with `initdb` in a temporary folder and
/// started on a free loopback port, once, the first time a test asks for it, and stopped when
/// the process exits, even by a crash (`stopAtExit`). Every command it runs (`run`) starts with
/// no descriptor of the test's but stdin, stdout and stderr, so the server holds none either.
/// As root (CI, this machine) it runs as the `postgres` user (initdb refuses root); otherwise
/// as the caller. The server binaries are found in `ESYNC_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package).
///
/// Trust authentication on 127.0.0.1 only, user `esync`; fsync off (a test cluster is thrown
/// away, and the machine is shared). Each aggregator gets a database of its own
/// (`createDatabase`).
final class PostgresCluster: Sendable {
    let folder: String
    let port: Int
    let bin: String
    let user = "esync"

    /// The cluster, started on first use (or why it could not be).
    static let shared: Result<PostgresCluster, HarnessError> = {
        do { return .success(try PostgresCluster()) } catch let error as HarnessError { return .failure(error) } catch {
            return .failure(HarnessError("cannot start a PostgreSQL cluster: \(error)"))
        }
    }()

    static func get() throws -> PostgresCluster { try shared.get() }

    /// Whether PostgreSQL's server binaries are here (a test that needs a cluster whatever the
    /// backend is skipped, saying so, without them).
    static var installed: Bool { (try? binaries()) != nil }

    /// What a cluster is for.
    enum Role: Sendable {
        /// The tests' shared cluster: fsync and synchronous commit off (it is thrown away).
        case scratch
        /// A primary that waits for a standby's flush before a commit returns
        /// (`synchronous_standby_names = '*'`, `synchronous_commit = on`).
        case primary
        /// A hot standby of `primary` (`pg_basebackup -R`), streaming from it.
        case standby(of: PostgresCluster)
    }

    private convenience init() throws { try self.init(role: .scratch) }

    /// A cluster of its own (made and started now, stopped when the process ends): for a test
    /// that kills or promotes one, which the shared one must never be.
    init(role: Role) throws {
        bin = try Self.binaries()
        let asRoot = getuid() == 0
        folder = NSTemporaryDirectory() + "esync-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if asRoot {
            let chown = try run("/bin/chown", ["postgres:postgres", folder], in: NSTemporaryDirectory())
            guard chown.status == 0 else { throw HarnessError("chown postgres \(folder): \(chown)") }
        }
        // From here on the folder (and the server, once started) goes when this process does.
        try Self.stopAtExit(bin: bin, data: folder + "/data", root: asRoot)
        var settings = "-c listen_addresses=127.0.0.1 -c max_connections=300"
        switch role {
        case .scratch:
            let initdb = try Self.asOwner(bin + "/initdb", ["-D", folder + "/data", "-A", "trust", "-U", user, "--locale=C", "-E", "UTF8", "--no-sync"],
                                          root: asRoot, in: folder)
            guard initdb.status == 0 else { throw HarnessError("initdb: \(initdb)") }
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        case .primary:
            let initdb = try Self.asOwner(bin + "/initdb", ["-D", folder + "/data", "-A", "trust", "-U", user, "--locale=C", "-E", "UTF8", "--no-sync"],
                                          root: asRoot, in: folder)
            guard initdb.status == 0 else { throw HarnessError("initdb: \(initdb)") }
            // fsync stays off: the tests kill processes, not the machine, so what a commit
            // wrote is in the kernel's cache either way.
            settings += " -c fsync=off -c wal_level=replica -c max_wal_senders=4 -c synchronous_commit=on -c synchronous_standby_names='*'"
        case .standby(let primary):
            // The primary's data as of now, with standby.signal and primary_conninfo (-R).
            let backup = try Self.asOwner(bin + "/pg_basebackup", ["-h", "127.0.0.1", "-p", "\(primary.port)", "-U", user, "-D", folder + "/data",
                                                                   "-R", "-X", "stream", "--no-sync"], root: asRoot, in: folder)
            guard backup.status == 0 else { throw HarnessError("pg_basebackup: \(backup)") }
            settings += " -c fsync=off -c hot_standby=on"
        }
        var started: (port: Int, result: ProcessResult)?
        for _ in 0..<5 {
            let port = try Self.freePort()
            let options = "-p \(port) -k \(folder) " + settings
            let result = try Self.asOwner(bin + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-o", options, "-w", "-t", "60", "start"],
                                          root: asRoot, in: folder)
            started = (port, result)
            if result.status == 0 { break }
        }
        guard let started, started.result.status == 0 else {
            let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw HarnessError("pg_ctl start: \(started.map { "\($0.result)" } ?? "") \(log)")
        }
        port = started.port
    }

    /// The postmaster's process id (`postmaster.pid`'s first line).
    func postmaster() throws -> pid_t {
        let text = try String(contentsOfFile: folder + "/data/postmaster.pid", encoding: .utf8)
        guard let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) }) else { throw HarnessError("no pid in \(folder)/data/postmaster.pid") }
        return pid
    }

    /// Kills the server with SIGKILL, the postmaster and every process it started at once: a
    /// machine that died, nothing flushed, no connection closed politely. (PostgreSQL makes each
    /// child the leader of a process group of its own, so killing the postmaster's group would
    /// kill the postmaster alone and leave its backends to notice and end one by one.) The
    /// postmaster is stopped first, so that it starts no child between the look and the kill.
    func kill() throws {
        let pid = try postmaster()
        guard Glibc.kill(pid, SIGSTOP) == 0 else { throw HarnessError("kill -STOP \(pid): \(String(cString: strerror(errno)))") }
        let children = Self.children(of: pid)
        guard Glibc.kill(pid, SIGKILL) == 0 else { throw HarnessError("kill -KILL \(pid): \(String(cString: strerror(errno)))") }
        for child in children { _ = Glibc.kill(child, SIGKILL) }
    }

    /// The processes whose parent is `parent` (from /proc/PID/stat: the field after the state,
    /// which follows the command name in parentheses).
    static func children(of parent: pid_t) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }

    /// Promotes a standby to a primary (`pg_ctl promote`, waiting until it takes writes).
    func promote() throws {
        let result = try Self.asOwner(bin + "/pg_ctl", ["-D", folder + "/data", "-w", "-t", "60", "promote"], root: getuid() == 0, in: folder)
        guard result.status == 0 else { throw HarnessError("pg_ctl promote: \(result)") }
    }

    /// `postgresql://esync@127.0.0.1:PORT/NAME`
    func url(_ database: String) -> String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Makes an empty database (named after `name`, made unique) and returns its URL.
    func createDatabase(_ name: String) throws -> String {
        let clean = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let database = "esync_" + String(clean.prefix(30)) + "_" + UUID().uuidString.prefix(8).lowercased()
        try psql("postgres", "CREATE DATABASE \(database)")
        return url(database)
    }

    /// Runs `sql` on `database` with psql (unaligned, tuples only, `|` between columns: what
    /// sqlite3 prints) and returns what it printed.
    @discardableResult
    func psql(_ database: String, _ sql: String) throws -> String {
        let result = try run(bin + "/psql", ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", user,
                                             "-d", database, "-c", sql], in: folder)
        guard result.status == 0 else { throw HarnessError("psql: \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The database name in a URL this cluster gave.
    static func database(of url: String) -> String { String(url.split(separator: "/").last ?? "") }

    private static func binaries() throws -> String {
        if let bin = ProcessInfo.processInfo.environment["ESYNC_PG_BIN"] { return bin }
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        guard let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(base)/\(newest)/bin/initdb") else {
            throw HarnessError("no PostgreSQL server binaries in \(base)/*/bin (apt-get install postgresql, or set ESYNC_PG_BIN)")
        }
        return "\(base)/\(newest)/bin"
    }

    private static func asOwner(_ executable: String, _ arguments: [String], root: Bool, in folder: String) throws -> ProcessResult {
        root ? try run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments, in: folder) : try run(executable, arguments, in: folder)
    }

    /// A port the kernel had free a moment ago on 127.0.0.1.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HarnessError("bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The write end of the pipe each cluster's keeper reads (see `stopAtExit`), and the keeper.
    nonisolated(unsafe) private static var keepers: [(pipe: Int32, pid: pid_t)] = []
    private static let keepersLock = NSLock()

    /// Stops the cluster and removes its folder when this process ends, however it ends: a
    /// keeper process (`setsid`, out of the test's process group, so that a Ctrl-C reaches the
    /// test and not it) waits on a pipe whose only write end this process holds (close-on-exec:
    /// no child inherits it). At a normal exit `atexit` closes it and waits for the keeper; when
    /// the test process crashes or is killed the kernel closes it, and the keeper stops the
    /// server all the same, instead of leaving a postgres running with nobody to stop it.
    private static func stopAtExit(bin: String, data: String, root: Bool) throws {
        let stop = (root ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [bin + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
        let folder = (data as NSString).deletingLastPathComponent
        var ends: [Int32] = [-1, -1]
        // (pipe2 is a GNU extension Swift's Glibc does not show; every child the tests start
        // closes inherited descriptors anyway, so the moment before FD_CLOEXEC leaks nothing.)
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw HarnessError("pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        try closeInheritedDescriptors(&actions)
        // sh -c SCRIPT FOLDER STOP…: "$0" is the folder, "$@" the stop command. With
        // ESYNC_KEEP the folder stays, as every test's does (TemporaryFolder).
        let keep = ProcessInfo.processInfo.environment["ESYNC_KEEP"] != nil
        let script = keep ? #"cat > /dev/null; "$@""# : #"cat > /dev/null; "$@"; rm -rf -- "$0""#
        let argv: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/setsid", "--wait", "/bin/sh", "-c", script, folder] + stop).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/setsid", &actions, nil, argv, environ)
        close(ends[0])
        guard spawned == 0 else {
            close(ends[1])
            throw HarnessError("cannot start the cluster's keeper (/usr/bin/setsid): \(String(cString: strerror(spawned)))")
        }
        let first = keepersLock.withLock {
            keepers.append((ends[1], pid))
            return keepers.count == 1
        }
        guard first else { return }
        atexit {
            let keepers = PostgresCluster.keepersLock.withLock { PostgresCluster.keepers }
            for keeper in keepers { close(keeper.pipe) }
            for keeper in keepers {
                var status: Int32 = 0
                while waitpid(keeper.pid, &status, 0) < 0 && errno == EINTR {}
            }
        }
    }
}
