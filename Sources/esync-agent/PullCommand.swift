import ArgumentParser
import CommandSupport

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
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
            let code: ExitCode = summary.isClean ? .success : .skipped
            if json { try printJSON(SyncJSON(pull: .init(summary), exitCode: code)) } else { PullReport.print(summary) }
            return code
        }
    }
}
