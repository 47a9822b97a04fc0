import Aggregator
import ArgumentParser
import CommandSupport
import Foundation

/// `esync-aggregator database …`: the register's schema, changed only on purpose.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database",
        abstract: "The register's schema: migrate it after an upgrade.",
        subcommands: [Migrate.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Brings the register (database.path) to this version's schema.",
            discussion: """
                Runs the migrations this version has and the register has not, in order, and names them. Serve and \
                every other command refuse a register at another schema version instead of migrating it, so that \
                instances sharing a register never race to migrate it: stop every esync-aggregator that uses the \
                register, take a copy of it, run this, start them again. A register already at this version is left \
                as it is (exit 0); one migrated by a newer version is refused (exit 2).
                """
        )

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await reporting { try await migrate() }
        }

        func migrate() async throws {
            let config = try await options.load()
            let database = try options.open(config, schema: .asFound)
            let found = SchemaMismatch(path: config.databasePath, applied: try database.appliedMigrations(), known: ProvinceDatabase.migrationIdentifiers)
            guard found.unknown.isEmpty else { throw CommandFailure(message: found.description, code: .usage) }
            let ran: [String]
            do { ran = try database.migrate() } catch {
                throw CommandFailure(message: "cannot migrate the register at \(config.databasePath): \(error); it is left at \(try database.appliedMigrations().last ?? "no schema") (each migration runs in its own transaction)", code: .failure)
            }
            if ran.isEmpty {
                print("the register at \(config.databasePath) is at this version's schema (\(found.applied.last ?? "none")); nothing to do")
            } else {
                print("migrated the register at \(config.databasePath) from \(found.applied.last ?? "no schema") to \(ran.last!): \(ran.count) migration\(ran.count == 1 ? "" : "s") (\(ran.joined(separator: ", ")))")
            }
        }
    }
}
