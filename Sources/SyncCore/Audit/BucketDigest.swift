import Crypto
import Foundation

/// The audit of agreement between a bureau's base and the province's records of its region
/// (`esync-agent verify`): both ends sort their records into 256 buckets by the first byte of
/// SHA-256 of the credit code and digest each bucket, so a comparison costs one request for the
/// digests plus one per bucket that differs, whatever the size of the region.
///
/// For example, both ends compute, for the records they hold:
///
/// ```swift
/// let buckets = BucketDigest.digests(of: records.map { ($0.uscc, ContentHash.of($0.document)) })
/// ```
///
/// and compare `buckets[n]`; a record's hash is its ``ContentHash`` (the same identity the sync
/// uses for echoes and delete requests).
public enum BucketDigest {
    public static let bucketCount = 256

    /// The bucket of a credit code: the first byte of SHA-256 of its characters.
    public static func bucket(of uscc: String) -> Int {
        SHA256.hash(data: Array(uscc.utf8)).withUnsafeBytes { Int($0[0]) }
    }

    /// The digest of one bucket: SHA-256 over `uscc SP hash LF` for each record, sorted by credit
    /// code, in lower-case hex. An empty bucket digests the empty string.
    public static func digest(of records: some Sequence<(uscc: String, hash: String)>) -> String {
        var hasher = SHA256()
        for record in records.sorted(by: { $0.uscc < $1.uscc }) {
            hasher.update(data: Array("\(record.uscc) \(record.hash)\n".utf8))
        }
        return ContentHash.hex(hasher.finalize())
    }

    /// Every bucket's digest, indexed by bucket.
    public static func digests(of records: some Sequence<(uscc: String, hash: String)>) -> [String] {
        var buckets = [[(uscc: String, hash: String)]](repeating: [], count: bucketCount)
        for record in records { buckets[bucket(of: record.uscc)].append(record) }
        return buckets.map { digest(of: $0) }
    }
}

/// `GET /v1/digests?region=R`: the province's digest of each bucket of a region's live records.
public struct RegionDigests: Sendable, Hashable, Codable {
    public struct Bucket: Sendable, Hashable, Codable {
        public var bucket: Int
        public var records: Int
        public var digest: String

        public init(bucket: Int, records: Int, digest: String) {
            self.bucket = bucket
            self.records = records
            self.digest = digest
        }
    }

    public var format: Int
    public var region: String
    public var records: Int
    /// All 256, in bucket order.
    public var buckets: [Bucket]

    public init(region: String, records: Int, buckets: [Bucket]) {
        format = WireFormat.version
        self.region = region
        self.records = records
        self.buckets = buckets
    }
}

/// `GET /v1/digests?region=R&bucket=N`: the records of one bucket with their content hash and
/// revision, sorted by credit code.
public struct BucketRecords: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var uscc: String
        public var hash: String
        public var revision: Int64

        public init(uscc: String, hash: String, revision: Int64) {
            self.uscc = uscc
            self.hash = hash
            self.revision = revision
        }
    }

    public var format: Int
    public var region: String
    public var bucket: Int
    public var records: [Entry]

    public init(region: String, bucket: Int, records: [Entry]) {
        format = WireFormat.version
        self.region = region
        self.bucket = bucket
        self.records = records
    }
}
