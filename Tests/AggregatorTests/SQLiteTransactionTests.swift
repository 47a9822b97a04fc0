@testable import Aggregator
import Foundation
import GRDB
import Testing

/// The batch writer binds values itself (not through GRDB's arguments): each kind of value must
/// arrive as given, and SQLite's refusals must come back as errors.
@Suite struct SQLiteTransactionTests {
    @Test func everyKindOfValueArrivesAsGivenAndAConstraintIsAnError() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k INTEGER PRIMARY KEY, v)")
            let register = SQLiteTransaction(db: db)
            let values: [DatabaseValue] = [
                1.databaseValue, "".databaseValue,
                2.databaseValue, DatabaseValue.null,
                3.databaseValue, "河南 \"quoted\" ~".databaseValue,
                4.databaseValue, 1.5.databaseValue,
                5.databaseValue, Data([0, 1, 2]).databaseValue,
            ]
            try register.insert("INSERT INTO t (k, v)", width: 2, values: values)
            let rows = try Row.fetchAll(db, sql: "SELECT v, typeof(v) AS type FROM t ORDER BY k")
            #expect(rows.map { $0["type"] as String } == ["text", "null", "text", "real", "blob"])
            #expect(rows[0]["v"] as String == "" && rows[2]["v"] as String == "河南 \"quoted\" ~")
            #expect(rows[3]["v"] as Double == 1.5 && rows[4]["v"] as Data == Data([0, 1, 2]))
            #expect(throws: DatabaseError.self) { try register.insert("INSERT INTO t (k, v)", width: 2, values: [1.databaseValue, "again".databaseValue]) }
            // More rows than one statement takes.
            let many = (10..<260).flatMap { [$0.databaseValue, "\($0)".databaseValue] }
            try register.insert("INSERT INTO t (k, v)", width: 2, values: many)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 255)
        }
    }
}
