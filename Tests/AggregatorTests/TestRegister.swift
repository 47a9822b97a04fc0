@testable import Aggregator
@testable import EndToEndSupport
import Foundation

/// The register a test opens: the SQLite file at `path`, or with `ESYNC_TEST_BACKEND=postgresql`
/// a fresh database of its own on the test process's PostgreSQL cluster.
enum TestRegister {
    /// Whether the tests run on PostgreSQL (`ESYNC_TEST_BACKEND=postgresql`).
    static var isPostgreSQL: Bool { TestBackend.current == .postgresql }

    static func open(_ path: String) async throws -> ProvinceDatabase {
        guard TestBackend.current == .postgresql else { return try ProvinceDatabase(path: path) }
        let name = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        return try await ProvinceDatabase.open(postgres: try PostgresSettings(url: try PostgresCluster.get().createDatabase(name)))
    }
}

extension ProvinceDatabase {
    /// A statement behind the storage layer's back (sqlite3 or psql, whichever the register
    /// is); returns what it prints, `|` between columns.
    @discardableResult
    func sql(_ statement: String) throws -> String {
        if location.hasPrefix("postgresql://") { return try PostgresCluster.get().psql(PostgresCluster.database(of: location), statement) }
        let result = try run("/usr/bin/sqlite3", [location, statement], in: NSTemporaryDirectory())
        guard result.status == 0 else { throw HarnessError("sqlite3: \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
