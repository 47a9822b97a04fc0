import Foundation
import Logging

/// The province's register as the services hold it: one handle over whichever backend keeps it
/// (`RegisterStore`). `ProvinceDatabase(path:)` opens the embedded SQLite file (`SQLiteRegister`),
/// the default for a small province and for `make demo`. The services see only the typed
/// operations of a `RegisterTransaction`, through `read`, `write` and `writeTimed` below.
public final class ProvinceDatabase: Sendable {
    /// The backend; only the storage layer (`Storage/`) reaches past this handle.
    let store: any RegisterStore

    /// What opening a register may do to its schema.
    public enum Schema: Sendable {
        /// Bring any older schema to this version (`esync-aggregator database migrate`, tests).
        case migrate
        /// Give a new, empty register the schema; refuse one at another version
        /// (`SchemaMismatch`) instead of migrating it behind other instances' backs. Every
        /// command and `serve` open this way.
        case current
        /// Leave the schema as found (`database migrate` looks before it migrates).
        case asFound
    }

    init(store: any RegisterStore) {
        self.store = store
    }

    /// The register in the SQLite file at `path` (made, mode 0600, when it is not there).
    public convenience init(path: String, schema: Schema = .migrate) throws {
        self.init(store: try SQLiteRegister(path: path, schema: schema))
    }

    /// The register in a PostgreSQL database (`PostgresRegister`): several aggregator instances
    /// may share it. Connects, and does to the schema what `schema` says, holding the
    /// migration lock (`pg_advisory_lock`).
    public static func open(postgres settings: PostgresSettings, schema: Schema = .migrate,
                            logger: Logger = Logger(label: "esync.postgres")) async throws -> ProvinceDatabase {
        ProvinceDatabase(store: try await PostgresRegister.open(settings, schema: schema, logger: logger))
    }

    /// Where the register is, for messages: a file's path, or a server's address (never a
    /// password).
    public var location: String { store.location }

    /// The migrations this version of the register has, in order.
    public var knownMigrations: [String] { store.knownMigrations }

    /// The migrations the register has run, in the order they ran (none for a new one).
    public func appliedMigrations() async throws -> [String] {
        try await store.appliedMigrations()
    }

    /// Brings the register to this version's schema; returns the migrations it ran.
    public func migrate() async throws -> [String] {
        try await store.migrate()
    }

    /// Lets go of the backend's connections (a server database's; the SQLite file needs no
    /// closing). The handle is not used after.
    public func close() async {
        await store.closeConnections()
    }
}

extension ProvinceDatabase {
    func read<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        try await store.read(body)
    }

    func readNow<T>(_ body: (any RegisterTransaction) throws -> T) throws -> T {
        try store.readNow(body)
    }

    func write<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> T {
        try await store.write(body)
    }

    func writeTimed<T: Sendable>(_ body: @Sendable (any RegisterTransaction) throws -> T) async throws -> (value: T, duration: Duration, cpu: Duration) {
        try await store.writeTimed(body)
    }
}

/// A register whose schema is not this version's: older (run `esync-aggregator database
/// migrate`, with every instance stopped) or written by a newer aggregator (run that one).
public struct SchemaMismatch: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var applied: [String]
    public var known: [String]

    public init(path: String, applied: [String], known: [String]) {
        self.path = path
        self.applied = applied
        self.known = known
    }

    /// Migrations this version has that the register has not run.
    public var pending: [String] { known.filter { !applied.contains($0) } }
    /// Migrations the register ran that this version does not know.
    public var unknown: [String] { applied.filter { !known.contains($0) } }

    public var description: String {
        if !unknown.isEmpty {
            return "the register at \(path) was migrated by a newer esync-aggregator (it ran \(unknown.joined(separator: ", ")), which this version does not know); run the newer version, or restore a backup taken before it"
        }
        let from = applied.last.map { "schema \($0)" } ?? "no schema"
        return "the register at \(path) has \(from); this esync-aggregator needs \(known.last ?? "?") (\(pending.count) migration\(pending.count == 1 ? "" : "s") to run: \(pending.joined(separator: ", "))). Stop every esync-aggregator that uses it, run `esync-aggregator database migrate`, then start them again; an instance does not migrate by itself, so that two never race to"
    }
}

