import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation
import Logging
import SyncCore
import Synchronization

@main
struct EsyncAggregator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "esync-aggregator",
        abstract: "The province's EnterpriseSync service: merges the bureaus' change sets into its register (SQLite, or PostgreSQL).",
        discussion: """
            Every command reads --config FILE (default $ESYNC_AGGREGATOR_CONFIG, else /etc/esync/aggregator.yaml); \
            every key can be overridden by an environment variable (listen.port → ESYNC_LISTEN_PORT). A key the \
            aggregator does not know is an error naming its line and the key most likely meant; a bad value names \
            the line, or the environment variable, that gave it.

            The register is the SQLite file database.path, or with database.url (or $ESYNC_DATABASE_URL), \
            postgresql://USER@HOST:PORT/DB, a PostgreSQL database that several `serve` instances can share; its password \
            comes from database.passwordFile (a URL with a password in it is refused), TLS from database.sslmode \
            (disable, require, verify-full) and database.sslRootCert.

            The first `token add`, `cert add` or `serve` makes the register and says so: the SQLite file, whose folder must \
            exist, or the schema in an empty PostgreSQL database, which the operator creates. Every other command refuses a \
            register that is not there, so a typo in database.path or database.url never gives a fresh, empty one. An existing register is never migrated by the command that opens it: after an upgrade, \
            stop every instance and run `database migrate` (serve and the other commands refuse an older schema and say so).

            Exit codes: 0 success; 1 failure; 2 bad command line or configuration (an unknown key, a bad value, a \
            database folder or register that is not there, a register at another schema version, an address serve cannot listen on); 3 done, but some lines were refused; 4 not found.
            """,
        version: "esync-aggregator \(ESyncVersion.current)",
        subcommands: [Serve.self, Token.self, Cert.self, Records.self, Conflicts.self, Designations.self, ChangeSets.self, RegionsCommand.self, ReportCommand.self, DatabaseCommand.self, BackupCommand.self, RestoreCommand.self]
    )

    static func main() async { await mainWithDocumentedExitCodes() }
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The aggregator's YAML config file.")
    var config: String?

    func load() async throws -> AggregatorConfig {
        do { return try await AggregatorConfig.load(path: AggregatorConfig.resolvePath(config)) } catch {
            throw CommandFailure(message: "\(error)", code: 2)
        }
    }

    /// The config and its database, which must exist unless `create` (see `open(_:create:)`).
    func open(create: Bool = false) async throws -> (AggregatorConfig, ProvinceDatabase) {
        let config = try await load()
        return (config, try await open(config, create: create))
    }

    /// For a command that records who acted: the config, who (see `AggregatorConfig.attribution`,
    /// checked before the database is opened) and the database. `required: false` (a dry run,
    /// which records nothing) takes no name when none is given.
    func open(by: String?, required: Bool = true) async throws -> (config: AggregatorConfig, who: String, database: ProvinceDatabase) {
        let config = try await load()
        let who = required ? try config.attribution(by) : by ?? config.cliBy ?? ""
        return (config, who, try await open(config))
    }

    /// The database of a config already loaded (after a check that must come first).
    ///
    /// A typo in `database.path` must not give a fresh, empty register without a word. So the
    /// folder must exist: none is made (as `initdb` wants its parent; the operator makes it,
    /// owned by the aggregator's user, or systemd's StateDirectory does). A database file that
    /// is not there yet is made only by the commands that set a province up (`create`:
    /// `serve`, `token add`, `cert add`), which say so on stderr; any other command refuses.
    ///
    /// A register at another schema version is refused (`SchemaMismatch`, exit 2): only
    /// `database migrate` (`schema: .migrate`) changes an existing register's schema.
    ///
    /// On PostgreSQL (`database.url`) the database itself is the operator's to make (`CREATE
    /// DATABASE`); an empty one is a register not there yet, given its schema by the same
    /// commands and refused by the others.
    func open(_ config: AggregatorConfig, create: Bool = false, schema: ProvinceDatabase.Schema = .current) async throws -> ProvinceDatabase {
        let postgres: PostgresSettings?
        do { postgres = try config.postgresWithPassword() } catch { throw CommandFailure(message: "\(error)", code: 2) }
        if let postgres { return try await open(postgres, create: create, schema: schema) }
        let path = config.databasePath
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CommandFailure(message: "the database's folder \(folder) does not exist (database.path \(path), from \(config.databasePathOrigin)); no register is made in a folder that is not there, so that a typo cannot give an empty one. Correct database.path, or create the folder first: mkdir -p \(folder) (owned by the user the aggregator runs as)", code: 2)
        }
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew, !create {
            throw CommandFailure(message: "no register at \(path) (database.path, from \(config.databasePathOrigin)); correct database.path, or make the register with `esync-aggregator token add` or `serve`", code: 2)
        }
        let database: ProvinceDatabase
        do { database = try ProvinceDatabase(path: path, schema: schema) } catch let mismatch as SchemaMismatch {
            throw CommandFailure(message: mismatch.description, code: 2)
        } catch {
            throw CommandFailure(message: "cannot open the database \(path): \(error)", code: 1)
        }
        if isNew { FileHandle.standardError.write(Data("esync-aggregator: created a new register at \(path)\n".utf8)) }
        return database
    }

    /// `open` for a register on PostgreSQL: looks at its schema first (as found), then gives an
    /// empty database the schema when `create`, and refuses one at another version.
    private func open(_ postgres: PostgresSettings, create: Bool, schema: ProvinceDatabase.Schema) async throws -> ProvinceDatabase {
        let location = postgres.location
        let database: ProvinceDatabase
        do { database = try await ProvinceDatabase.open(postgres: postgres, schema: .asFound) } catch {
            throw CommandFailure(message: "cannot open the database \(location): \(error)", code: 1)
        }
        do {
            let applied = try await database.appliedMigrations()
            guard schema == .current else {
                if schema == .migrate { _ = try await database.migrate() }
                return database
            }
            if applied.isEmpty {
                guard create else {
                    throw CommandFailure(message: "no register at \(location) (database.url): the database has no schema yet; correct database.url, or make the register with `esync-aggregator token add` or `serve`", code: 2)
                }
                // Another instance starting at once may have made it meanwhile: migrate runs
                // under the migration lock and only what is missing.
                if !(try await database.migrate()).isEmpty {
                    FileHandle.standardError.write(Data("esync-aggregator: created a new register at \(location)\n".utf8))
                }
            } else if applied != database.knownMigrations {
                throw CommandFailure(message: SchemaMismatch(path: location, applied: applied, known: database.knownMigrations).description, code: 2)
            }
            return database
        } catch let failure as CommandFailure {
            await database.close()
            throw failure
        } catch let mismatch as SchemaMismatch {
            await database.close()
            throw CommandFailure(message: mismatch.description, code: 2)
        } catch {
            await database.close()
            throw CommandFailure(message: "cannot open the database \(location): \(error)", code: 1)
        }
    }
}

extension AggregatorConfig {
    /// Who a command-line edit, decision or key registration is recorded as: `--by`, else
    /// `cli.by` (or `ESYNC_CLI_BY`). Never the Unix login, which under sudo or systemd is
    /// `root` or the service's user: the history would name no person. Without either the
    /// command is refused (exit 2) before it changes anything.
    func attribution(_ by: String?) throws -> String {
        if let by, !by.allSatisfy(\.isWhitespace) { return by }
        if let cliBy { return cliBy }
        throw CommandFailure(message: "who is making this change? give --by NAME, or set cli.by in \(configPath) (or ESYNC_CLI_BY) to the name to record; the login name is not used (under sudo or systemd it names no person)", code: 2)
    }
}

/// Refuses an option's value that is not one of `allowed`, naming the one most likely meant:
/// `conflicts list --status opne` used to list "no opne conflicts" as if there were none.
func validateChoice(_ value: String, of option: String, among allowed: [String]) throws {
    guard !allowed.contains(value) else { return }
    let hint = NearestName.nearest(to: value, among: allowed).map { "; did you mean \($0)?" } ?? ""
    throw ValidationError("\(option) must be \(allowed.dropLast().joined(separator: ", ")) or \(allowed.last ?? ""), found \(value)\(hint)")
}

/// Refuses a region code that is not one of the 18, listing them.
func validateRegion(_ region: String) throws {
    guard Regions.region(code: region) == nil else { return }
    throw ValidationError("\(region) is not one of the 18 regions: \(Regions.all.map { "\($0.code) \($0.name)" }.joined(separator: ", "))")
}

/// An error that ends a command with a message on stderr and a documented exit code.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    var description: String { message }
}

extension AsyncParsableCommand {
    /// Runs `body`, printing a failure as one line on stderr with its exit code.
    func reporting(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("esync-aggregator: \(failure.message.terminalSafe)\n".utf8))
            throw ExitCode(failure.code)
        } catch let error as ServiceError {
            // A service error may quote what a bureau sent (a change set id, a field).
            FileHandle.standardError.write(Data("esync-aggregator: \(error.description.terminalSafe)\n".utf8))
            throw ExitCode(error.statusCode == 404 ? 4 : 1)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API and the review pages (/review) until SIGTERM or SIGINT.",
        discussion: """
            Reviewers sign in to http://HOST:PORT/review with their name and the token from `token add --reviewer NAME`; bureau tokens cannot.

            With tls.cert and tls.key it serves HTTPS instead of HTTP; with tls.clientCA too it asks each client for a certificate \
            signed by that CA, and a certificate registered with `cert add` signs a bureau in without a token. A missing or \
            unreadable certificate or key stops it at once with exit code 2, naming the key and the file; so does an \
            address it cannot listen on (a port in use, a host that is not this machine's), naming host and port.
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "Override listen.port (0 picks a free port; the bound port is printed).")
    var port: Int?

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        try await reporting {
            var (config, database) = try await options.open(create: true)
            if let port { config.port = port }
            let policy: FieldPolicy
            do { policy = try config.loadPolicy() } catch { throw CommandFailure(message: "\(error)", code: 2) }
            let server = AggregatorServer(config: config, database: database, policy: policy)
            var logger = Logger(label: "esync-aggregator")
            logger.logLevel = .info
            let host = config.host
            let path = config.databaseLocation
            let scheme = config.tls == nil ? "http" : "https"
            let clientCertificates = config.tls?.clientCAPath == nil ? "" : " client-certificates=on"
            let listening = Mutex(false)
            // The stop is logged as the agent's daemon logs it: the signal, then "stopped" once
            // the requests in flight have finished (Hummingbird handles the signal itself;
            // a second dispatch source on it only listens).
            let stopSignals = [SIGTERM, SIGINT].map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [logger] in logger.notice("signal \(number): stopping (requests in flight finish first)") }
                source.resume()
                return source
            }
            defer { stopSignals.forEach { $0.cancel() } }
            do {
                try await server.run(logger: logger) { port in
                    listening.withLock { $0 = true }
                    // Scripts and tests read the URL from this line.
                    print("esync-aggregator listening on \(scheme)://\(host):\(port) database=\(path)\(clientCertificates)")
                    fflush(nil)
                }
            } catch let error as ConfigError {
                throw CommandFailure(message: "\(error)", code: 2)
            } catch where !listening.withLock({ $0 }) {
                // Before it listened, an address problem is the configuration's (listen.host, listen.port).
                guard let reason = ListenFailure.reason(error, host: host, port: config.port) else { throw error }
                throw CommandFailure(message: "cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(config.port): \(reason)", code: 2)
            }
            logger.notice("stopped")
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
                    throw CommandFailure(message: "no active token with selector \(selector) (see `esync-aggregator token list`)", code: 4)
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
                    throw CommandFailure(message: "no active bureau token with selector \(selector) (see `esync-aggregator token list`)", code: 4)
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
            throw CommandFailure(message: "cannot read the public key from \(text.dropFirst()): \(error.localizedDescription)", code: 2)
        }
    }
    do { return try PublicSigningKey(base64: value) } catch { throw CommandFailure(message: "\(text): \(error)", code: 2) }
}

struct Records: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read and edit the merged register.", subcommands: [Get.self, History.self, Set.self, RecordsExport.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record with its revision and the provenance of each field.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The credit code.") var uscc: String

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw CommandFailure(message: "\(error)", code: 2) }
                let view = try await MergeService(database: database).record(code, for: .provinceCLI(user: NSUserName()))
                print(try prettyJSON(view))
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a record's revisions, oldest first: who changed which fields, from what to what.",
            discussion: """
                The province keeps what each revision changed (a new record whole, then each field's old and new value); \
                --json prints every revision with its changes and the whole record after it.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The credit code.") var uscc: String
        @Flag(help: "Print JSON: every revision with its changes and the record after it.") var json = false

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw CommandFailure(message: "\(error)", code: 2) }
                let revisions = try await MergeService(database: database).history(code, for: .provinceCLI(user: NSUserName()))
                if json { print(try prettyJSON(revisions)); return }
                for revision in revisions {
                    printSafe("revision \(revision.revision)  \(BeijingTime.text(revision.at))  \(revision.source)  \(revision.changeSet)")
                    switch revision.op {
                    case "create": printSafe("    created with \(plural(revision.document.map { FieldPath.flatten($0).count } ?? 0, "field"))")
                    case "delete": printSafe("    deleted (an approved delete request)")
                    default:
                        if revision.changes.isEmpty { printSafe("    no field changed (a decision kept the values)") }
                        for field in revision.changes.keys.sorted() {
                            let change = revision.changes[field]!
                            printSafe("    \(field): \(change.from?.canonicalString ?? "(absent)") → \(change.to?.canonicalString ?? "(absent)")")
                        }
                    }
                }
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit fields of a record as the province (recorded with provenance and history).",
            discussion: """
                Values are JSON: srdi='{"year":2025,"batch":1,"validUntil":"2027-12-31"}' name='"新名称"' employees=120

                FIELD must be a field records have (\(EnterpriseRecord.knownFields.sorted().joined(separator: ", ")), and the \
                members of contact, srdi, littleGiant, aboveDesignatedSize and supportMeasures), and so must every member of \
                an object value: a typo such as employes=5 is refused (exit 2) with the field most likely meant, and nothing \
                is written. (A bureau's record may carry members this version does not know, kept for a newer agent; the \
                command line edits only the fields it knows.)
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The credit code.") var uscc: String
        @Argument(help: "FIELD=JSON assignments; FIELD is a path such as contact.phone.") var assignments: [String]
        @Option(help: "Who makes the edit (default: cli.by of the config); kept with the revision.") var by: String?

        func run() async throws {
            try await reporting {
                var set: [String: JSONValue] = [:]
                for assignment in assignments {
                    guard let eq = assignment.firstIndex(of: "=") else { throw CommandFailure(message: "\(assignment): expected FIELD=JSON", code: 2) }
                    let field = String(assignment[..<eq])
                    let text = String(assignment[assignment.index(after: eq)...])
                    do { set[field] = try JSONValue.parse(text) } catch {
                        throw CommandFailure(message: "\(field): the value is not JSON (\(error)); write text in quotes: \(field)='\"…\"'", code: 2)
                    }
                    if let unknown = EnterpriseRecord.unknownField(FieldPath.components(field), value: set[field]) {
                        throw CommandFailure(message: "\(unknown) (nothing was written)", code: 2)
                    }
                }
                let (_, who, database) = try await options.open(by: by)
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw CommandFailure(message: "\(error)", code: 2) }
                let view = try await MergeService(database: database).patch(code, RecordPatch(set: set), by: .provinceCLI(user: who))
                print("record \(code) is now at revision \(view.revision)")
            }
        }
    }
}

/// `value` as pretty JSON for the terminal, its control characters escaped (see `TerminalText.json`).
func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return TerminalText.json(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `value`'s pretty JSON bytes (`JSONValue.prettyBytes`) for the terminal, escaped the same way.
func prettyJSON(_ value: JSONValue) -> String {
    TerminalText.json(String(decoding: value.prettyBytes(), as: UTF8.self))
}

/// Prints one line that holds text a bureau (or any peer) wrote: its control characters are
/// shown as escapes instead of acted on by the terminal (see `TerminalText`).
func printSafe(_ line: String) {
    print(line.terminalSafe)
}
