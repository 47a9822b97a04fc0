import EnterpriseModel

/// What `esync-agent verify` found: whether the store's base (what the province last
/// acknowledged) and the province's records of the region agree, and every record where not.
public struct VerifyReport: Encodable, Sendable {
    public enum Kind: String, Encodable, Sendable {
        /// Same revision, different content: one side changed without the other knowing.
        case different
        /// The province holds a later revision: the next pull brings it.
        case newerAtProvince = "newer-at-province"
        /// The store's base has it; the province has no live record of it in the region.
        case missingAtProvince = "missing-at-province"
        /// The province has it; the store has no base of it (or a damaged one).
        case missingHere = "missing-here"
    }

    public struct Difference: Encodable, Sendable {
        public var uscc: String
        public var kind: Kind
        /// The revision in the store's base, and at the province.
        public var revisionHere: Int64?
        public var revisionAtProvince: Int64?
        public var note: String
    }

    public var region: String
    public var at: String
    /// Records in the store's base, and live at the province.
    public var records: Int
    public var provinceRecords: Int
    public var buckets: Int
    public var differingBuckets: Int
    /// Requests to the province: one for the digests, one per bucket that differs.
    public var requests: Int
    public var differences: [Difference]

    public var agree: Bool { differences.isEmpty }

    /// One line, for the daemon's STATUS= and the state.
    public var line: String {
        agree
            ? "agree: \(plural(records, "record")) in \(plural(buckets, "bucket")) (\(plural(requests, "request")))"
            : "\(plural(differences.count, "record")) \(differences.count == 1 ? "DIFFERS" : "DIFFER") (\(differingBuckets) of \(plural(buckets, "bucket")); \(records) here, \(provinceRecords) at the province)"
    }

    public var text: String {
        var lines = ["verify region \(region) \(Regions.region(code: region)?.name ?? ""), \(at): \(line)"]
        for d in differences {
            lines.append("  \(d.kind.rawValue.padding(19)) \(d.uscc)  \(d.note)")
        }
        return lines.joined(separator: "\n")
    }
}
