import Agent
import ArgumentParser
import CommandSupport
import SyncCore

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the store's public signing key (last line, base64) for the province to register.",
        discussion: """
            Every change set the store seals is signed with its Ed25519 key (.esync/signing-key, mode 0600) and names \
            the hash of the one sealed before it. The province checks both once any key is registered for the \
            region: `esync-aggregator token key --selector SELECTOR KEY` (printed with this agent's selector), or \
            `cert key FINGERPRINT KEY` for a bureau that signs in by certificate. A store without a key (made before \
            signing) gets one now. A re-created store has a new key, which must be registered before the province \
            takes its change sets.
            """)
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Print JSON for scripts: publicKey, fingerprint, file, register (the command for the province).") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let (key, path, register) = try await options.withEngine(lock: lock, command: "key") { engine in
                let key = try engine.signingKey().publicKey
                return (key, engine.store.signingKeyPath, engine.config.keyRegistrationCommand(key))
            }
            if json {
                try printJSON(["publicKey": key.base64, "fingerprint": key.fingerprint, "file": path, "register": register])
            } else {
                Self.print(key, file: path, register: register)
            }
            return .success
        }
    }

    /// The key for people, and as the last line for scripts (`| tail -1`).
    static func print(_ key: PublicSigningKey, file: String, register: String) {
        Swift.print("signing key \(file) (fingerprint \(key.fingerprint)); register its public key at the province:")
        Swift.print("  " + register)
        Swift.print(key.base64)
    }
}
