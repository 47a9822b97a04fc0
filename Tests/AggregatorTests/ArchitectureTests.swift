import Foundation
import Testing

/// One storage layer owns the register (issue 15): every table, statement and migration of the
/// aggregator is under `Sources/Aggregator/Storage/`, and nothing else reaches the database:
/// neither SQLite's (GRDB) nor PostgreSQL's (PostgresNIO).
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sources(_ folder: String) throws -> [(path: String, text: String)] {
        let base = root.appendingPathComponent(folder)
        let files = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        return try files.sorted().map { ("\(folder)/\($0)", try String(contentsOf: base.appendingPathComponent($0), encoding: .utf8)) }
    }

    @Test func onlyTheStorageLayerReachesTheDatabase() throws {
        let files = try Self.sources("Sources/Aggregator") + Self.sources("Sources/esync-aggregator")
        #expect(files.count > 50)
        let outside = files.filter { !$0.path.hasPrefix("Sources/Aggregator/Storage/") }
        let database = outside.filter { file in
            file.text.contains("import GRDB") || file.text.contains("import PostgresNIO") || file.text.contains(".pool.") || file.text.range(of: #"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b"#, options: .regularExpression) != nil
        }
        #expect(database.map(\.path) == [], "these files reach the database outside Sources/Aggregator/Storage")
        #expect(files.contains { $0.path.hasPrefix("Sources/Aggregator/Storage/SQLite/") && $0.text.contains("import GRDB") })
        #expect(files.contains { $0.path.hasPrefix("Sources/Aggregator/Storage/PostgreSQL/") && $0.text.contains("import PostgresNIO") })
    }
}
