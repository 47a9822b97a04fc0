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
}

/// A PostgreSQL cluster for this test process: made with `initdb` in a temporary folder and
/// started on a free loopback port, once, the first time a test asks for it, and stopped when
/// the process exits. As root (CI, this machine) it runs as the `postgres` user (initdb
/// refuses root); otherwise as the caller. The server binaries are found in
/// `ESYNC_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package).
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

    private init() throws {
        bin = try Self.binaries()
        let asRoot = getuid() == 0
        folder = NSTemporaryDirectory() + "esync-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if asRoot {
            let chown = try run("/bin/chown", ["postgres:postgres", folder], in: NSTemporaryDirectory())
            guard chown.status == 0 else { throw HarnessError("chown postgres \(folder): \(chown)") }
        }
        let initdb = try Self.asOwner(bin + "/initdb", ["-D", folder + "/data", "-A", "trust", "-U", user, "--locale=C", "-E", "UTF8", "--no-sync"],
                                      root: asRoot, in: folder)
        guard initdb.status == 0 else { throw HarnessError("initdb: \(initdb)") }
        var started: (port: Int, result: ProcessResult)?
        for _ in 0..<5 {
            let port = try Self.freePort()
            let options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
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
        Self.stopAtExit(bin: bin, data: folder + "/data", root: asRoot)
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

    /// What `atexit` runs: the commands, as C strings made once (stop the server, remove its
    /// folder).
    nonisolated(unsafe) private static var atExit: [[UnsafeMutablePointer<CChar>?]] = []

    private static func stopAtExit(bin: String, data: String, root: Bool) {
        let stop = (root ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [bin + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
        let remove = ["/bin/rm", "-rf", (data as NSString).deletingLastPathComponent]
        atExit = [stop, remove].map { $0.map { strdup($0) } + [nil] }
        atexit {
            for command in PostgresCluster.atExit {
                var pid: pid_t = 0
                guard let first = command.first, let executable = first, posix_spawn(&pid, executable, nil, nil, command, environ) == 0 else { continue }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
    }
}
