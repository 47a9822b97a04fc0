import ArgumentParser
import CommandSupport
import Foundation
import SyncCore

/// `KEY` or `--reset-chain` (with `--note`, `--by`), as `token key` and `cert key` take them.
struct KeyRegistration: ParsableArguments {
    @Argument(help: "The public key: base64, or @FILE to read it from a file.") var key: String?
    @Flag(help: "Keep the key; let the next change set start a new chain.") var resetChain = false
    @Option(help: "With --reset-chain: why (kept in the change-set log).") var note: String?
    @Option(help: "Who does it (default: cli.by of the config); kept in the change-set log.") var by: String?

    func validate() throws {
        guard (key == nil) == resetChain else { throw ValidationError("give either KEY or --reset-chain") }
    }

    /// The key to register; nil for `--reset-chain`.
    func publicKey() throws -> PublicSigningKey? { try key.map(readPublicKey) }
}

/// A public signing key given on the command line: base64, or `@FILE`.
func readPublicKey(_ text: String) throws -> PublicSigningKey {
    var value = text
    if text.hasPrefix("@") {
        do { value = try String(contentsOfFile: String(text.dropFirst()), encoding: .utf8) } catch {
            throw CommandFailure(message: "cannot read the public key from \(text.dropFirst()): \(error.localizedDescription)", code: .usage)
        }
    }
    do { return try PublicSigningKey(base64: value) } catch { throw CommandFailure(message: "\(text): \(error)", code: .usage) }
}
