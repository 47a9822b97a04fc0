import ArgumentParser
import CommandSupport

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Seal the store's changes into the outbox and send them (and anything still in the outbox).",
        discussion: "Exit codes: 0 done; 3 done, but some records were skipped (see `status`); 4 store locked; 5 province unreachable (the outbox keeps what was sealed); 6 refused; 7 store not recognised (`reconcile`).")
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Print JSON for scripts (an error too, as {\"error\": {\"message\", \"exitCode\"}}).") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let summary = try await options.withEngine(lock: lock, command: "push", scanAhead: true) { engine in try engine.push() }
            let code: ExitCode = summary.isClean ? .success : .skipped
            if json { try printJSON(SyncJSON(push: .init(summary), exitCode: code)) } else { PushReport.print(summary) }
            return code
        }
    }
}
