import GRDB
import SyncCore

/// A credential a bureau store's signing key is registered with: a bureau token
/// (`token key`) or a client certificate (`cert key`). Each keeps its own chain of change sets.
struct SigningKeyHolder {
    var token: Int64?
    var certificate: String?
    var key: PublicSigningKey
    /// Why its next signed change set may start a new chain (a key registered, a reset).
    var chainReset: String?
    /// How messages name it: `token 1a2b…`, `client certificate zz-2025 (3f2a…)`.
    var label: String

    var kind: String { certificate == nil ? "token" : "certificate" }
    /// The column of `changeset_chain` its chain is kept under, and its value there.
    var chainColumn: String { certificate == nil ? "token" : "certificate" }
    var chainKey: any DatabaseValueConvertible {
        if let certificate { return certificate }
        return token ?? 0
    }

    var resetCommand: String {
        certificate.map { "`esync-aggregator cert key \($0.prefix(16)) --reset-chain`" }
            ?? "`esync-aggregator token key --selector \(label.dropFirst("token ".count)) --reset-chain`"
    }

    /// The key registered with the credential the caller signed in with, if any.
    static func own(_ principal: Principal, db: Database) throws -> SigningKeyHolder? {
        if let fingerprint = principal.certificate {
            return try Row.fetchOne(db, sql: "SELECT \(certificateColumns) FROM client_certificates WHERE fingerprint = ?", arguments: [fingerprint])
                .flatMap(certificate)
        }
        return try principal.tokenId.flatMap {
            try Row.fetchOne(db, sql: "SELECT \(tokenColumns) FROM tokens WHERE id = ?", arguments: [$0]).flatMap(token)
        }
    }

    /// For a credential without a key of its own: the region's key that signed `changeSet`.
    /// Nil when the region has no key registered at all (unsigned change sets are accepted);
    /// throws `.badSignature` when it has one and the change set is unsigned or names a key that
    /// is not registered (or no longer: its token or certificate revoked) for the region.
    static func signer(of changeSet: ChangeSet, region: String, db: Database) throws -> SigningKeyHolder? {
        let tokens = try Row.fetchAll(db, sql: "SELECT \(tokenColumns), revoked_at FROM tokens WHERE role = 'bureau' AND region = ? AND public_key IS NOT NULL",
                                      arguments: [region])
        let certificates = try Row.fetchAll(db, sql: "SELECT \(certificateColumns), revoked_at FROM client_certificates WHERE region = ? AND public_key IS NOT NULL",
                                            arguments: [region])
        guard !tokens.isEmpty || !certificates.isEmpty else { return nil }
        let active = tokens.filter { $0["revoked_at"] == nil }.compactMap(token) + certificates.filter { $0["revoked_at"] == nil }.compactMap(certificate)
        if let signer = changeSet.signer, let holder = active.first(where: { $0.key.fingerprint == signer }) { return holder }
        let registered = active.isEmpty ? "none that is not revoked" : active.map { "\($0.key.fingerprint) (\($0.label))" }.joined(separator: ", ")
        let what = changeSet.signer.map { "is signed by key \($0), which is not registered for region \(region)" } ?? "is not signed"
        throw ServiceError.badSignature("change set \(changeSet.id) \(what); region \(region) has signing keys registered (\(registered)), so every change set of the region must be signed by one of them, whatever the credential it comes with; register this store's key (`esync-agent key` prints it) with `esync-aggregator token key --selector SELECTOR KEY` or, for a client certificate, `esync-aggregator cert key FINGERPRINT KEY`; nothing applied")
    }

    static let tokenColumns = "id, selector, public_key, chain_reset"
    static let certificateColumns = "fingerprint, name, public_key, chain_reset"

    static func token(_ row: Row) -> SigningKeyHolder? {
        guard let key = (row["public_key"] as String?).flatMap({ try? PublicSigningKey(base64: $0) }) else { return nil }
        let id: Int64 = row["id"]
        return SigningKeyHolder(token: id, key: key, chainReset: row["chain_reset"], label: "token \(row["selector"] as String? ?? "#\(id)")")
    }

    static func certificate(_ row: Row) -> SigningKeyHolder? {
        guard let key = (row["public_key"] as String?).flatMap({ try? PublicSigningKey(base64: $0) }) else { return nil }
        let fingerprint: String = row["fingerprint"]
        return SigningKeyHolder(certificate: fingerprint, key: key, chainReset: row["chain_reset"],
                                label: "client certificate \(row["name"] as String) (\(fingerprint.prefix(16)))")
    }
}
