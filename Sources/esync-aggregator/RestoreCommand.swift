import Aggregator
import ArgumentParser
import CommandSupport
import Foundation

/// `esync-aggregator restore FILE [--force]`.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Puts the register back from a backup (the service stopped).",
        discussion: """
            Checks the backup as `backup verify` does, then makes it the register at database.path with a new \
            generation, so that bureaus' agents can tell the province went back in time. Refused while any \
            esync-aggregator (serve or a command) has the register open: stop the service first. A register already \
            at database.path is replaced only with --force, and kept beside it as PATH.before-restore-TIME. Exit 0; \
            1 when the backup is damaged or the register is in use; 2 when a register is there and --force was not given, \
            or when the register is on PostgreSQL (database.url: restore it with PostgreSQL's own tools).
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: "The backup file.") var file: String
    @Flag(help: "Replace the register at database.path (it is kept as PATH.before-restore-TIME).") var force = false
    @Option(help: "The folder for the uncompressed copy (default: the register's folder).") var scratch: String?

    func run() async throws {
        try await reporting {
            let config = try await options.load()
            try refuseOnPostgreSQL(config, "restore")
            let restored: (manifest: BackupManifest, identity: RegisterIdentity, keptAs: String?)
            do { restored = try RegisterBackup.restore(file, to: config.databasePath, force: force, scratch: scratch) } catch let failure as BackupFailure {
                throw CommandFailure(message: "not restored: \(failure)", code: failure.kind == .exists ? .usage : .failure)
            }
            if let keptAs = restored.keptAs { print("the register that was at \(config.databasePath) is kept as \(keptAs)") }
            print("restored \(config.databasePath) from \(file)")
            for line in restored.manifest.lines { print(line) }
            print("the register's generation is now \(restored.identity.generation) (it was \(restored.manifest.identity.generation) when the backup was taken)")
        }
    }
}
