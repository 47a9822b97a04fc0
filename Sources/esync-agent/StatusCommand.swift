import ArgumentParser
import CommandSupport

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show pending changes, the outbox, fields waiting for review, invalid files and the last sync.",
        discussion: "Never takes the store's lock. Exit codes: 0; 3 when the store has invalid files; 2 a bad configuration.")
    @OptionGroup var options: AgentOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let report = try await options.withEngine(lock: nil, command: "status") { engine in
                try StatusReport(engine: engine)
            }
            if json { try printJSON(report) } else { print(report.text) }
            return report.invalid.isEmpty ? .success : .skipped
        }
    }
}
