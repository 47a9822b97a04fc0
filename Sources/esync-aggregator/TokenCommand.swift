import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation
import SyncCore

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke credentials; register bureaus' signing keys.",
        discussion: """
            A token is shown once, when it is made; the database keeps only its hash. `list` shows each token's selector \
            (its first 16 characters after esync_; `#ID` for a token made before selectors), which `revoke` and `key` take.

            A bureau token with a signing key (`add --public-key`, `key`) accepts only change sets signed with that key \
            and chained to the last one accepted. Once any token or certificate of a region has a key, every change set \
            of the region must be signed by a key registered for it, whatever the credential; a region without any \
            key keeps working unsigned.
            """,
        subcommands: [Add.self, List.self, Revoke.self, Key.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token for a bureau, a reviewer or an editor and print it (last line). Only its hash is stored.")

        @OptionGroup var options: ConfigOption
        @Option(help: "The bureau's 6-digit region code (410100 … 411700, 419001): pushes and pulls that region only.")
        var region: String?
        @Option(help: "A reviewer's name: decides conflicts and held change sets, edits records, signs in to /review.")
        var reviewer: String?
        @Option(help: "A province editor's name: edits records and imports designation lists; decides nothing.")
        var editor: String?
        @Option(help: "With --region: the bureau store's public signing key (the last line of `esync-agent key`), as base64 or @FILE; its change sets must then be signed with it.")
        var publicKey: String?
        @Option(help: "With --public-key: who registers the key (default: cli.by of the config); kept in the change-set log.") var by: String?

        func validate() throws {
            guard [region, reviewer, editor].compactMap({ $0 }).count == 1 else { throw ValidationError("give exactly one of --region CODE, --reviewer NAME or --editor NAME") }
            if publicKey != nil && region == nil { throw ValidationError("--public-key is for a bureau's token (--region CODE)") }
            if let region { try validateRegion(region) }
        }

        func run() async throws {
            try await reporting {
                let key = try publicKey.map(readPublicKey)
                let config = try await options.load()
                // Who registers a key is kept in the change-set log; a token alone logs nothing.
                let registeredBy = key == nil ? "" : try config.attribution(by)
                let database = try await options.open(config, create: true)
                let tokens = TokenStore(database: database)
                let token: String
                if let region {
                    token = try await tokens.add(role: .bureau, region: region, name: "bureau \(region)", publicKey: key, by: registeredBy)
                    if let key { print("signing key \(key.fingerprint) registered: the bureau's change sets must be signed with it") }
                    print("token for the bureau of \(region) \(Regions.region(code: region)!.name) (shown once, keep it in the agent's tokenFile):")
                } else if let reviewer {
                    token = try await tokens.add(role: .reviewer, region: nil, name: reviewer)
                    print("token for reviewer \(reviewer) (shown once):")
                } else {
                    token = try await tokens.add(role: .editor, region: nil, name: editor!)
                    print("token for editor \(editor!) (shown once):")
                }
                print(token)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens: selector, role, region or name, created, revoked. No token is shown.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Print JSON for scripts.") var json = false

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let entries = try await TokenStore(database: database).list()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(entries), as: UTF8.self))
                    return
                }
                var rows = [["SELECTOR", "ROLE", "FOR", "SIGNING KEY", "CREATED", "REVOKED"]]
                for e in entries {
                    rows.append([e.selector, e.role, e.region.map { "\($0) \(Regions.region(code: $0)?.name ?? "")" } ?? e.name,
                                 e.keyFingerprint ?? (e.role == "bureau" ? "none (unsigned)" : ""), BeijingTime.text(e.createdAt),
                                 e.revokedAt.map { BeijingTime.text($0) } ?? ""])
                }
                print(TextTable.render(rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by its selector (see `token list`): it stops working at once, review sessions opened with it too.",
            discussion: "Exit codes: 0 revoked; 4 no such token that is not already revoked.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The token's selector, as `token list` shows it.") var selector: String

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                guard let entry = try await TokenStore(database: database).revoke(selector: selector) else {
                    throw CommandFailure(message: "no active token with selector \(selector) (see `esync-aggregator token list`)", code: .notFound)
                }
                print("revoked the \(entry.role) token \(entry.selector) of \(entry.region ?? entry.name)")
            }
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a bureau store's public signing key with its token, or reset the token's chain.",
            discussion: """
                From then on the token accepts only change sets signed with KEY (the last line of `esync-agent key` \
                or `esync-agent init`; also in the store's .esync/signing-key.pub), each naming the hash of the one the \
                province accepted before it. A new key replaces the old one (a re-created store).

                Registering a key, and --reset-chain, let the token's next signed change set start a new chain whatever \
                it names as previous: the one way past a refused gap or fork (an outbox file lost, a store restored from \
                a backup), once an operator has looked. The change-set log keeps who did it and when (`changesets verify`).

                Exit codes: 0 done; 1 --reset-chain for a token without a key; 2 not a key; 4 no such active bureau token.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "The bureau token's selector, as `token list` and `esync-agent key` show it, or any prefix of it (at least 4 characters) that names one active bureau token.")
        var selector: String
        @OptionGroup var registration: KeyRegistration

        func run() async throws {
            try await reporting {
                let publicKey = try registration.publicKey()
                let (_, who, database) = try await options.open(by: registration.by)
                let tokens = TokenStore(database: database)
                let entry = if let publicKey {
                    try await tokens.registerKey(publicKey, selector: selector, by: who)
                } else {
                    try await tokens.resetChain(selector: selector, by: who, note: registration.note)
                }
                guard let entry else {
                    throw CommandFailure(message: "no active bureau token with selector \(selector) (see `esync-aggregator token list`)", code: .notFound)
                }
                if let publicKey {
                    print("key \(publicKey.fingerprint) registered with the token \(entry.selector) of \(entry.region ?? entry.name): its next signed change set starts its chain")
                } else {
                    print("the next signed change set of token \(entry.selector) (\(entry.region ?? entry.name)) may start a new chain")
                }
            }
        }
    }
}
