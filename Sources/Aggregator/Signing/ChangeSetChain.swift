import Foundation
import GRDB
import SyncCore

/// Signed change sets at the province. Before a change set is applied or held, its signature is
/// checked against the key registered with the caller's token, and its `previous` against the
/// hash of the last change set the province accepted with that token; a token without a key
/// keeps working unsigned. Every change set accepted is logged in `changeset_chain`, a signed
/// one with its key, signature and the signed bytes, so `changesets verify` can prove later
/// which bureau asserted which value, and when.
///
/// A chain may start anew — whatever the change set names as `previous` — only after an
/// operator registered a key with the token (a new bureau, a re-created store) or reset its
/// chain (`token key --reset-chain`); the log keeps why. A gap (a change set missing) or a fork
/// (a store restored from a backup sealing again) is refused.
enum ChangeSetChain {
    /// A change set as the province's log keeps it.
    struct Link {
        var id: String
        var region: String
        var token: Int64?
        var hash: String
        var previous: String?
        var key: PublicSigningKey?
        var signature: String?
        var signedBytes: [UInt8]?
        /// Why this change set may start a new chain (nil: it follows the last one).
        var chainStart: String?
    }

    /// Checks a change set before anything is applied. Returns its log entry, or nil when the
    /// province already has it (a replay, answered with what is stored: never a fork).
    static func admit(_ changeSet: ChangeSet, seal: ChangeSetSeal, from principal: Principal, db: Database) throws -> Link? {
        let token = try principal.tokenId.flatMap {
            try Row.fetchOne(db, sql: "SELECT id, selector, public_key, chain_reset FROM tokens WHERE id = ?", arguments: [$0])
        }
        let key = (token?["public_key"] as String?).flatMap { try? PublicSigningKey(base64: $0) }
        let selector = token.map { $0["selector"] as String? ?? "#\($0["id"] as Int64)" } ?? "?"
        if let key { try verify(changeSet, seal, key: key, token: selector) }
        if try alreadyReceived(changeSet.id, db: db) { return nil }
        var link = Link(id: changeSet.id, region: principal.region ?? changeSet.region, token: principal.tokenId, hash: seal.hash,
                        previous: changeSet.previous)
        guard let key, let token else { return link }
        link.key = key
        link.signature = changeSet.signature
        link.signedBytes = seal.signedBytes
        link.chainStart = try place(changeSet, token: token["id"] as Int64, selector: selector, reset: token["chain_reset"] as String?, db: db)
        return link
    }

    static func verify(_ changeSet: ChangeSet, _ seal: ChangeSetSeal, key: PublicSigningKey, token: String) throws {
        guard changeSet.signature != nil else {
            throw ServiceError.badSignature("change set \(changeSet.id) is not signed, but the bureau's token \(token) has signing key \(key.fingerprint) registered: only change sets signed with it are accepted (an esync-agent from before signing? upgrade it); nothing applied")
        }
        guard key.verifies(changeSet, seal) else {
            let cause: String
            if let signer = changeSet.signer, signer != key.fingerprint {
                cause = "it names key \(signer) as its signer: a re-created store, or one whose key is new? register the store's key with `esync-aggregator token key --selector \(token) KEY` (KEY from `esync-agent key`)"
            } else {
                cause = "its content was changed after it was signed"
            }
            throw ServiceError.badSignature("change set \(changeSet.id): its signature does not verify with key \(key.fingerprint), registered with the bureau's token \(token); \(cause); nothing applied")
        }
    }

    static func alreadyReceived(_ id: String, db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM changeset_chain WHERE id = ?1) OR EXISTS (SELECT 1 FROM changesets WHERE id = ?1)
                OR EXISTS (SELECT 1 FROM held_changesets WHERE id = ?1)
            """), arguments: [id]) ?? false
    }

    /// Where a signed change set stands in its token's chain: nil when it follows the last one,
    /// the reason when it may start a new chain; throws `.brokenChain` for a gap or a fork.
    /// The hash of the last change set accepted from `token` (nil: none yet).
    static func head(token: Int64, database: ProvinceDatabase) async throws -> String? {
        try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT hash FROM changeset_chain WHERE token = ? ORDER BY seq DESC LIMIT 1", arguments: [token])
        }
    }

    static func place(_ changeSet: ChangeSet, token: Int64, selector: String, reset: String?, db: Database) throws -> String? {
        if let reset { return reset }
        guard let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, id, hash, received_at FROM changeset_chain WHERE token = ? ORDER BY seq DESC LIMIT 1"),
                                          arguments: [token])
        else { return "the token's first change set" }
        let previous = changeSet.previous ?? ""
        if previous == last["hash"] as String { return nil }
        let lastOne = "the last it accepted is \(last["id"] as String) (received \(last["received_at"] as String))"
        let resetHint = "once the cause is understood, an operator allows a new chain start: `esync-aggregator token key --selector \(selector) --reset-chain`"
        if previous.isEmpty {
            throw ServiceError.brokenChain("change set \(changeSet.id) starts a new chain, but the province has accepted change sets from this token before; \(lastOne). The store was re-created with its old key, or lost its state. Nothing applied; \(resetHint)")
        }
        if let earlier = try Row.fetchOne(db, sql: "SELECT seq, id, received_at FROM changeset_chain WHERE token = ? AND hash = ?", arguments: [token, previous]) {
            let since = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changeset_chain WHERE token = ? AND seq > ?", arguments: [token, earlier["seq"] as Int64]) ?? 0
            throw ServiceError.brokenChain("change set \(changeSet.id) follows change set \(earlier["id"] as String) (received \(earlier["received_at"] as String)), but the province has accepted \(since) change sets from this store since; \(lastOne). The store was restored from a backup or its outbox rewritten (a fork). Nothing applied; \(resetHint)")
        }
        throw ServiceError.brokenChain("change set \(changeSet.id) follows a change set (hash \(previous.prefix(16))…) the province never received from this store; \(lastOne). One is missing in between (an outbox file deleted or set aside). Nothing applied; put the missing file back in the bureau's .esync/outbox, or, \(resetHint)")
    }

    /// Logs an accepted change set (in the transaction that applies or holds it); a chain start
    /// uses up the token's pending reset.
    static func record(_ link: Link, at: String, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO changeset_chain (id, region, token, received_at, hash, previous, signer, public_key, signature, signed, chain_start)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [link.id, link.region, link.token, at, link.hash, link.previous, link.key?.fingerprint, link.key?.base64,
                                     link.signature, link.signedBytes.map { Data($0) }, link.chainStart])
        if link.chainStart != nil, let token = link.token {
            try db.execute(sql: "UPDATE tokens SET chain_reset = NULL WHERE id = ?", arguments: [token])
        }
    }
}
