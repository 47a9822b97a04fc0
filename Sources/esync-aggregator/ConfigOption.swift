import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The aggregator's YAML config file.")
    var config: String?

    func load() async throws -> AggregatorConfig {
        do { return try await AggregatorConfig.load(path: AggregatorConfig.resolvePath(config)) } catch {
            throw CommandFailure(message: "\(error)", code: .usage)
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
        do { postgres = try config.postgresWithPassword() } catch { throw CommandFailure(message: "\(error)", code: .usage) }
        if let postgres { return try await open(postgres, create: create, schema: schema) }
        let path = config.databasePath
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CommandFailure(message: "the database's folder \(folder) does not exist (database.path \(path), from \(config.databasePathOrigin)); no register is made in a folder that is not there, so that a typo cannot give an empty one. Correct database.path, or create the folder first: mkdir -p \(folder) (owned by the user the aggregator runs as)", code: .usage)
        }
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew, !create {
            throw CommandFailure(message: "no register at \(path) (database.path, from \(config.databasePathOrigin)); correct database.path, or make the register with `esync-aggregator token add` or `serve`", code: .usage)
        }
        let database: ProvinceDatabase
        do { database = try ProvinceDatabase(path: path, schema: schema) } catch let mismatch as SchemaMismatch {
            throw CommandFailure(message: mismatch.description, code: .usage)
        } catch {
            throw CommandFailure(message: "cannot open the database \(path): \(error)", code: .failure)
        }
        if isNew { StandardError.write("esync-aggregator: created a new register at \(path)") }
        return database
    }

    /// `open` for a register on PostgreSQL: looks at its schema first (as found), then gives an
    /// empty database the schema when `create`, and refuses one at another version.
    private func open(_ postgres: PostgresSettings, create: Bool, schema: ProvinceDatabase.Schema) async throws -> ProvinceDatabase {
        let location = postgres.location
        let database: ProvinceDatabase
        do { database = try await ProvinceDatabase.open(postgres: postgres, schema: .asFound) } catch {
            throw CommandFailure(message: "cannot open the database \(location): \(error)", code: .failure)
        }
        do {
            let applied = try await database.appliedMigrations()
            guard schema == .current else {
                if schema == .migrate { _ = try await database.migrate() }
                return database
            }
            if applied.isEmpty {
                guard create else {
                    throw CommandFailure(message: "no register at \(location) (database.url): the database has no schema yet; correct database.url, or make the register with `esync-aggregator token add` or `serve`", code: .usage)
                }
                // Another instance starting at once may have made it meanwhile: migrate runs
                // under the migration lock and only what is missing.
                if !(try await database.migrate()).isEmpty {
                    StandardError.write("esync-aggregator: created a new register at \(location)")
                }
            } else if applied != database.knownMigrations {
                throw CommandFailure(message: SchemaMismatch(path: location, applied: applied, known: database.knownMigrations).description, code: .usage)
            }
            return database
        } catch let failure as CommandFailure {
            await database.close()
            throw failure
        } catch let mismatch as SchemaMismatch {
            await database.close()
            throw CommandFailure(message: mismatch.description, code: .usage)
        } catch {
            await database.close()
            throw CommandFailure(message: "cannot open the database \(location): \(error)", code: .failure)
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
        throw CommandFailure(message: "who is making this change? give --by NAME, or set cli.by in \(configPath) (or ESYNC_CLI_BY) to the name to record; the login name is not used (under sudo or systemd it names no person)", code: .usage)
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

/// How `esync-aggregator` reports what stops a command: a `CommandFailure` or a service error
/// as one line on stderr, made terminal-safe (a message may quote what a bureau sent: a change
/// set id, a field), with its exit code (a service's 404 is `notFound`).
let aggregatorReporter = CommandReporter(tool: "esync-aggregator") { error in
    switch error {
    case let failure as CommandFailure: CommandFailure(message: failure.message.terminalSafe, code: failure.exitCode)
    case let error as ServiceError: CommandFailure(message: error.description.terminalSafe, code: error.statusCode == 404 ? .notFound : .failure)
    default: nil
    }
}

/// Runs a command body, printing a failure as one line on stderr with its exit code.
func reporting(_ body: () async throws -> Void) async throws {
    try await aggregatorReporter.run {
        try await body()
        return .success
    }
}
