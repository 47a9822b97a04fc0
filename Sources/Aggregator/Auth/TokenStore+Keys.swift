import Foundation
import GRDB
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
        return try await update(selector: selector) { db, row in
            let old = (row["public_key"] as String?).flatMap { try? PublicSigningKey(base64: $0) }
            let what = old.map { $0 == key ? "key \(key.fingerprint) registered again" : "key \(key.fingerprint) replaced key \($0.fingerprint)" }
                ?? "key \(key.fingerprint) registered"
            try db.execute(sql: "UPDATE tokens SET public_key = ?, chain_reset = ? WHERE id = ?",
                           arguments: [key.base64, "\(what) by \(`operator`) at \(now)", row["id"] as Int64])
        }
    }

    /// Lets the next signed change set of the token start a new chain, with the same key: after a
    /// gap or fork the operator has looked into (a store restored from a backup, an outbox file
    /// lost). Returns the token, or nil when there is no such active bureau token with a key.
    public func resetChain(selector: String, by operator: String, note: String?) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await update(selector: selector) { db, row in
            guard row["public_key"] as String? != nil else { throw ServiceError.conflict("token \(selector) has no signing key registered; its change sets are not chained") }
            try db.execute(sql: "UPDATE tokens SET chain_reset = ? WHERE id = ?",
                           arguments: ["chain reset by \(`operator`) at \(now)" + (note.map { ": \($0)" } ?? ""), row["id"] as Int64])
        }
    }

    /// `selector`: as `token list` shows it, or any prefix of it that names one active bureau
    /// token (at least 4 characters; an ambiguous one is refused, naming how many it matches).
    private func update(selector: String, _ change: @Sendable @escaping (Database, Row) throws -> Void) async throws -> Entry? {
        return try await database.pool.write { db in
            let match = Self.matching(selector)
            var rows = try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM tokens WHERE \(match.sql) AND revoked_at IS NULL AND role = 'bureau'",
                                        arguments: match.arguments)
            if rows.isEmpty, selector.count >= 4, !selector.hasPrefix("#") {
                rows = try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM tokens WHERE substr(selector, 1, ?) = ? AND revoked_at IS NULL AND role = 'bureau'",
                                        arguments: [selector.count, selector])
                guard rows.count <= 1 else {
                    throw ServiceError.conflict("selector \(selector) is the start of \(rows.count) active bureau tokens: give more of it (see `esync-aggregator token list`)")
                }
            }
            guard let row = rows.first else { return nil }
            try change(db, row)
            return try Row.fetchOne(db, sql: "SELECT \(Self.entryColumns) FROM tokens WHERE id = ?", arguments: [row["id"] as Int64]).map(Self.entry)
        }
    }
}
