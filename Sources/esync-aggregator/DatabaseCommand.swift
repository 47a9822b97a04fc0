import Aggregator
import ArgumentParser
import CommandSupport
import Foundation

/// `esync-aggregator database …`: the register's schema, changed only on purpose.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database",
        abstract: "The register's schema: migrate it after an upgrade; copy it into PostgreSQL.",
        subcommands: [Migrate.self, Copy.self]
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

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copies the embedded register (database.path) into an empty PostgreSQL database and verifies the copy.",
            discussion: """
                Moves a province from its SQLite file to PostgreSQL: every table (records, history with each field's provenance, \
                conflicts, applied and held change sets, tokens, certificates and signing keys, chains, store epochs, the \
                register's identity, the change sequence, the report's facts and totals) is copied in one transaction, which \
                commits only when every table's rows are counted the same on both sides and the register's identity, \
                change sequence and each region's live records and digest (the digests `esync-agent verify` compares) are \
                equal; then the copy is opened as serve opens it and checked again. The database must be empty (CREATE \
                DATABASE it first): one with any table is refused. Stop every esync-aggregator using the SQLite register \
                first (the copy is refused while one has it open); afterwards set database.url (and database.passwordFile) \
                in the config instead of database.path and start them. The SQLite file is left as it was. Exit 0 when \
                copied and verified; 1 when the copy failed or did not verify (rolled back: the database is left empty), \
                or PostgreSQL cannot be reached, or the register is in use; 2 when the database is not empty, the config's \
                register is not an SQLite file at this version's schema, or an option is wrong.
                """
        )

        @OptionGroup var options: ConfigOption
        @Option(help: "The empty PostgreSQL database to copy into: postgresql://USER@HOST:PORT/DB (no password in it).") var to: String
        @Option(help: "A file whose first line is the database user's password.") var passwordFile: String?
        @Option(help: "TLS to the database: disable, require or verify-full.") var sslmode = "disable"
        @Option(help: "With --sslmode verify-full: the CA certificate (PEM) the server's is checked against.") var sslRootCert: String?

        func run() async throws {
            try await reporting { try await copy() }
        }

        func copy() async throws {
            let config = try await options.load()
            if let postgres = config.postgres {
                throw CommandFailure(message: "the register of \(config.configPath) is already on PostgreSQL (\(postgres.location), database.url); database copy copies an embedded SQLite register (database.path)", code: .usage)
            }
            guard let tls = PostgresSettings.tls(sslmode: sslmode, rootCertificate: sslRootCert) else {
                throw CommandFailure(message: "--sslmode must be \(PostgresSettings.sslModes.joined(separator: ", ")), found \(sslmode)", code: .usage)
            }
            guard sslRootCert == nil || sslmode == "verify-full" else {
                throw CommandFailure(message: "--ssl-root-cert goes with --sslmode verify-full (the certificate is only used to check the server's)", code: .usage)
            }
            var target: PostgresSettings
            do { target = try PostgresSettings(url: to, tls: tls) } catch { throw CommandFailure(message: "--to: \(error)", code: .usage) }
            if let passwordFile {
                do { target.password = try PostgresSettings.password(fromFile: passwordFile) } catch {
                    throw CommandFailure(message: "cannot read --password-file \(passwordFile): \((error as NSError).localizedDescription)", code: .usage)
                }
            }
            let started = ContinuousClock.now
            let report: RegisterCopyReport
            do { report = try await RegisterCopy.copy(from: config.databasePath, to: target) } catch {
                switch error.kind {
                case .targetNotEmpty, .source: throw CommandFailure(message: error.message, code: .usage)
                case .inUse, .connection, .copy, .mismatch: throw CommandFailure(message: error.message, code: .failure)
                }
            }
            for line in report.lines { print(line) }
            let elapsed = started.duration(to: .now)
            print("in \(String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) s; now set database.url: \(target.location) in \(config.configPath) (instead of database.path) and start serve")
        }
    }
}
