import EnterpriseModel
import Foundation

/// The merged register as CSV in `RecordCSV`'s layout (so a bureau's `esync-agent record
/// import` reads it), streamed from a database cursor: one record in memory at a time.
public enum RegisterExport {
    /// Writes the header and one row per live record (of `region`, or all) through `write`, in
    /// chunks of about 1 MB; `progress(done, total)` after each chunk. Returns the rows written.
    @discardableResult
    public static func run(region: String?, database: ProvinceDatabase, write: (String) throws -> Void,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        try database.readNow { register in
            let total = try register.liveRecordCount(region: region)
            var chunk = RecordCSV.headerLine + "\r\n"
            var done = 0
            progress(0, total)
            try register.forEachLiveRecordByCode(region: region) { uscc, text in
                chunk += RecordCSV.row(for: try StoredRecord.decode(text, uscc: uscc)) + "\r\n"
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
