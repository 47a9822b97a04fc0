import Agent
import ArgumentParser
import CommandSupport

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the store layout (records/ and .esync/) at the configured store path, with a new random epoch and the store's signing key.",
        discussion: """
            Record files already in records/ are kept and become new records on the first push. Then run `esync-agent pull` \
            to fetch the region's records from the province. The epoch (128 random bits) tells the province this store \
            from a restored copy or another store: an empty new store takes over its region on its first pull; one with \
            records in it is refused until `esync-agent reconcile --apply`.

            The store's Ed25519 key signs every change set it seals (.esync/signing-key, mode 0600, never leaves the \
            store). The last line printed is its public key, and the line before it the command that registers it at \
            the province, naming this agent's token by its selector (`esync-aggregator token key --selector SELECTOR KEY`; \
            the token itself is never printed); the key is also in .esync/signing-key.pub.
            """)
    @OptionGroup var options: AgentOptions

    func run() async throws {
        try await reporting {
            let config = try await options.loadWarning()
            let store = try Store.initialize(config.storePath, region: config.region)
            let key = try store.signingKey().key.publicKey
            let epoch = try AgentState.load(from: store.stateFilePath).epoch ?? "-"
            print("initialised store \(store.root) for region \(config.region), epoch \(epoch)")
            KeyCommand.print(key, file: store.signingKeyPath, register: config.keyRegistrationCommand(key))
            return .success
        }
    }
}
