import EnterpriseModel
import Foundation
import SyncCore

/// `esync-aggregator changesets verify`: every change set in the province's log checked again —
/// its signature over the stored signed bytes, their hash, that they are the change set the log
/// says (id, region, `previous`, signer), and each token's chain from one change set to the next.
/// With `records get` (each field's change set and signer) it shows which bureau's key asserted
/// which value, and when the province received it.
public struct ChainAudit: Sendable, Encodable {
    public struct Region: Sendable, Encodable {
        public var region: String
        public var changeSets = 0
        public var signed = 0
        public var unsigned = 0
        /// Change sets applied before the province kept the log (counted, nothing to check).
        public var beforeLog = 0
        public var chainStarts: [Finding] = []
        public var problems: [Finding] = []
    }

    public struct Finding: Sendable, Encodable {
        public var changeSet: String
        public var receivedAt: String
        public var text: String
    }

    /// One logged change set, checked on its own.
    public struct Entry: Sendable {
        public var id: String
        public var region: String
        public var receivedAt: String
        public var hash: String
        public var previous: String?
        public var signer: String?
        public var chainStart: String?
        /// The change set as the bureau signed it (without its signature), when signed.
        public var signed: JSONValue?
        /// What does not hold (empty: the signature verifies and the bytes are what the log says).
        public var problems: [String]
    }

    public var regions: [Region]
    public var problems: Int { regions.reduce(0) { $0 + $1.problems.count } }

    public static func run(region: String?, database: ProvinceDatabase) async throws -> ChainAudit {
        try await database.read { register in
            var regions: [String: Region] = [:]
            var heads: [String: String] = [:]
            try register.forEachLink(region: region) { row in
                let entry = check(row)
                var summary = regions[entry.region] ?? Region(region: entry.region)
                summary.changeSets += 1
                if entry.signer == nil { summary.unsigned += 1 } else { summary.signed += 1 }
                var problems = entry.problems
                // Each token or certificate with a key keeps its own chain.
                let holder: String? = row.certificate.map { "c:" + $0 } ?? row.token.map { "t:\($0)" }
                if let token = holder, entry.signer != nil {
                    if let start = entry.chainStart {
                        summary.chainStarts.append(Finding(changeSet: entry.id, receivedAt: entry.receivedAt, text: start))
                    } else if let head = heads[token], entry.previous != head {
                        problems.append("breaks its token's chain: it names \(Self.short(entry.previous)) as previous, the change set before it has hash \(Self.short(head))")
                    } else if heads[token] == nil {
                        problems.append("follows a change set missing from the log (previous \(Self.short(entry.previous)))")
                    }
                }
                if let holder { heads[holder] = entry.hash }
                summary.problems += problems.map { Finding(changeSet: entry.id, receivedAt: entry.receivedAt, text: $0) }
                regions[entry.region] = summary
            }
            for (code, count) in try register.changeSetsBeforeLog(region: region) {
                regions[code, default: Region(region: code)].beforeLog = count
            }
            return ChainAudit(regions: regions.values.sorted { $0.region < $1.region })
        }
    }

    /// One logged change set with its checks, or nil when the log has no such id.
    public static func entry(_ id: String, database: ProvinceDatabase) async throws -> Entry? {
        try await database.read { register in try register.link(id: id).map(check) }
    }

    static func check(_ row: ChainLink) -> Entry {
        var entry = Entry(id: row.id, region: row.region, receivedAt: row.receivedAt, hash: row.hash, previous: row.previous,
                          signer: row.signer, chainStart: row.chainStart, problems: [])
        guard let signer = entry.signer else { return entry }
        guard let bytes = row.signed, let signature = row.signature,
              let key = row.publicKey.flatMap({ try? PublicSigningKey(base64: $0) })
        else {
            entry.problems.append("signed by \(signer), but the log lacks its signed bytes, signature or key")
            return entry
        }
        let seal = ChangeSetSeal(signedBytes: bytes)
        guard let json = try? JSONValue.parse(seal.signedBytes), var changeSet = try? ChangeSet(json: json, path: "") else {
            entry.problems.append("its signed bytes are not a change set")
            return entry
        }
        entry.signed = json
        changeSet.signature = signature
        if seal.hash != entry.hash { entry.problems.append("its signed bytes do not have the hash the log keeps (\(short(entry.hash)))") }
        if key.fingerprint != signer { entry.problems.append("the log names key \(signer), but keeps key \(key.fingerprint)") }
        if !key.verifies(changeSet, seal) { entry.problems.append("the signature does not verify with key \(key.fingerprint): the signed bytes or the signature were changed") }
        if changeSet.id != entry.id || changeSet.region != entry.region || changeSet.previous != entry.previous || changeSet.signer != signer {
            entry.problems.append("the signed change set (id \(changeSet.id), region \(changeSet.region), previous \(short(changeSet.previous))) is not the one the log describes")
        }
        return entry
    }

    static func short(_ hash: String?) -> String {
        guard let hash else { return "none" }
        return hash.isEmpty ? "\"\" (a chain start)" : String(hash.prefix(16)) + "…"
    }
}
