import Aggregator
import ArgumentParser
import CommandSupport
import Foundation

/// `esync-aggregator backup [take] FILE | --into DIR [--keep N]` and `backup verify FILE`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Takes a backup of the register while serve goes on, or checks one.",
        discussion: """
            A backup is the register (database.path) as one committed state, copied with SQLite's online backup \
            while serve keeps answering, with a manifest (the register's identity and generation, each region's live \
            records and digest, the change sequence), gzip-compressed: gunzip and sqlite3 open it too. `restore` puts \
            one back. Deploy/esync-aggregator-backup.timer takes one every night with --into and --keep.
            """,
        subcommands: [Take.self, Verify.self],
        defaultSubcommand: Take.self
    )

    struct Take: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes a backup of the register to FILE, or into DIR under a name with the time.",
            discussion: """
                Prints what the backup holds. FILE must not exist. With --into DIR the backup is named \
                register-YYYYMMDDTHHMMSSZ.sqlite.gz, and --keep N then removes all but the newest N backups so named \
                in DIR. The uncompressed copy is made next to the backup (--scratch DIR to put it elsewhere) and \
                removed; a backup cut short leaves no file under the backup's name. Exit 0; 1 when it could not \
                be taken; 2 when the register is on PostgreSQL (database.url), which is backed up with its own tools \
                (pg_dump, pg_basebackup).
                """
        )

        @OptionGroup var options: ConfigOption
        @Argument(help: "The backup file to write (for example province-2026-12-05.sqlite.gz).") var file: String?
        @Option(help: "Write the backup into this folder, named with the time it was taken.") var into: String?
        @Option(help: "With --into: keep only the newest N backups in the folder.") var keep: Int?
        @Option(help: "The folder for the uncompressed copy (default: the backup's folder).") var scratch: String?

        func validate() throws {
            guard (file == nil) != (into == nil) else { throw ValidationError("give either FILE or --into DIR") }
            if let keep {
                guard into != nil else { throw ValidationError("--keep goes with --into DIR") }
                guard keep >= 1 else { throw ValidationError("--keep must be at least 1, found \(keep)") }
            }
        }

        func run() async throws {
            try await reporting {
                try refuseOnPostgreSQL(try await options.load(), "backup")
                let (_, database) = try await options.open()
                let target = file ?? (into! + "/" + RegisterBackup.fileName())
                let started = ContinuousClock.now
                let taken: (manifest: BackupManifest, bytes: Int64)
                do { taken = try RegisterBackup.take(database, to: target, scratch: scratch) } catch let failure as BackupFailure {
                    throw CommandFailure(message: "backup of \(database.location) not taken: \(failure)", code: .failure)
                }
                let elapsed = started.duration(to: .now)
                print("backup \(target): \(taken.bytes) bytes in \(String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) s")
                for line in taken.manifest.lines { print(line) }
                if let into, let keep {
                    for old in RegisterBackup.backups(in: into).dropFirst(keep) {
                        do {
                            try FileManager.default.removeItem(atPath: old)
                            print("removed \(old) (keeping the newest \(keep))")
                        } catch {
                            StandardError.write("esync-aggregator: cannot remove the old backup \(old): \(error)")
                        }
                    }
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Checks that a backup is whole and holds what its manifest says.",
            discussion: """
                Decompresses the backup (next to it, or in --scratch DIR), runs SQLite's integrity check and computes \
                every region's digest again. Exit 0 and prints the manifest when it holds; exit 1 naming what is wrong \
                (not a backup, cut short, changed, or not what its manifest says).
                """
        )

        // (Read by no step of the check; every command takes it.)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The backup file.") var file: String
        @Option(help: "The folder for the uncompressed copy (default: the backup's folder).") var scratch: String?

        func run() async throws {
            try await reporting {
                let manifest: BackupManifest
                do { manifest = try RegisterBackup.verify(file, scratch: scratch) } catch let failure as BackupFailure {
                    throw CommandFailure(message: "backup \(failure)", code: .failure)
                }
                print("backup \(file) verified")
                for line in manifest.lines { print(line) }
            }
        }
    }
}

/// `backup` and `restore` work on the embedded register's file; a register on PostgreSQL has
/// the database's own tools, which know its replication and WAL. Refused (exit 2) from the
/// config alone, before anything is opened or written.
func refuseOnPostgreSQL(_ config: AggregatorConfig, _ command: String) throws {
    guard let postgres = config.postgres else { return }
    throw CommandFailure(message: """
        `esync-aggregator \(command)` is for the embedded SQLite register (database.path); this register is on PostgreSQL \
        (\(postgres.location), database.url). Use PostgreSQL's own tools: pg_dump -Fc and pg_restore for a copy, \
        pg_basebackup with WAL archiving for a point-in-time restore (see docs/operations.md)
        """, code: .usage)
}
