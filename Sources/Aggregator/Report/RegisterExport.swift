import EnterpriseModel
import Foundation
import GRDB

/// The merged register as CSV in `RecordCSV`'s layout (so a bureau's `esync-agent record
/// import` reads it), streamed from a database cursor: one record in memory at a time.
public enum RegisterExport {
    /// Writes the header and one row per live record (of `region`, or all) through `write`, in
    /// chunks of about 1 MB; `progress(done, total)` after each chunk. Returns the rows written.
    @discardableResult
    public static func run(region: String?, database: ProvinceDatabase, write: (String) throws -> Void,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        try database.pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records WHERE deleted = 0 AND (:region IS NULL OR region = :region)",
                                         arguments: ["region": region]) ?? 0
            let rows = try Row.fetchCursor(db, sql: "SELECT uscc, doc FROM records WHERE deleted = 0 AND (:region IS NULL OR region = :region) ORDER BY uscc",
                                           arguments: ["region": region])
            var chunk = RecordCSV.headerLine + "\r\n"
            var done = 0
            progress(0, total)
            while let row = try rows.next() {
                let uscc: String = row[0]
                chunk += RecordCSV.row(for: try StoredRecord.decode(row[1], uscc: uscc)) + "\r\n"
                done += 1
                if chunk.utf8.count >= 1 << 20 {
                    try write(chunk)
                    chunk = ""
                    progress(done, total)
                }
            }
            try write(chunk)
            progress(done, total)
            return done
        }
    }
}
