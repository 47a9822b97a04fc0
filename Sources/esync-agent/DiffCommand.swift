import ArgumentParser
import CommandSupport

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the change set a push would send now (field by field), without sending it.",
        discussion: "Never takes the store's lock. On an unchanged store no record file is read (see scan.filesRead in --json).")
    @OptionGroup var options: AgentOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let output = try await options.withEngine(lock: nil, command: "diff") { engine in
                try DiffOutput(engine: engine, keepingChanges: json)
            }
            if json { try printJSON(output) } else { print(output.text) }
            return output.invalid.isEmpty ? .success : .skipped
        }
    }
}
