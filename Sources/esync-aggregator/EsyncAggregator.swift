import ArgumentParser
import CommandSupport
import SyncCore

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
        subcommands: [
            ServeCommand.self, TokenCommand.self, CertCommand.self, RecordsCommand.self, ConflictsCommand.self, DesignationsCommand.self,
            ChangeSetsCommand.self, RegionsCommand.self, ReportCommand.self, DatabaseCommand.self, BackupCommand.self, RestoreCommand.self,
        ]
    )

    static func main() async { await mainWithDocumentedExitCodes() }
}
