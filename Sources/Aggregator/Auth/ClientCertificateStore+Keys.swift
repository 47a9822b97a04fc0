import Foundation
import SyncCore

/// Bureau signing keys registered with a client certificate, as `TokenStore+Keys` does for
/// tokens: a bureau that signs in by certificate registers its store's key the same way, and
/// from then on the certificate's change sets must be signed with it and chained.
extension ClientCertificateStore {
    /// Registers `key` for the active certificate `selector` (its fingerprint, at least 16 hex
    /// digits), replacing any key it had; nil when there is no such active certificate.
    public func registerKey(_ key: PublicSigningKey, selector: String, by operator: String) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await database.write { register in
            guard let certificate = try Self.active(selector, register: register) else { return nil }
            let entry = Self.entry(certificate)
            let old = certificate.publicKey.flatMap { try? PublicSigningKey(base64: $0) }
            let what = old.map { $0 == key ? "key \(key.fingerprint) registered again" : "key \(key.fingerprint) replaced key \($0.fingerprint)" }
                ?? "key \(key.fingerprint) registered"
            try register.setCertificateKey(fingerprint: entry.fingerprint, publicKey: key.base64,
                                           chainReset: "\(what) with certificate \(entry.name) by \(`operator`) at \(now)")
            return entry
        }
    }

    /// Lets the certificate's next signed change set start a new chain with the same key (after
    /// a gap or fork an operator has looked into); nil when there is no such active certificate.
    public func resetChain(selector: String, by operator: String, note: String?) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await database.write { register in
            guard let certificate = try Self.active(selector, register: register) else { return nil }
            let entry = Self.entry(certificate)
            guard certificate.publicKey != nil else {
                throw ServiceError.conflict("certificate \(entry.name) has no signing key registered; its change sets are not chained")
            }
            try register.setCertificateKey(fingerprint: entry.fingerprint, publicKey: nil,
                                           chainReset: "chain reset by \(`operator`) at \(now)" + (note.map { ": \($0)" } ?? ""))
            return entry
        }
    }
}
