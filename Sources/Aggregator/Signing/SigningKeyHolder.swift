import SyncCore

/// A credential a bureau store's signing key is registered with: a bureau token
/// (`token key`) or a client certificate (`cert key`). Each keeps its own chain of change sets.
struct SigningKeyHolder {
    var token: Int64?
    var certificate: String?
    var key: PublicSigningKey
    /// How messages name it: `token 1a2b…`, `client certificate zz-2025 (3f2a…)`.
    var label: String

    var kind: String { certificate == nil ? "token" : "certificate" }
    /// The chain its change sets are kept in.
    var owner: ChainOwner { certificate.map(ChainOwner.certificate) ?? .token(token ?? 0) }

    var resetCommand: String {
        certificate.map { "`esync-aggregator cert key \($0.prefix(16)) --reset-chain`" }
            ?? "`esync-aggregator token key --selector \(label.dropFirst("token ".count)) --reset-chain`"
    }

    /// Why its next signed change set may start a new chain (a key registered, a reset), as the
    /// register has it now: the holder may have been read before another writer used it up.
    func pendingReset(_ register: any RegisterTransaction) throws -> String? {
        if let certificate { return try register.certificate(fingerprint: certificate)?.chainReset }
        return try token.flatMap { try register.token(id: $0)?.chainReset }
    }

    /// The key registered with the credential the caller signed in with, if any.
    static func own(_ principal: Principal, register: any RegisterTransaction) throws -> SigningKeyHolder? {
        if let fingerprint = principal.certificate { return try register.certificate(fingerprint: fingerprint).flatMap(certificate) }
        return try principal.tokenId.flatMap { try register.token(id: $0).flatMap(token) }
    }

    /// For a credential without a key of its own: the region's key that signed `changeSet`.
    /// Nil when the region has no key registered at all (unsigned change sets are accepted);
    /// throws `.badSignature` when it has one and the change set is unsigned or names a key that
    /// is not registered (or no longer: its token or certificate revoked) for the region.
    static func signer(of changeSet: ChangeSet, region: String, register: any RegisterTransaction) throws -> SigningKeyHolder? {
        let tokens = try register.tokensWithKeys(region: region)
        let certificates = try register.certificatesWithKeys(region: region)
        guard !tokens.isEmpty || !certificates.isEmpty else { return nil }
        let active = tokens.filter { $0.revokedAt == nil }.compactMap(token) + certificates.filter { $0.revokedAt == nil }.compactMap(certificate)
        if let signer = changeSet.signer, let holder = active.first(where: { $0.key.fingerprint == signer }) { return holder }
        let registered = active.isEmpty ? "none that is not revoked" : active.map { "\($0.key.fingerprint) (\($0.label))" }.joined(separator: ", ")
        let what = changeSet.signer.map { "is signed by key \($0), which is not registered for region \(region)" } ?? "is not signed"
        throw ServiceError.badSignature("change set \(changeSet.id) \(what); region \(region) has signing keys registered (\(registered)), so every change set of the region must be signed by one of them, whatever the credential it comes with; register this store's key (`esync-agent key` prints it) with `esync-aggregator token key --selector SELECTOR KEY` or, for a client certificate, `esync-aggregator cert key FINGERPRINT KEY`; nothing applied")
    }

    static func token(_ row: StoredToken) -> SigningKeyHolder? {
        guard let key = row.publicKey.flatMap({ try? PublicSigningKey(base64: $0) }) else { return nil }
        return SigningKeyHolder(token: row.id, key: key, label: "token \(row.selector ?? "#\(row.id)")")
    }

    static func certificate(_ row: StoredCertificate) -> SigningKeyHolder? {
        guard let key = row.publicKey.flatMap({ try? PublicSigningKey(base64: $0) }) else { return nil }
        return SigningKeyHolder(certificate: row.fingerprint, key: key,
                                label: "client certificate \(row.name) (\(row.fingerprint.prefix(16)))")
    }
}
