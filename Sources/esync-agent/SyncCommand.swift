import ArgumentParser
import CommandSupport

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
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
            let code: ExitCode = push.isClean && pull.isClean ? .success : .skipped
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
