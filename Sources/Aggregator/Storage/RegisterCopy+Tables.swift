import EnterpriseModel
import Foundation
import GRDB
import SyncCore

/// The tables, one by one: each table of the PostgreSQL schema is filled from the SQLite
/// table of the same name, column by column, each value converted to the column's type (0/1 to
/// a boolean, a BLOB to BYTEA…). Where the two schemas differ (see
/// `PostgresRegister.migrations`):
/// - `record_facts` is computed again from each record, as the PostgreSQL writer computes it;
/// - `designation_values.year` is the value's year, `client_certificates.position` SQLite's rowid.
/// A table or column of either side that has no counterpart stops the copy, so that a
/// schema change cannot leave something behind without a word.
extension RegisterCopy {
    /// Rows per INSERT.
    private static let batch = 500

    static func copyTables(from db: Database, to postgres: PostgresTransaction) throws -> [RegisterCopyReport.Table] {
        let sqliteTables = Set(try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
            """))
        let tables = try postgres.query("""
            SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' ORDER BY table_name
            """).map { try $0.string(0) }
        let homeless = sqliteTables.subtracting(tables).sorted()
        guard homeless.isEmpty else {
            throw RegisterCopyFailure(.copy, "the SQLite register has tables the PostgreSQL one has not: \(homeless.joined(separator: ", ")); this version cannot copy them")
        }
        var copied: [RegisterCopyReport.Table] = []
        for table in tables {
            // The rows a migration put there (the change sequence at 0, a new identity) give
            // way to the register's.
            try postgres.execute("DELETE FROM \(table)")
            let source: Int
            switch table {
            case "record_facts": source = try copyFacts(from: db, to: postgres)
            default:
                guard sqliteTables.contains(table) else {
                    throw RegisterCopyFailure(.copy, "the PostgreSQL register has a table \(table) that the SQLite one has not; this version cannot fill it")
                }
                source = try copyRows(of: table, from: db, to: postgres)
            }
            try restartIdentities(of: table, in: postgres)
            let rows = Int(try postgres.one("SELECT COUNT(*) FROM \(table)")?.int(0) ?? 0)
            copied.append(.init(name: table, source: source, copied: rows))
        }
        return copied
    }

    /// A table whose columns both sides have; returns SQLite's row count.
    private static func copyRows(of table: String, from db: Database, to postgres: PostgresTransaction) throws -> Int {
        let columns = try postgres.query("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """, [.text(table)]).map { (name: try $0.string(0), type: try $0.string(1)) }
        let sqliteColumns = Set(try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table]))
        let left = sqliteColumns.subtracting(columns.map(\.name)).sorted()
        guard left.isEmpty else {
            throw RegisterCopyFailure(.copy, "columns \(left.map { "\(table).\($0)" }.joined(separator: ", ")) of the SQLite register have no place in the PostgreSQL one")
        }
        // What each PostgreSQL column is read from.
        let sources = try columns.map { column -> String in
            switch (table, column.name) {
            case ("client_certificates", "position"): return "rowid"   // the order they were registered
            case ("designation_values", "year"): return "value"
            default:
                guard sqliteColumns.contains(column.name) else {
                    throw RegisterCopyFailure(.copy, "column \(table).\(column.name) of the PostgreSQL register has nothing to be filled from")
                }
                return "\"\(column.name)\""
            }
        }
        let head = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", ")))"
        var values: [SQLValue] = []
        var count = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT \(sources.joined(separator: ", ")) FROM \"\(table)\"")
        while let row = try rows.next() {
            for (n, column) in columns.enumerated() {
                let value = row[n] as DatabaseValue
                switch (table, column.name) {
                case ("designation_values", "value"): values.append(.text(RecordFacts.Value(value).designationText))
                case ("designation_values", "year"): values.append(SQLValue(RecordFacts.Value(value).postgresYear))
                default: values.append(try convert(value, to: column.type, at: "\(table).\(column.name)"))
                }
            }
            count += 1
            if count % batch == 0 {
                try postgres.insert(head, width: columns.count, values: values)
                values.removeAll(keepingCapacity: true)
            }
        }
        try postgres.insert(head, width: columns.count, values: values)
        return count
    }

    /// Every record's facts, as the PostgreSQL writer computes them (its integer columns hold
    /// integers only, and it keeps the computed size class); returns SQLite's row count.
    private static func copyFacts(from db: Database, to postgres: PostgresTransaction) throws -> Int {
        var values: [SQLValue] = []
        var count = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT r.uscc, r.region, r.deleted, r.doc FROM record_facts f JOIN records r ON r.uscc = f.uscc")
        while let row = try rows.next() {
            let uscc: String = row[0]
            let facts = RecordFacts(uscc: uscc, region: row[1], deleted: row[2], document: try StoredRecord.decode(row[3], uscc: uscc))
            values += facts.postgresRow
            count += 1
            if count % batch == 0 {
                try insertFacts(values, into: postgres)
                values.removeAll(keepingCapacity: true)
            }
        }
        try insertFacts(values, into: postgres)
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record_facts") ?? 0
    }

    private static func insertFacts(_ values: [SQLValue], into postgres: PostgresTransaction) throws {
        try postgres.insert("""
            INSERT INTO record_facts (uscc, region, deleted, name, size_class, status, industry, employees, revenue_yuan, above_since,
                                      srdi_year, little_giant_year, measures, revenue_warning, size_warning, computed_size_class)
            """, width: 16, values: values)
    }

    /// Identity columns go on after the highest value copied (a conflict, token or chain entry
    /// made later gets a new id, not one the copy holds).
    private static func restartIdentities(of table: String, in postgres: PostgresTransaction) throws {
        let identities = try postgres.query("""
            SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'
            """, [.text(table)]).map { try $0.string(0) }
        for column in identities {
            try postgres.execute("SELECT setval(pg_get_serial_sequence($1, $2), (SELECT COALESCE(MAX(\(column)), 0) + 1 FROM \(table)), false)",
                                 [.text(table), .text(column)])
        }
    }

    /// An SQLite value as a PostgreSQL column of `type` takes it.
    private static func convert(_ value: DatabaseValue, to type: String, at column: String) throws -> SQLValue {
        let integer = ["bigint", "integer", "smallint"].contains(type)
        switch (value.storage, type) {
        case (.null, _): return .null
        case (.int64(let i), _) where integer: return .int(i)
        case (.double(let d), _) where integer && d.rounded() == d && abs(d) < 9.2e18: return .int(Int64(d))
        case (.string(let s), _) where integer && Int64(s) != nil: return .int(Int64(s) ?? 0)
        case (.int64(let i), "boolean"): return .bool(i != 0)
        case (.int64(let i), "double precision"), (.int64(let i), "real"): return .double(Double(i))
        case (.double(let d), "double precision"), (.double(let d), "real"): return .double(d)
        case (.blob(let data), "bytea"): return .bytes(Array(data))
        case (.string(let s), "bytea"): return .bytes(Array(s.utf8))
        case (.string(let s), "text"): return .text(s)
        case (.int64(let i), "text"): return .text(String(i))
        case (.double(let d), "text"): return .text(RecordFacts.Value.real(d).designationText)
        default: break
        }
        // (Not the value itself: it may be a bureau's data or a credential's hash.)
        let kind = switch value.storage {
        case .null: "NULL"
        case .int64: "an integer"
        case .double: "a real"
        case .string: "text"
        case .blob: "a blob"
        }
        throw RegisterCopyFailure(.copy, "a row's \(column) holds \(kind) in the SQLite register, which its PostgreSQL column (\(type)) cannot take")
    }
}

extension RecordFacts.Value {
    /// A value as an SQLite column without a type holds it (`designation_values.value`).
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .text(String(decoding: data, as: UTF8.self))
        }
    }
}
