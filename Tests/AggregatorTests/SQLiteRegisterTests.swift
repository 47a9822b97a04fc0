@testable import Aggregator
@testable import EndToEndSupport
import CSQLiteSetup
import Foundation
import GRDB
import Testing

/// How `SQLiteRegister` opens its connections.
@Suite struct SQLiteRegisterTests {
    let temporary = TemporaryFolder("sqlite-register")

    /// The writer keeps 64 MB of pages and its statement journals in memory; readers keep
    /// SQLite's defaults (2 MB, large sorts in temporary files).
    @Test func theWriterKeepsItsPagesAndStatementJournalsInMemoryAndReadersDoNot() throws {
        let database = try ProvinceDatabase(path: temporary.path + "/province.sqlite")
        let pool = try database.pool
        let writer = try pool.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA cache_size"), try Int.fetchOne(db, sql: "PRAGMA temp_store"))
        }
        #expect(writer.0 == -65536 && writer.1 == 2, "writer: cache_size \(writer.0 ?? 0), temp_store \(writer.1 ?? 0)")
        let reader = try pool.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA cache_size"), try Int.fetchOne(db, sql: "PRAGMA temp_store"))
        }
        #expect(reader.0 == -2000 && reader.1 == 0, "reader: cache_size \(reader.0 ?? 0), temp_store \(reader.1 ?? 0)")
    }

    /// The mass-change guard's sum over a region's recent change sets is read from an index:
    /// a row's answer (tens of KB, stored before the summed columns) is never walked.
    @Test func theGuardsRecentSumIsReadFromAnIndexAlone() throws {
        let database = try ProvinceDatabase(path: temporary.path + "/province.sqlite")
        let plan = try database.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteTransaction.recentlyAffectedSQL, arguments: ["410100", "2026-01-01", nil])
                .map { $0["detail"] as String }
        }
        #expect(plan == ["SEARCH changesets USING COVERING INDEX changesets_region_recent (region=? AND received_at>?)"], "\(plan)")
    }

    /// A new register's pages are 8 KB; one made before with SQLite's 4 KB keeps them (opened
    /// again, with its schema, it is the same file).
    @Test func aNewRegisterHas8KBPagesAndAnOlderOneKeepsItsOwn() throws {
        let new = try ProvinceDatabase(path: temporary.path + "/new.sqlite")
        #expect(try new.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 8192)
        #expect(try new.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        let oldPath = temporary.path + "/old.sqlite"
        let old = try DatabaseQueue(path: oldPath)
        try old.write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        try old.close()
        #expect(try DatabaseQueue(path: oldPath).read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 4096)
        _ = try? ProvinceDatabase(path: oldPath, schema: .asFound)
        #expect(try DatabaseQueue(path: oldPath).read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 4096)
    }

    /// SQLite counts no memory in this process (its statistics were turned off as it loaded, before
    /// any connection): a register written to still shows 0 bytes counted. With them on, as
    /// SQLite starts by default, the same register counts its page cache and statements.
    @Test func sqliteCountsNoMemoryInAProcessThatOpensRegisters() throws {
        #expect(SQLiteRegister.countsNoMemory)
        let database = try ProvinceDatabase(path: temporary.path + "/counted.sqlite")
        try database.pool.write { db in
            try db.execute(sql: "CREATE TABLE t (x)")
            for n in 0..<1000 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [String(repeating: "x", count: n)]) }
        }
        #expect(esync_sqlite_memory_counted() == 0)
    }
}
