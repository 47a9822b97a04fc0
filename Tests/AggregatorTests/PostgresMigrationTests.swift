@testable import Aggregator
@testable import EndToEndSupport
import Foundation
import Logging
import SyncCore
import Testing

/// The PostgreSQL register's migrations run on data, as SQLite's do (`MigrationTests`): a
/// database built at an older schema with rows in it, migrated to the latest, keeps what it held.
@Suite struct PostgresMigrationTests {
    static let needsCluster: Comment = "needs PostgreSQL's server binaries (apt-get install postgresql-15)"

    /// pg3-provenance-from-history: the provenance table's clocks move to the history rows of
    /// the revisions that wrote them, the table goes, and each field's provenance read from the
    /// history is what the table said.
    @Test(.enabled(if: PostgresCluster.installed, needsCluster))
    func provenanceMovesIntoTheHistory() throws {
        let cluster = try PostgresCluster.get()
        let settings = try PostgresSettings(url: try cluster.createDatabase("migrate-provenance"))
        let logger = Logger(label: "test")
        let connection = try NowSession.connect(settings, logger: logger)
        defer { try? connection.close().wait() }
        let db = PostgresTransaction(connection: connection, logger: logger, locking: false)
        try db.execute(PostgresRegister.migrationsTable)
        let before = PostgresRegister.migrations.prefix { $0.identifier != "pg3-provenance-from-history" }
        #expect(before.map(\.identifier) == ["pg1-register", "pg2-register-identity"])
        for (n, migration) in before.enumerated() { try PostgresRegister.apply(migration, position: n + 1, in: db) }

        // A record created (revision 1, clock c1), its name edited (2, c2), its employees (3, no clock).
        let uscc = "91410100MA0000001X"
        let (c1, c2) = ("1795763524123.0000@410100", "1795763529000.0002@410100")
        try db.execute("INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at) VALUES ($1, '410100', 3, 3, FALSE, '{}', 'h', 't')",
                       [.text(uscc)])
        for (revision, op, changes) in [(1, "create", "{\"name\":\"甲\",\"employees\":1}"), (2, "update", "{\"name\":[\"甲\",\"乙\"]}"),
                                        (3, "update", "{\"employees\":[1,2]}")] {
            try db.execute("INSERT INTO history (uscc, revision, seq, source, changeset, at, op, changes) VALUES ($1, $2, $2, $3, $4, $5, $6, $7)",
                           [.text(uscc), .int(Int64(revision)), .text("bureau:410100"), .text("cs-\(revision)"), .text("at-\(revision)"), .text(op), .text(changes)])
        }
        for (field, revision, clock) in [("~*", 1, c1), ("name", 2, c2), ("employees", 3, nil)] as [(String, Int, String?)] {
            try db.execute("INSERT INTO provenance (uscc, field, source, changeset, at, revision, clock) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           [.text(uscc), .text(field), .text("bureau:410100"), .text("cs-\(revision)"), .text("at-\(revision)"), .int(Int64(revision)), SQLValue(clock)])
        }

        #expect(try PostgresRegister.runMigrations(db, location: settings.location) == ["pg3-provenance-from-history"])
        let clocks = try db.query("SELECT revision, clock FROM history ORDER BY revision").map { (try $0.int(0), try $0.optionalString(1)) }
        #expect(clocks.map(\.0) == [1, 2, 3])
        #expect(clocks.map(\.1) == [c1, c2, nil])
        #expect(try db.one("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'provenance'")?.int(0) == 0)

        let provenance = try db.provenance(of: uscc)
        #expect(provenance.keys.sorted() == ["employees", "name", "~*"])
        #expect(provenance["~*"]?.revision == 1 && provenance["~*"]?.clock?.description == c1)
        #expect(provenance["name"]?.revision == 2 && provenance["name"]?.clock?.description == c2 && provenance["name"]?.changeSet == "cs-2")
        #expect(provenance["employees"]?.revision == 3 && provenance["employees"]?.clock == nil)
        #expect(try db.fieldClocks(uscc).mapValues(\.description) == ["~*": c1, "name": c2])
    }
}
