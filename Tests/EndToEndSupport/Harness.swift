#if canImport(Glibc)
import Glibc
#endif
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore

/// Real processes for end-to-end tests: the `esync-aggregator` and `esync-agent` binaries that
/// `swift build` put next to this test bundle, a temporary folder per test, loopback port 0.
enum Binaries {
    static let directory: String = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle lives in .build/<triple>/debug (or is a folder inside it).
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("esync-agent").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.path
    }()
    static var agent: String { directory + "/esync-agent" }
    static var aggregator: String { directory + "/esync-aggregator" }
}

struct ProcessResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs a command to completion, capturing its output through files (no pipe deadlocks).
/// posix_spawn and waitpid rather than Foundation's `Process`, which is not safe to use from
/// several test suites at once on Linux.
/// `killAfter`: SIGKILL the process if it is still running after that many seconds (a crash at
/// an arbitrary point); its status is then 128 + 9.
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in folder: String,
         killAfter: Double? = nil) throws -> ProcessResult {
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ESYNC_") }
    env.merge(environment) { $1 }
    let out = folder + "/.out-\(UUID().uuidString)", err = out + ".err"
    defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
    let pid = try spawn([executable] + arguments, environment: env, stdout: out, stderr: err)
    var status: Int32 = 0
    if let killAfter {
        let deadline = Date().addingTimeInterval(killAfter)
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            guard done == 0 || errno == EINTR else { throw HarnessError("waitpid: \(errno)") }
            if Date() >= deadline { kill(pid, SIGKILL) }
            usleep(1000)
        }
    } else {
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw HarnessError("waitpid: \(errno)") }
        }
    }
    return ProcessResult(status: exitCode(status),
                         stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
}

/// Starts `command` (an absolute path, then its arguments) in the background with exactly
/// `environment`: standard input from /dev/null, standard output and error into the files given
/// (replaced), no other descriptor of the test. Returns its pid, for `waitpid`.
/// `appendStderr`: stderr is appended to (several processes, or restarts, sharing one log).
func spawn(_ command: [String], environment: [String: String], stdout: String, stderr: String, appendStderr: Bool = false) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | (appendStderr ? O_APPEND : O_TRUNC), 0o644)
    try closeInheritedDescriptors(&actions)
    let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
    guard spawned == 0 else { throw HarnessError("cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
    return pid
}

/// A `waitpid` status as an exit code: WEXITSTATUS, or 128 + the signal.
func exitCode(_ status: Int32) -> Int32 { status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }

/// Closes, in a child `posix_spawn` starts, every descriptor above stderr: whatever the test
/// process holds open (the flock of `/tmp/esync-swift.lock` that the build's `flock` passed down,
/// a listening socket, a pipe) must not be kept by a server that a command starts and that
/// outlives the test, such as the PostgreSQL of `pg_ctl start`. Foundation's `Process` does the
/// same for its children. glibc has had the action since 2.34; Swift's Glibc module does not
/// show it (it is a GNU extension), so it is looked up once.
func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) throws {
    guard let closeFrom = addCloseFrom else {
        throw HarnessError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later): a child would keep the test's descriptors")
    }
    let failed = closeFrom(&actions, 3)
    guard failed == 0 else { throw HarnessError("posix_spawn_file_actions_addclosefrom_np: \(String(cString: strerror(failed)))") }
}

private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
}()

/// A real `esync-aggregator serve` on 127.0.0.1, port chosen by the kernel, with a fresh register
/// (an SQLite file, or with `ESYNC_TEST_BACKEND=postgresql` a database of its own on the test
/// process's PostgreSQL cluster), bureau tokens for the regions asked for and a reviewer token. Its command-line
/// edits and decisions are recorded as `harness` (`cli.by`) unless a test gives `--by`.
final class AggregatorProcess: @unchecked Sendable {
    let folder: String
    /// Removes `folder` once this process and every one `sharing` it are done.
    private let temporary: TemporaryFolder
    let configPath: String
    /// The register's PostgreSQL URL (nil: the SQLite file `province.sqlite` in `folder`).
    let databaseURL: String?
    /// The running `serve`'s pid; 0 when none runs. Started with posix_spawn, not Foundation's
    /// `Process`, whose `run()` crashed a test process now and then on Linux.
    private var pid: pid_t = 0
    /// How the last `serve` ended (its exit code, or 128 + the signal), once it was stopped.
    private(set) var terminationStatus: Int32 = 0
    private(set) var url = ""
    private(set) var bureauTokens: [String: String] = [:]
    private(set) var reviewerToken = ""

    /// The aggregator's environment (ESYNC_* overrides); a test may change it before `restart`.
    var environment: [String: String]
    /// How `request` reaches the aggregator (over HTTPS: the CA to trust, a client certificate).
    var clientOptions = CurlOptions()
    /// A command `serve` runs under, e.g. `["/usr/bin/prlimit", "--nofile=256", "--"]`.
    let launcher: [String]

    /// `policy`: the text of a field policy file for this aggregator (default: the built-in one).
    /// `config`: more YAML for its config file (e.g. a `tls:` section). `backend`: the
    /// register's, when a test needs one whatever `ESYNC_TEST_BACKEND` says; `databaseURL`: a
    /// PostgreSQL database of the test's own (a primary and its standby) instead.
    init(regions: [String], name: String, environment: [String: String] = [:], policy: String? = nil, config: String = "",
         launcher: [String] = [], backend: TestBackend = .current, databaseURL: String? = nil) throws {
        self.environment = environment
        self.launcher = launcher
        temporary = TemporaryFolder("e2e-\(name)")
        folder = temporary.path
        configPath = folder + "/aggregator.yaml"
        if let policy { try policy.write(toFile: folder + "/policy.yaml", atomically: true, encoding: .utf8) }
        self.databaseURL = try databaseURL ?? (backend == .postgresql ? PostgresCluster.get().createDatabase(name) : nil)
        try """
            listen: { host: 127.0.0.1, port: 0 }
            database: \(self.databaseURL.map { "{ url: \"\($0)\" }" } ?? "{ path: province.sqlite }")
            cli: { by: harness }
            \(policy == nil ? "" : "policy: policy.yaml")
            \(config)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        for region in regions { bureauTokens[region] = try token(["--region", region]) }
        reviewerToken = try token(["--reviewer", "wang"])
        try start()
    }

    /// Another `esync-aggregator serve` on the same config and register, on a port of its own
    /// (several instances behind a load balancer).
    init(sharing other: AggregatorProcess) throws {
        environment = other.environment
        launcher = other.launcher
        temporary = other.temporary
        folder = other.folder
        configPath = other.configPath
        databaseURL = other.databaseURL
        bureauTokens = other.bureauTokens
        reviewerToken = other.reviewerToken
        try start()
    }

    func token(_ who: [String]) throws -> String {
        let result = try run(Binaries.aggregator, ["token", "add", "--config", configPath] + who, in: folder)
        guard result.status == 0, let last = result.stdout.split(separator: "\n").last else { throw HarnessError("token add failed: \(result)") }
        return String(last)
    }

    /// Kills the aggregator with SIGKILL, wherever it is (a crash mid-transaction), and starts it
    /// again on the same port.
    func crashAndRestart() throws {
        end(SIGKILL)
        try restart()
    }

    /// Starts again after `stop()` on the same port (a province outage and its end).
    func restart() throws {
        stop()
        let port = url.split(separator: ":").last.map(String.init) ?? "0"
        try start(extra: ["--port", port])
    }

    func start(extra: [String] = []) throws {
        let command = launcher + [Binaries.aggregator, "serve", "--config", configPath] + extra
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ESYNC_") }.merging(environment) { $1 }
        // Standard output to a file of its own (instances sharing a folder each have one): a
        // pipe nobody reads after the start would block a server that writes more.
        let out = folder + "/serve-\(UUID().uuidString.prefix(8)).out"
        // One log for every instance and restart in the folder, each line appended whole.
        pid = try spawn(command, environment: environment, stdout: out, stderr: folder + "/serve.log", appendStderr: true)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let seen = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if let range = seen.range(of: #"https?://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                url = String(seen[range])
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                (pid, terminationStatus) = (0, exitCode(status))
                break
            }
            usleep(20_000)
        }
        let seen = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        end(SIGKILL)
        throw HarnessError("the aggregator did not start: \(seen) \((try? String(contentsOfFile: folder + "/serve.log", encoding: .utf8)) ?? "")")
    }

    /// Stops `serve` as systemd does (SIGTERM) and waits for it.
    func stop() { end(SIGTERM) }

    /// Sends `signal` to the running `serve` and waits for it to end.
    private func end(_ signal: Int32) {
        guard pid != 0 else { return }
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        (pid, terminationStatus) = (0, exitCode(status))
    }

    deinit { stop() }

    /// A request to the aggregator's API through libcurl.
    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, body: [UInt8]? = nil,
                 headers extra: [(name: String, value: String)] = []) throws -> HTTPResponse {
        let client = try CurlClient(options: clientOptions)
        var headers = extra
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        let response = try client.perform(HTTPRequest(method: method, url: url + path, headers: headers, body: body))
        // Every answer a test receives is held to docs/openapi.yaml.
        try OpenAPIContract.shared.get().check(method: method.rawValue, path: path, status: response.status,
                                               contentType: response.header("Content-Type"), body: response.body)
        return response
    }

    func record(_ uscc: String) throws -> RecordView {
        let response = try request(.get, "/v1/records/\(uscc)", token: reviewerToken)
        guard response.status == 200 else { throw HarnessError("GET record \(uscc): \(response.status) \(response.bodyString)") }
        return try JSONDecoder().decode(RecordView.self, from: Data(response.body))
    }

    func cli(_ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.aggregator, arguments + ["--config", configPath], in: folder)
    }

    /// A record's revisions as `records history --json` prints them, oldest first.
    func history(_ uscc: String) throws -> [HistoryRevision] {
        let result = try cli(["records", "history", uscc, "--json"])
        guard result.status == 0 else { throw HarnessError("records history \(uscc): \(result)") }
        return try JSONDecoder().decode([HistoryRevision].self, from: Data(result.stdout.utf8))
    }

    /// The selector of a region's bureau token, as `token list` shows it.
    func selector(_ region: String) -> String { String(bureauTokens[region]!.dropFirst(6).prefix(16)) }
    /// Whether the register is on PostgreSQL (`ESYNC_TEST_BACKEND=postgresql`).
    var isPostgres: Bool { databaseURL != nil }

    /// The `database:` line of a config for this register (a test's own config on the same one).
    var databaseYAML: String { "database: " + (databaseURL.map { "{ url: \"\($0)\" }" } ?? "{ path: province.sqlite }") }

    /// Sets a record's `employees` in its stored document behind the merge's back (no new
    /// revision, no new hash): a bad restore or a hand-made fix.
    func tamperEmployees(_ uscc: String, _ value: Int) throws {
        if isPostgres {
            try sql("UPDATE records SET doc = jsonb_set(CAST(doc AS jsonb), '{employees}', '\(value)')::text WHERE uscc = '\(uscc)'")
        } else {
            try sql("UPDATE records SET doc = json_set(doc, '$.employees', \(value)) WHERE uscc = '\(uscc)'")
        }
    }

    /// A statement on the province's database behind the merge's back (as a bad restore or a
    /// hand-made fix would); returns what it prints (sqlite3's list form: `|` between columns).
    /// On PostgreSQL through psql, which prints the same form.
    @discardableResult
    func sql(_ statement: String) throws -> String {
        if let databaseURL { return try PostgresCluster.get().psql(PostgresCluster.database(of: databaseURL), statement) }
        let result = try run("/usr/bin/sqlite3", [folder + "/province.sqlite", statement], in: folder)
        guard result.status == 0 else { throw HarnessError("sqlite3: \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A bureau: a store folder, a config and a token file, and `esync-agent` run as a process.
/// Its store's signing key is registered with its token, as an operator would after `init`, so
/// every test pushes signed, chained change sets unless it asks for `signed: false`.
struct AgentHandle {
    let region: String
    let folder: String
    let configPath: String
    var storePath: String { folder + "/store" }

    /// `token`: sign in with the region's bureau token (false: by a client certificate in
    /// `server`). `server`: more keys of the config's `server:` section, e.g. `caFile: …`.
    /// `signed`: register the store's signing key with the region's token after `init`.
    init(region: String, aggregator: AggregatorProcess, token: Bool = true, server: [String: String] = [:], folderName: String? = nil,
         signed: Bool = true) throws {
        try self.init(region: region, url: aggregator.url, folder: aggregator.folder + "/" + (folderName ?? "bureau-\(region)"),
                      token: token ? aggregator.bureauTokens[region]! : nil, server: server)
        if signed && token {
            let registered = try aggregator.cli(["token", "key", "--selector", aggregator.selector(region), "@" + publicKeyPath])
            guard registered.status == 0 else { throw HarnessError("token key failed: \(registered)") }
        }
    }

    /// A bureau of the province at `url` (a real one, or a fake that checks no token) with its
    /// folder at `folder`, after `init`; `token`: written to the token file the config names.
    init(region: String, url: String, folder: String, token: String?, server: [String: String] = [:]) throws {
        self.region = region
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if let token {
            // 0600, as the README tells an operator: a token others can read makes every run warn.
            try token.write(toFile: folder + "/agent.token", atomically: true, encoding: .utf8)
            guard chmod(folder + "/agent.token", 0o600) == 0 else { throw HarnessError("chmod agent.token: \(errno)") }
        }
        configPath = folder + "/agent.yaml"
        try """
            region: "\(region)"
            store: store
            server:
              url: \(url)
            \(token != nil ? "  tokenFile: agent.token" : "")
              timeoutSeconds: 30
            \(server.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }.joined(separator: "\n"))
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let result = try agent(["init"])
        guard result.status == 0 else { throw HarnessError("init failed: \(result)") }
    }

    var publicKeyPath: String { storePath + "/.esync/signing-key.pub" }
    var tokenPath: String { folder + "/agent.token" }

    /// The store's private key, for a test that signs a change set by hand.
    func signingKey() throws -> SigningKey {
        try SigningKey(base64: String(contentsOfFile: storePath + "/.esync/signing-key", encoding: .utf8))
    }
    var outboxPath: String { storePath + "/.esync/outbox" }

    /// The sealed change sets waiting in the outbox, oldest first.
    func outboxFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: outboxPath).filter { $0.hasSuffix(".json") }.sorted()
    }

    func agent(_ arguments: [String], environment: [String: String] = [:], killAfter: Double? = nil) throws -> ProcessResult {
        try run(Binaries.agent, arguments + ["--config", configPath], environment: environment, in: folder, killAfter: killAfter)
    }

    /// The agent with the wall clock of its hybrid clock moved by `seconds`: a bureau whose
    /// clock is wrong.
    func agent(_ arguments: [String], clockSkew seconds: Int) throws -> ProcessResult {
        try agent(arguments, environment: ["ESYNC_CLOCK_SKEW_SECONDS": "\(seconds)"])
    }

    func recordPath(_ uscc: String) -> String { storePath + "/records/\(uscc).json" }

    func readRecord(_ uscc: String) throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: recordPath(uscc)))))
    }

    func writeRecord(_ document: JSONValue) throws {
        try Data(document.prettyBytes()).write(to: URL(fileURLWithPath: recordPath(document["uscc"]!.stringValue!)))
    }

    /// Changes fields of a record file the way a bureau's tool would.
    func edit(_ uscc: String, _ changes: [String: JSONValue]) throws {
        var document = try readRecord(uscc)
        for (path, value) in changes { FieldPath.set(&document, path: path, to: value) }
        try writeRecord(document)
    }

    func generate(_ count: Int, seed: UInt64) throws -> [String] {
        let result = try agent(["record", "generate", "--count", "\(count)", "--seed", "\(seed)"])
        guard result.status == 0 else { throw HarnessError("generate failed: \(result)") }
        return try FileManager.default.contentsOfDirectory(atPath: storePath + "/records").filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    func statusJSON() throws -> JSONValue {
        let result = try agent(["status", "--json"])
        return try JSONValue.parse(result.stdout)
    }
}

/// One revision of `esync-aggregator records history --json`.
struct HistoryRevision: Decodable {
    struct Change: Decodable {
        var from: JSONValue?
        var to: JSONValue?
    }
    var revision: Int64
    var op: String
    var source: String
    var changes: [String: Change]
    /// The record after this revision.
    var document: JSONValue?
}
