@testable import Aggregator
import GRDB

struct NotSQLite: Error, CustomStringConvertible {
    var location: String
    var description: String { "the register at \(location) is not an SQLite file; this test looks at SQLite's tables" }
}

extension ProvinceDatabase {
    /// The SQLite register's connections, for a test that looks at its tables behind the
    /// storage layer's back.
    var pool: DatabasePool {
        get throws {
            guard let sqlite = store as? SQLiteRegister else { throw NotSQLite(location: location) }
            return sqlite.pool
        }
    }
}
