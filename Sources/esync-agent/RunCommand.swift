import Agent
import ArgumentParser
import CommandSupport
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a daemon: sync at start, then every sync.intervalSeconds (plus jitter).",
        discussion: """
            Backs off exponentially (up to sync.maxBackoffSeconds) while the province is unreachable, and never tries \
            sooner than an answer's Retry-After asks (a province failing over says 503, Retry-After: 5); the outbox keeps \
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
            // A store that cannot be opened at start is logged by the daemon; it ends with its code.
            guard let error = await Daemon(configPath: path, config: config, logger: logger, metricsFile: metrics).run() else { return .success }
            return (error as? AgentError).map(ExitCode.init) ?? .failure
        }
    }
}
