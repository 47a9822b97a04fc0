import EnterpriseModel
import Foundation
import Spreadsheet

/// The merged register in `RecordCSV`'s layout (so a bureau's `esync-agent record import`
/// reads it), as CSV or as an xlsx workbook (`RecordWorkbook`), read from a database cursor:
/// one record in memory at a time for CSV; a workbook keeps its sheet's XML (about 600 bytes
/// a record) until it is zipped.
public enum RegisterExport {
    /// Writes the header and one row per live record (of `region`, or all) through `write`, in
    /// chunks of about 1 MB; `progress(done, total)` after each chunk. Returns the rows written.
    @discardableResult
    public static func run(region: String?, database: ProvinceDatabase, write: (String) throws -> Void,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        var chunk = RecordCSV.headerLine + "\r\n"
        let done = try eachRecord(region: region, database: database, progress: progress) { document in
            chunk += RecordCSV.row(for: document) + "\r\n"
            guard chunk.utf8.count >= 1 << 20 else { return false }
            try write(chunk)
            chunk = ""
            return true
        }
        try write(chunk)
        return done
    }

    /// The live records (of `region`, or all) as an xlsx workbook, and how many rows it has.
    public static func workbook(region: String?, database: ProvinceDatabase,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> (workbook: Data, count: Int) {
        var writer = RecordWorkbook.recordWriter()
        let done = try eachRecord(region: region, database: database, progress: progress) { document in
            writer.append(RecordCSV.cells(for: document))
            return writer.rowCount % 1_000 == 0
        }
        return (try writer.data(), done)
    }

    /// Calls `body` with each live record in credit-code order; `progress` at the start, the
    /// end, and whenever `body` returns true. Returns the records seen.
    private static func eachRecord(region: String?, database: ProvinceDatabase, progress: (Int, Int) -> Void,
                                   _ body: (JSONValue) throws -> Bool) throws -> Int {
        try database.readNow { register in
            let total = try register.liveRecordCount(region: region)
            var done = 0
            progress(0, total)
            try register.forEachLiveRecordByCode(region: region) { uscc, text in
                done += 1
                if try body(try StoredRecord.decode(text, uscc: uscc)) { progress(done, total) }
            }
            progress(done, total)
            return done
        }
    }
}
