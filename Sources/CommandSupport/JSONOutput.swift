import EnterpriseModel
import Foundation

/// JSON for scripts, the same in both tools: pretty printed, keys sorted, slashes as they are,
/// and every control character escaped (`TerminalText.json`: the same JSON value, safe on an
/// operator's terminal even when it quotes what a bureau or the province wrote).
public enum JSONOutput {
    public static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return TerminalText.json(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A JSON value in its own pretty form (`JSONValue.prettyBytes`, a line feed at the end),
    /// escaped the same way.
    public static func text(_ value: JSONValue) -> String {
        TerminalText.json(String(decoding: value.prettyBytes(), as: UTF8.self))
    }
}

/// Prints `value` as JSON (`JSONOutput`) on standard output.
public func printJSON(_ value: some Encodable) throws {
    print(try JSONOutput.text(value))
}

/// Prints a JSON value in its own pretty form (`JSONOutput.text(_:)`) on standard output.
public func printJSON(_ value: JSONValue) {
    print(JSONOutput.text(value), terminator: "")
}

/// Prints one line that holds text a bureau (or any peer) wrote: its control characters are
/// shown as escapes instead of acted on by the terminal (see `TerminalText`).
public func printSafe(_ line: String) {
    print(line.terminalSafe)
}
