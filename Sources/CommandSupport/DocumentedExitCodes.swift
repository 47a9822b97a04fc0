import ArgumentParser
import Foundation

extension AsyncParsableCommand {
    /// Runs the command line like `main()`, except that a bad command line ends with exit code 2
    /// (`ExitCode.usage`), as both tools document, instead of ArgumentParser's 64 (EX_USAGE).
    public static func mainWithDocumentedExitCodes() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            StandardError.write(fullMessage(for: error))
            Foundation.exit(ExitCode.usage.rawValue)
        }
    }
}
