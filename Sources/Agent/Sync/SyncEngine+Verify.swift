import EnterpriseModel
import SyncCore

/// `esync-agent verify`: the audit of agreement between the store's base and the province's
/// records of the region, in one request for the bucket digests plus one per bucket that differs
/// (see `BucketDigest`).
extension SyncEngine {
    /// Compares, names every record that differs, and keeps the outcome in the state (`status`,
    /// the daemon). Reads every base: the audit does not trust the index's cached hashes.
    public func verify() throws(AgentError) -> VerifyReport {
        var local: [String: (hash: String, revision: Int64)] = [:]
        var damaged: [String: String] = [:]
        for uscc in try store.baseCodes() {
            do {
                guard let base = try store.readBase(uscc) else { continue }
                // A base that keeps an older value for a field both sides changed stands for the
                // province's version it was merged with.
                local[uscc] = (state.provinceHashes[uscc] ?? ContentHash.of(base.document), base.revision)
            } catch {
                damaged[uscc] = "\(error)"
            }
        }
        var buckets = [[(uscc: String, hash: String)]](repeating: [], count: BucketDigest.bucketCount)
        for (uscc, record) in local { buckets[BucketDigest.bucket(of: uscc)].append((uscc, record.hash)) }

        let province = try client().digests()
        guard province.buckets.count == BucketDigest.bucketCount, province.buckets.enumerated().allSatisfy({ $0.offset == $0.element.bucket }) else {
            throw .protocolError(url: try client().baseURL + "/v1/digests", reason: "expected \(BucketDigest.bucketCount) buckets in order")
        }
        var report = VerifyReport(region: config.region, at: Self.timestamp(), records: local.count, provinceRecords: province.records,
                                  buckets: BucketDigest.bucketCount, differingBuckets: 0, requests: 1, differences: [])
        for bucket in 0..<BucketDigest.bucketCount where BucketDigest.digest(of: buckets[bucket]) != province.buckets[bucket].digest {
            report.differingBuckets += 1
            report.requests += 1
            let theirs = Dictionary(try client().digestBucket(bucket).records.map { ($0.uscc, $0) }, uniquingKeysWith: { $1 })
            for uscc in Set(buckets[bucket].map(\.uscc)).union(theirs.keys).sorted() {
                if let difference = Self.difference(uscc, here: local[uscc], province: theirs[uscc], damaged: damaged[uscc], region: config.region) {
                    report.differences.append(difference)
                }
            }
        }
        state.lastVerify = .init(at: report.at, records: report.records, differing: report.differences.count, summary: report.line)
        try saveState()
        return report
    }

    static func difference(_ uscc: String, here: (hash: String, revision: Int64)?, province: BucketRecords.Entry?, damaged: String?,
                           region: String) -> VerifyReport.Difference? {
        switch (here, province) {
        case (let here?, let province?):
            guard here.hash != province.hash else { return nil }
            if province.revision > here.revision {
                return .init(uscc: uscc, kind: .newerAtProvince, revisionHere: here.revision, revisionAtProvince: province.revision,
                             note: "the province has revision \(province.revision), this store's base \(here.revision): the next pull brings it")
            }
            return .init(uscc: uscc, kind: .different, revisionHere: here.revision, revisionAtProvince: province.revision,
                         note: "revision \(province.revision) at the province, \(here.revision) here, and the content differs (hash \(province.hash.prefix(12))… there, \(here.hash.prefix(12))… here)")
        case (let here?, nil):
            return .init(uscc: uscc, kind: .missingAtProvince, revisionHere: here.revision, revisionAtProvince: nil,
                         note: "this store's base has revision \(here.revision); the province has no live record of it in region \(region)")
        case (nil, let province?):
            return .init(uscc: uscc, kind: .missingHere, revisionHere: nil, revisionAtProvince: province.revision,
                         note: damaged.map { "the province has revision \(province.revision); this store's base is damaged: \($0)" }
                            ?? "the province has revision \(province.revision); this store has no base of it")
        case (nil, nil):
            return nil
        }
    }
}
