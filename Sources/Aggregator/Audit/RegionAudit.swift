import GRDB
import SyncCore

/// The province's side of `esync-agent verify`: per-bucket digests of a region's live records
/// (see ``BucketDigest``), and the records of one bucket.
///
/// Hashes are computed from the stored documents (canonical JSON, so SHA-256 of the text is the
/// record's ``ContentHash``), not read from the `hash` column: a document changed in SQL behind
/// the merge's back is found too.
enum RegionAudit {
    static func summary(region: String, database: ProvinceDatabase) async throws -> RegionDigests {
        try await database.pool.read { db in
            var buckets = [[(uscc: String, hash: String)]](repeating: [], count: BucketDigest.bucketCount)
            var count = 0
            try forEachRecord(region: region, db: db) { uscc, _, hash in
                buckets[BucketDigest.bucket(of: uscc)].append((uscc, hash()))
                count += 1
            }
            return RegionDigests(region: region, records: count, buckets: buckets.enumerated().map { n, records in
                .init(bucket: n, records: records.count, digest: BucketDigest.digest(of: records))
            })
        }
    }

    static func bucket(_ bucket: Int, region: String, database: ProvinceDatabase) async throws -> BucketRecords {
        try await database.pool.read { db in
            var records: [BucketRecords.Entry] = []
            try forEachRecord(region: region, db: db) { uscc, revision, hash in
                if BucketDigest.bucket(of: uscc) == bucket { records.append(.init(uscc: uscc, hash: hash(), revision: revision)) }
            }
            return BucketRecords(region: region, bucket: bucket, records: records.sorted { $0.uscc < $1.uscc })
        }
    }

    /// Each live record of the region; `hash` hashes its document only when asked.
    static func forEachRecord(region: String, db: Database, _ body: (String, Int64, () -> String) throws -> Void) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT uscc, revision, doc FROM records WHERE region = ? AND deleted = 0"),
                                       arguments: [region])
        while let row = try rows.next() {
            try body(row["uscc"], row["revision"]) { ContentHash.of(bytes: Array((row["doc"] as String).utf8)) }
        }
    }
}
