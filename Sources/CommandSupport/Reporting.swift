import ArgumentParser
import Foundation

/// An error that ends a command with a message on standard error and a documented exit code.
public struct CommandFailure: Error, CustomStringConvertible {
    public var message: String
    public var exitCode: ExitCode

    public init(message: String, code: ExitCode) {
        self.message = message
        self.exitCode = code
    }

    public var description: String { message }
}

/// How a tool reports what stops a command: one line `TOOL: MESSAGE` on standard error and the
/// documented exit code. Each tool says which of its errors it knows (`failure`); any other
/// error goes on to ArgumentParser as it is.
public struct CommandReporter: Sendable {
    public let tool: String
    let failure: @Sendable (any Error) -> CommandFailure?

    /// `failure`: the message and exit code of an error the tool knows; nil for any other.
    public init(tool: String, failure: @escaping @Sendable (any Error) -> CommandFailure?) {
        self.tool = tool
        self.failure = failure
    }

    /// Runs a command's body, which answers the exit code it ends with. `json`: the command was
    /// asked for JSON, so an error is also printed as `{"error": {"message", "exitCode"}}` on
    /// standard output, where a script reads the command's answer.
    public func run(json: Bool = false, _ body: () async throws -> ExitCode) async throws {
        let code: ExitCode
        do {
            code = try await body()
        } catch {
            guard let failure = failure(error) else { throw error }
            StandardError.write("\(tool): \(failure.message)")
            if json { try? printJSON(ErrorJSON(error: .init(message: failure.message, exitCode: failure.exitCode.rawValue))) }
            throw failure.exitCode
        }
        if code != .success { throw code }
    }
}

/// What `CommandReporter.run(json: true)` prints when an error stops the command.
struct ErrorJSON: Encodable {
    struct Body: Encodable {
        var message: String
        var exitCode: Int32
    }
    var error: Body
}

/// Lines for a person on standard error (notes, warnings, what was skipped), apart from the
/// command's answer on standard output.
public enum StandardError {
    public static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
