import Agent
import ArgumentParser
import CommandSupport
import Foundation
import Logging
import SyncCore

@main
struct EsyncAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "esync-agent",
        abstract: "A bureau's EnterpriseSync agent: keeps the local record store in sync with the province.",
        discussion: """
            The store is a folder of JSON records (STORE/records/<USCC>.json) that the bureau edits; \
            push sends what changed since the province last acknowledged it, pull merges back what the \
            province changed, field by field, keeping local edits that are still pending.

            Every command reads --config FILE (default $ESYNC_AGENT_CONFIG, else /etc/esync/agent.yaml); \
            every key can be overridden by an environment variable (server.url → ESYNC_SERVER_URL). A key the \
            agent does not know is an error (exit 2) naming its line and the key most likely meant; a bad value \
            names the line, or the environment variable, that gave it.

            Exit codes:
              0  success
              1  failure (nothing acknowledged was lost; the outbox keeps sealed changes)
              2  bad command line or configuration (an unknown key, a bad value)
              3  done, but some records were skipped (invalid files, records refused by the
                 province or refused from its answers, a change set held for the province's
                 approval); see `status`
              4  the store is locked by another esync process
              5  the province is unreachable or answered 5xx
              6  the province refused the credentials (token or client certificate) or the
                 request (401/403), or a change set's signature or its place in the store's
                 chain (see `key`)
              7  the province does not recognise this store (made anew, or restored from a
                 backup): nothing was sent or merged; run `esync-agent reconcile`
            `verify` exits 1 when records differ (see its --help).

            TLS: server.caFile, server.clientCert and server.clientKey go to libcurl; with clientCert \
            and no server.tokenFile the bureau signs in by its certificate. The province's certificate is \
            always checked unless server.tlsVerification says disabled-insecure. Every command (and the daemon at \
            start and on reload) warns while certificate checks are off, while server.url is plain http:// to \
            another machine (the token would travel in clear text), and while server.tokenFile or server.clientKey \
            is readable by group or others (chmod 600 FILE).
            """,
        version: "esync-agent \(ESyncVersion.current)",
        subcommands: [Init.self, Status.self, Diff.self, Push.self, Pull.self, Sync.self, Run.self, Verify.self, Reconcile.self, RecordCommand.self, Key.self]
    )

    static func main() async {
        Memory.shareOneHeap()
        // Before any thread of ours starts (the scan ahead, pipelined sends, the daemon's).
        ProvinceClient.initializeLibrary()
        await mainWithDocumentedExitCodes()
    }
}

struct AgentOptions: ParsableArguments {
    @Option(name: .long, help: "The agent's YAML config file.")
    var config: String?


    func load() async throws -> AgentConfig {
        try await AgentConfig.load(path: AgentConfig.resolvePath(config, environment: ProcessInfo.processInfo.environment))
    }

    /// The config, with what it leaves open (`AgentConfig.securityWarnings`) on stderr: every
    /// command says it, whether or not it contacts the province, so an operator sees it at
    /// once. (`run` logs them through its logger instead, at start and on every reload.)
    func loadWarning() async throws -> AgentConfig {
        let config = try await load()
        for warning in config.securityWarnings() { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        return config
    }

    /// Opens the store and an engine on a thread of their own; commands given a `lock` hold the
    /// store's lock for their whole run (waiting for it as `--wait` says); `scanAhead` ones
    /// (locked) scan the working copy first thing. (Not `status` and `diff`: without the lock
    /// the snapshot could be older than the index it is compared with.)
    func withEngine<T: Sendable>(lock wait: LockOptions?, command: String, scanAhead: Bool = false, _ body: @escaping @Sendable (SyncEngine) throws -> T) async throws -> T {
        let config = try await loadWarning()
        let locked = wait != nil
        let seconds = wait?.wait ?? 0
        return try await Blocking.run {
            let store = try Store.open(config.storePath)
            let lock = FileLock(path: store.lockPath)
            if locked {
                try lock.lock(holder: "esync-agent \(command)", timeoutSeconds: seconds)
                store.removeStaleTemporaries()
            }
            defer { lock.unlock() }
            let engine = try SyncEngine(config: config, store: store, scanAhead: scanAhead)
            engine.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let result = try body(engine)
            // Read-only commands still refresh the stat cache when nobody else holds the store.
            if !locked, try lock.tryLock(holder: "esync-agent \(command) (index refresh)") { try engine.saveIndex() }
            // The command ends with the process: the engine is not freed (its index of a large
            // store is 100,000s of entries, freed one by one: 6 % of a no-change sync).
            _ = Unmanaged.passRetained(engine)
            return result
        }
    }
}

/// `--wait`, for the commands that take the store's lock (the others never wait, so they do
/// not offer it).
struct LockOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds to wait for the store's lock when another esync process holds it.")
    var wait: Double = 30
}

/// Runs a command body, turning errors into one line on stderr and the documented exit code.
/// Runs a command and turns an `AgentError` into its message and exit code. `json`: the
/// command was asked for JSON, so the error is also printed as `{"error": {"message",
/// "exitCode"}}` on standard output, where a script reads the command's answer.
func reporting(json: Bool = false, _ body: () async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body()
    } catch let error as AgentError {
        FileHandle.standardError.write(Data("esync-agent: \(error)\n".utf8))
        if json { try? printJSON(ErrorJSON(error: .init(message: error.description, exitCode: error.exitCode))) }
        throw ExitCode(error.exitCode)
    }
    if code != 0 { throw ExitCode(code) }
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store layout (records/ and .esync/) at the configured store path, with a new random epoch and the store's signing key.",
        discussion: """
            Record files already in records/ are kept and become new records on the first push. Then run `esync-agent pull` \
            to fetch the region's records from the province. The epoch (128 random bits) tells the province this store \
            from a restored copy or another store: an empty new store takes over its region on its first pull; one with \
            records in it is refused until `esync-agent reconcile --apply`.

            The store's Ed25519 key signs every change set it seals (.esync/signing-key, mode 0600, never leaves the \
            store). The last line printed is its public key, and the line before it the command that registers it at \
            the province, naming this agent's token by its selector (`esync-aggregator token key --selector SELECTOR KEY`; \
            the token itself is never printed); the key is also in .esync/signing-key.pub.
            """)
    @OptionGroup var options: AgentOptions

    func run() async throws {
        try await reporting {
            let config = try await options.loadWarning()
            let store = try Store.initialize(config.storePath, region: config.region)
            let key = try store.signingKey().key.publicKey
            let epoch = try AgentState.load(from: store.stateFilePath).epoch ?? "-"
            print("initialised store \(store.root) for region \(config.region), epoch \(epoch)")
            Key.print(key, file: store.signingKeyPath, register: config.keyRegistrationCommand(key))
            return ExitStatus.success
        }
    }
}

struct Key: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the store's public signing key (last line, base64) for the province to register.",
        discussion: """
            Every change set the store seals is signed with its Ed25519 key (.esync/signing-key, mode 0600) and names \
            the hash of the one sealed before it. The province checks both once any key is registered for the \
            region: `esync-aggregator token key --selector SELECTOR KEY` (printed with this agent's selector), or \
            `cert key FINGERPRINT KEY` for a bureau that signs in by certificate. A store without a key (made before \
            signing) gets one now. A re-created store has a new key, which must be registered before the province \
            takes its change sets.
            """)
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Print JSON for scripts: publicKey, fingerprint, file, register (the command for the province).") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let (key, path, register) = try await options.withEngine(lock: lock, command: "key") { engine in
                let key = try engine.signingKey().publicKey
                return (key, engine.store.signingKeyPath, engine.config.keyRegistrationCommand(key))
            }
            if json {
                try printJSON(["publicKey": key.base64, "fingerprint": key.fingerprint, "file": path, "register": register])
            } else {
                Self.print(key, file: path, register: register)
            }
            return ExitStatus.success
        }
    }

    /// The key for people, and as the last line for scripts (`| tail -1`).
    static func print(_ key: PublicSigningKey, file: String, register: String) {
        Swift.print("signing key \(file) (fingerprint \(key.fingerprint)); register its public key at the province:")
        Swift.print("  " + register)
        Swift.print(key.base64)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show pending changes, the outbox, fields waiting for review, invalid files and the last sync.",
        discussion: "Never takes the store's lock. Exit codes: 0; 3 when the store has invalid files; 2 a bad configuration.")
    @OptionGroup var options: AgentOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let report = try await options.withEngine(lock: nil, command: "status") { engine in
                try StatusReport(engine: engine, diff: try engine.diff())
            }
            if json { try printJSON(report) } else { print(report.text) }
            return report.invalid.isEmpty ? ExitStatus.success : ExitStatus.badRecords
        }
    }
}

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the change set a push would send now (field by field), without sending it.",
        discussion: "Never takes the store's lock. On an unchanged store no record file is read (see scan.filesRead in --json).")
    @OptionGroup var options: AgentOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let output = try await options.withEngine(lock: nil, command: "diff") { engine in
                DiffOutput(try engine.diff())
            }
            if json { try printJSON(output) } else { print(output.text) }
            return output.invalid.isEmpty ? ExitStatus.success : ExitStatus.badRecords
        }
    }
}

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seal the store's changes into the outbox and send them (and anything still in the outbox).",
        discussion: "Exit codes: 0 done; 3 done, but some records were skipped (see `status`); 4 store locked; 5 province unreachable (the outbox keeps what was sealed); 6 refused; 7 store not recognised (`reconcile`).")
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Print JSON for scripts (an error too, as {\"error\": {\"message\", \"exitCode\"}}).") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let summary = try await options.withEngine(lock: lock, command: "push", scanAhead: true) { engine in try engine.push() }
            let code = summary.isClean ? ExitStatus.success : ExitStatus.badRecords
            if json { try printJSON(SyncJSON(push: .init(summary), exitCode: code)) } else { PushReport.print(summary) }
            return code
        }
    }
}

struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the records of the region that changed at the province since the last pull.",
        discussion: "Exit codes: 0 done; 3 done, but some records were skipped or refused from the province's answers; 4 store locked; 5 province unreachable; 6 refused; 7 store not recognised (`reconcile`).")
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Fetch every record of the region again (cursor 0), e.g. to repair the base.") var full = false
    @Flag(help: "Print JSON for scripts (an error too, as {\"error\": {\"message\", \"exitCode\"}}).") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let full = self.full
            let summary = try await options.withEngine(lock: lock, command: "pull", scanAhead: true) { engine in try engine.pull(full: full) }
            let code = summary.isClean ? ExitStatus.success : ExitStatus.badRecords
            if json { try printJSON(SyncJSON(pull: .init(summary), exitCode: code)) } else { PullReport.print(summary) }
            return code
        }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push, then pull.",
        discussion: "Exit codes as for push and pull: 0 done; 3 some records skipped; 4 store locked; 5 province unreachable; 6 refused; 7 store not recognised (`reconcile`).")
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Print JSON for scripts (an error too, as {\"error\": {\"message\", \"exitCode\"}}).") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let (push, pull) = try await options.withEngine(lock: lock, command: "sync", scanAhead: true) { engine in
                (try engine.push(), try engine.pull())
            }
            let code = push.isClean && pull.isClean ? ExitStatus.success : ExitStatus.badRecords
            if json {
                try printJSON(SyncJSON(push: .init(push), pull: .init(pull), exitCode: code))
            } else {
                PushReport.print(push)
                PullReport.print(pull)
            }
            return code
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as a daemon: sync at start, then every sync.intervalSeconds (plus jitter).",
        discussion: """
            Backs off exponentially (up to sync.maxBackoffSeconds) while the province is unreachable; the outbox keeps \
            everything. Speaks the systemd notify protocol when $NOTIFY_SOCKET is set (READY, STATUS, WATCHDOG, STOPPING). \
            SIGTERM/SIGINT stop it cleanly (a transfer in flight is abandoned; exit 0); SIGHUP reloads the config (a bad \
            one is reported and the old one kept). Logs one line per event on stderr, with journald priority prefixes \
            when stderr is the journal. The store's lock is held only while syncing. With sync.watch it also syncs \
            sync.settleSeconds after a record file in STORE/records changes (inotify). After a sync it runs `verify` when \
            the last one is sync.verifyIntervalSeconds old (a day; 0: never) and ends STATUS= with the result. A store \
            the province does not recognise (exit code 7 of the other commands) is reported in STATUS= and retried on the \
            interval until `esync-agent reconcile --apply`.
            """)
    @OptionGroup var options: AgentOptions
    @Option(help: "error, warning, notice, info or debug (default: log.level of the config, else info).") var logLevel: String?
    @Option(help: "Write Prometheus metrics (text format) to this file after every sync, for node_exporter's textfile collector (default: metrics.file of the config).")
    var metricsFile: String?

    func run() async throws {
        try await reporting {
            let path = AgentConfig.resolvePath(options.config, environment: ProcessInfo.processInfo.environment)
            let config = try await options.load()
            guard let level = JournalLogHandler.level(named: logLevel ?? config.logLevel) else {
                throw AgentError.config("log level \(logLevel ?? config.logLevel) is not one of error, warning, notice, info, debug")
            }
            let logger = Logger(label: "esync-agent") { _ in JournalLogHandler(level: level) }
            let metrics = metricsFile.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
            return await Daemon(configPath: path, config: config, logger: logger, metricsFile: metrics).run()
        }
    }
}

enum PullReport {
    static func print(_ summary: SyncEngine.PullSummary) {
        Swift.print("pull: \(summary.line)")
        for d in summary.divergent { Swift.print("  kept local \(d.field) of \(d.uscc) (the province changed it too; the next push sends it for review)") }
        for d in summary.decisions { Swift.print("  " + d.line) }
        for r in summary.refusedFromProvince { Swift.print("  \(r)") }
    }
}

enum PushReport {
    static func print(_ summary: SyncEngine.PushSummary) {
        Swift.print("push: \(summary.line)")
        for c in summary.conflicts { Swift.print("  \(c.uscc) \(c.field): waits for the province's review (conflict \(c.conflictId))") }
        for w in summary.withdrawn { Swift.print("  \(w.uscc): delete request withdrawn (conflict \(w.conflictId)): its file is back") }
        for r in summary.rejected { Swift.print("  \(r.uscc): refused: \(r.reason)") }
        for i in summary.invalid { Swift.print("  \(i.file): not sent: \(i.reason)") }
        for h in summary.heldChangeSets { Swift.print("  \(h.message)") }
        for r in summary.refusedFromProvince { Swift.print("  \(r)") }
    }
}
