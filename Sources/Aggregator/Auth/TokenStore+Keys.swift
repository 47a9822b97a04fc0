import Foundation
import SyncCore

/// Bureau signing keys, registered with the bureau's token: once a token has a key, the province
/// accepts from it only change sets signed by that key and chained to the last one it accepted
/// (see `ChangeSetChain`).
///
/// Registering a key — a first one, or a new one for a re-created store — and an operator's
/// explicit reset both allow the token's next signed change set to start a new chain, whatever it
/// names as `previous`; the log keeps why (`changesets verify` shows it).
extension TokenStore {
    /// Registers `key` for the active bureau token `selector` (see `token list`), replacing any
    /// key it had; returns the token, or nil when there is no such active bureau token.
    public func registerKey(_ key: PublicSigningKey, selector: String, by operator: String) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await update(selector: selector) { register, token in
            let old = token.publicKey.flatMap { try? PublicSigningKey(base64: $0) }
            let what = old.map { $0 == key ? "key \(key.fingerprint) registered again" : "key \(key.fingerprint) replaced key \($0.fingerprint)" }
                ?? "key \(key.fingerprint) registered"
            try register.setTokenKey(id: token.id, publicKey: key.base64, chainReset: "\(what) by \(`operator`) at \(now)")
        }
    }

    /// Lets the next signed change set of the token start a new chain, with the same key: after a
    /// gap or fork the operator has looked into (a store restored from a backup, an outbox file
    /// lost). Returns the token, or nil when there is no such active bureau token with a key.
    public func resetChain(selector: String, by operator: String, note: String?) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await update(selector: selector) { register, token in
            guard token.publicKey != nil else { throw ServiceError.conflict("token \(selector) has no signing key registered; its change sets are not chained") }
            try register.setTokenKey(id: token.id, publicKey: nil, chainReset: "chain reset by \(`operator`) at \(now)" + (note.map { ": \($0)" } ?? ""))
        }
    }

    /// `selector`: as `token list` shows it, or any prefix of it that names one active bureau
    /// token (at least 4 characters; an ambiguous one is refused, naming how many it matches).
    private func update(selector: String, _ change: @Sendable @escaping (any RegisterTransaction, StoredToken) throws -> Void) async throws -> Entry? {
        try await database.write { register in
            var tokens = try register.tokens(named: selector, prefix: false, activeBureau: true)
            if tokens.isEmpty, selector.count >= 4, !selector.hasPrefix("#") {
                tokens = try register.tokens(named: selector, prefix: true, activeBureau: true)
                guard tokens.count <= 1 else {
                    throw ServiceError.conflict("selector \(selector) is the start of \(tokens.count) active bureau tokens: give more of it (see `esync-aggregator token list`)")
                }
            }
            guard let token = tokens.first else { return nil }
            try change(register, token)
            return try register.token(id: token.id).map(Self.entry)
        }
    }
}
