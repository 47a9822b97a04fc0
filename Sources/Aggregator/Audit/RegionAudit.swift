import SyncCore

/// The province's side of `esync-agent verify`: per-bucket digests of a region's live records
/// (see ``BucketDigest``), and the records of one bucket.
///
/// Hashes are computed from the stored documents (canonical JSON, so SHA-256 of the text is the
/// record's ``ContentHash``), not read from the `hash` column: a document changed in SQL behind
/// the merge's back is found too.
enum RegionAudit {
    static func summary(region: String, database: ProvinceDatabase) async throws -> RegionDigests {
        try await database.read { register in try digests(region: region, register: register) }
    }

    /// A region's digests as one transaction sees it (a backup's manifest digests its copy).
    static func digests(region: String, register: any RegisterTransaction) throws -> RegionDigests {
        var buckets = [[(uscc: String, hash: String)]](repeating: [], count: BucketDigest.bucketCount)
        var count = 0
        try register.forEachLiveRecord(region: region) { uscc, _, document in
            buckets[BucketDigest.bucket(of: uscc)].append((uscc, ContentHash.of(bytes: Array(document.utf8))))
            count += 1
        }
        return RegionDigests(region: region, records: count, buckets: buckets.enumerated().map { n, records in
            .init(bucket: n, records: records.count, digest: BucketDigest.digest(of: records))
        })
    }

    static func bucket(_ bucket: Int, region: String, database: ProvinceDatabase) async throws -> BucketRecords {
        try await database.read { register in
            var records: [BucketRecords.Entry] = []
            try register.forEachLiveRecord(region: region) { uscc, revision, document in
                if BucketDigest.bucket(of: uscc) == bucket { records.append(.init(uscc: uscc, hash: ContentHash.of(bytes: Array(document.utf8)), revision: revision)) }
            }
            return BucketRecords(region: region, bucket: bucket, records: records.sorted { $0.uscc < $1.uscc })
        }
    }
}
