import Agent
import ArgumentParser
import CommandSupport
import Foundation

/// `--config`, which every command takes, and the store and engine a command works on.
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
        for warning in config.securityWarnings() { StandardError.write("warning: \(warning)") }
        return config
    }

    /// Opens the store and an engine on a thread of their own; commands given a `lock` hold the
    /// store's lock for their whole run (waiting for it as `--wait` says); `scanAhead` ones
    /// (locked) scan the working copy first thing. (Not `status` and `diff`: without the lock
    /// the snapshot could be older than the index it is compared with.)
    func withEngine<T: Sendable>(
        lock wait: LockOptions?, command: String, scanAhead: Bool = false, _ body: @escaping @Sendable (SyncEngine) throws -> T
    ) async throws -> T {
        let config = try await loadWarning()
        let locked = wait != nil
        let seconds = wait?.wait ?? 0
        return try await Blocking.run {
            let store = try Store.open(config.storePath)
            let lock = FileLock(path: store.lockPath)
            if locked {
                try lock.lock(holder: "esync-agent \(command)", timeoutSeconds: seconds)
                store.removeStaleTemporaries()
                try store.moveBaseFilesIntoLog()
            }
            defer { lock.unlock() }
            let engine = try SyncEngine(config: config, store: store, scanAhead: scanAhead)
            engine.log = { line in StandardError.write(line) }
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

extension ExitCode {
    /// The documented exit code of a command that `error` stops (see `EsyncAgent`'s `--help`).
    init(_ error: AgentError) {
        self =
            switch error.category {
            case .usage: .usage
            case .storeLocked: .storeLocked
            case .storeNotRecognised: .storeNotRecognised
            case .unreachable: .unreachable
            case .refused: .refused
            case .badRecords: .skipped
            case .failure: .failure
            }
    }
}

/// How `esync-agent` reports an `AgentError`: its message and exit code.
let agentReporter = CommandReporter(tool: "esync-agent") { error in
    (error as? AgentError).map { CommandFailure(message: $0.description, code: ExitCode($0)) }
}

/// Runs a command body, which answers its exit code, and turns an `AgentError` into one line on
/// stderr and its exit code (with `json`, also `{"error": {"message", "exitCode"}}` on stdout).
func reporting(json: Bool = false, _ body: () async throws -> ExitCode) async throws {
    try await agentReporter.run(json: json, body)
}
