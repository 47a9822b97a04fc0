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
            abstract: "Brings the register (database.path or database.url) to this version's schema.",
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
            let database = try await options.open(config, schema: .asFound)
            let found = SchemaMismatch(path: database.location, applied: try await database.appliedMigrations(), known: database.knownMigrations)
            guard found.unknown.isEmpty else { throw CommandFailure(message: found.description, code: .usage) }
            let ran: [String]
            do { ran = try await database.migrate() } catch {
                let left = try await database.appliedMigrations().last ?? "no schema"
                throw CommandFailure(message: "cannot migrate the register at \(database.location): \(error); it is left at \(left) (each migration runs in its own transaction)", code: .failure)
            }
            if ran.isEmpty {
                print("the register at \(database.location) is at this version's schema (\(found.applied.last ?? "none")); nothing to do")
            } else {
                print("migrated the register at \(database.location) from \(found.applied.last ?? "no schema") to \(ran.last!): \(ran.count) migration\(ran.count == 1 ? "" : "s") (\(ran.joined(separator: ", ")))")
            }
        }
    }
}
