import Foundation
import GRDB
import Logging
import PostgresNIO

/// `esync-aggregator database copy --to postgresql://…`: a province that outgrows its embedded
/// register moves it into PostgreSQL.
///
/// The SQLite register is copied, every table of it (records, history, conflicts,
/// applied and held change sets, tokens, certificates and keys, chains, store epochs, the
/// register's identity, the change sequence and clock, the report's facts and totals), into an
/// empty PostgreSQL database, in one transaction that commits only once the copy is checked:
/// every table's rows counted on both sides, and the register's summary (`BackupManifest`:
/// its identity, change sequence and each region's live records and digest, the digests
/// `esync-agent verify` compares) equal. After the commit the copy is opened as `serve` opens
/// it and the regions' digests are computed again.
///
/// For example:
///
///     let report = try await RegisterCopy.copy(from: "/var/lib/esync/province.sqlite", to: settings)
///     report.lines.forEach { print($0) }
///
/// The SQLite register must not be in use (the users lock, as a restore takes it): what `serve`
/// took after the copy would be left behind.
public enum RegisterCopy {
    public static func copy(from path: String, to target: PostgresSettings,
                            logger: Logger = Logger(label: "esync.copy")) async throws(RegisterCopyFailure) -> RegisterCopyReport {
        let report: RegisterCopyReport
        do {
            report = try copyNow(from: path, to: target, logger: logger)
        } catch let failure as RegisterCopyFailure {
            throw failure
        } catch {
            throw RegisterCopyFailure(.copy, "the copy into \(target.location) failed and was rolled back (the database is left empty): \(error)")
        }
        do {
            try await checkAsServed(target, expecting: report.summary, logger: logger)
        } catch let failure as RegisterCopyFailure {
            throw failure
        } catch {
            throw RegisterCopyFailure(.mismatch, "the copy in \(target.location) was committed but cannot be read back as a register: \(error)")
        }
        return report
    }

    /// Copies and checks in one PostgreSQL transaction, waiting for each statement on the
    /// calling thread (a command line's).
    private static func copyNow(from path: String, to target: PostgresSettings, logger: Logger) throws -> RegisterCopyReport {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RegisterCopyFailure(.source, "no register at \(path) (database.path)")
        }
        guard let lock = try SQLiteRegister.lockUsers(path, exclusive: true) else {
            throw RegisterCopyFailure(.inUse, "the register at \(path) is open in another esync-aggregator (serve or a command): stop it first, so that nothing it takes after the copy is left behind")
        }
        defer { close(lock) }
        let applied = try SQLiteRegister.appliedMigrations(path)
        guard applied == SQLiteRegister.migrationIdentifiers else {
            throw RegisterCopyFailure(.source, SchemaMismatch(path: path, applied: applied, known: SQLiteRegister.migrationIdentifiers).description)
        }
        let connection: PostgresConnection
        do { connection = try NowSession.connect(target, logger: logger) } catch {
            throw RegisterCopyFailure(.connection, "\(error)")
        }
        defer { try? connection.close().wait() }
        let postgres = PostgresTransaction(connection: connection, logger: logger, locking: true)
        let found = try postgres.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")
            .map { try $0.string(0) }
        guard found.isEmpty else {
            throw RegisterCopyFailure(.targetNotEmpty, """
                \(target.location) is not empty: it has \(found.count) table\(found.count == 1 ? "" : "s") (\(found.prefix(6).joined(separator: ", "))\(found.count > 6 ? ", …" : "")). \
                The copy goes only into an empty database, so that two registers are never mixed: create one (CREATE DATABASE … OWNER …) and copy into it
                """)
        }
        try postgres.execute("SET statement_timeout = 0")   // a copy's statements take what they take
        try postgres.execute("START TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE")
        do {
            try postgres.execute(PostgresRegister.migrationsTable)
            for (n, migration) in PostgresRegister.migrations.enumerated() { try PostgresRegister.apply(migration, position: n + 1, in: postgres) }
            let report = try SQLiteRegister.onFile(path, readOnly: true) { db in
                var report: RegisterCopyReport?
                try db.inTransaction(.deferred) {
                    let tables = try copyTables(from: db, to: postgres)
                    let summary = try BackupManifest.summarizing(SQLiteTransaction(db: db), schema: applied.last ?? "", takenAt: "")
                    report = RegisterCopyReport(source: path, target: target.location, tables: tables, summary: summary)
                    return .rollback
                }
                guard let report else { throw RegisterCopyFailure(.copy, "the read of \(path) ended without its result") }
                return report
            }
            for table in report.tables where table.copied != table.source {
                throw RegisterCopyFailure(.mismatch, "table \(table.name): \(table.source) rows in \(path), \(table.copied) in the copy")
            }
            let copied = try BackupManifest.summarizing(postgres, schema: "", takenAt: "")
            try compare(report.summary, copied, path: path, target: target.location)
            try postgres.execute("COMMIT")
            return report
        } catch var failure as RegisterCopyFailure {
            _ = try? postgres.execute("ROLLBACK")
            failure.message += "; rolled back: the database is left empty"
            throw failure
        } catch {
            _ = try? postgres.execute("ROLLBACK")
            throw error
        }
    }

    /// The copy as an instance opens it (`.current`: at this version's schema), its regions'
    /// digests computed again through the register's own reads.
    private static func checkAsServed(_ target: PostgresSettings, expecting summary: BackupManifest, logger: Logger) async throws {
        let database = try await ProvinceDatabase.open(postgres: target, schema: .current, logger: logger)
        do {
            let served = try await database.read { try BackupManifest.summarizing($0, schema: "", takenAt: "") }
            await database.close()
            try compare(summary, served, path: "the SQLite register", target: target.location)
        } catch {
            await database.close()
            throw error
        }
    }

    /// The register's identity, change sequence and each region's records and digest must be
    /// the same in both; the differences are named.
    private static func compare(_ source: BackupManifest, _ copy: BackupManifest, path: String, target: String) throws {
        var differences: [String] = []
        if source.identity != copy.identity { differences.append("the register's identity") }
        if source.lastSeq != copy.lastSeq { differences.append("the change sequence (\(source.lastSeq) against \(copy.lastSeq))") }
        let regions = Set(source.regions.keys).union(copy.regions.keys).sorted().filter { source.regions[$0] != copy.regions[$0] }
        if !regions.isEmpty { differences.append("regions \(regions.joined(separator: ", "))") }
        guard differences.isEmpty else {
            throw RegisterCopyFailure(.mismatch, "the copy in \(target) does not hold what \(path) holds: \(differences.joined(separator: "; ")) differ")
        }
    }
}

/// What `database copy` copied and checked.
public struct RegisterCopyReport: Sendable {
    public struct Table: Sendable {
        public var name: String
        /// Rows in the SQLite register.
        public var source: Int
        /// Rows in the copy, counted after writing them.
        public var copied: Int
    }

    public var source: String
    public var target: String
    public var tables: [Table]
    /// The register as both sides hold it (identity, change sequence, regions' digests).
    public var summary: BackupManifest

    /// For a person: each table, each region, then what was done.
    public var lines: [String] {
        var lines = tables.map { "  \($0.name)\t\($0.copied) rows" }
        lines += summary.lines.dropFirst().dropLast()
        lines.append("copied the register at \(source) into \(target) and verified it: \(tables.count) tables, \(tables.reduce(0) { $0 + $1.copied }) rows; "
                     + "\(summary.regions.count) regions, \(summary.records) live records, change sequence at \(summary.lastSeq), the same digests on both sides")
        return lines
    }
}

/// A copy that did not happen or did not verify, and why. Nothing is left in the PostgreSQL
/// database unless the failure says it was committed.
public struct RegisterCopyFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// No SQLite register there, or one at another schema version.
        case source
        /// `serve` or another command has the SQLite register open.
        case inUse
        /// The PostgreSQL database has tables already.
        case targetNotEmpty
        /// PostgreSQL could not be reached or refused the login.
        case connection
        /// A statement failed (rolled back).
        case copy
        /// The copy does not hold what the register holds.
        case mismatch
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
