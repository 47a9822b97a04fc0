import Foundation
import GRDB
import SyncCore

/// Signed change sets at the province. Before a change set is applied or held, its signature is
/// checked against the key registered with the caller's token or client certificate (or, when
/// that credential has none, against the key it names among those registered for its region),
/// and its `previous` against the hash of the last change set the province accepted signed with
/// that key; a region without any registered key keeps working unsigned. Every change set accepted is logged in `changeset_chain`, a signed
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
        /// The client certificate whose key signed it (the chain is the certificate's).
        var certificate: String?
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
    ///
    /// | the credential | the region | the change set must be |
    /// |---|---|---|
    /// | has a key | any | signed by that key, chained on the credential |
    /// | has no key | has a registered key (any token or certificate of it, even revoked) | signed by a key registered for the region and not revoked, chained on that key's holder |
    /// | has no key | has none | anything; logged unsigned |
    ///
    /// So a certificate or a second token cannot push unsigned once the region signs.
    static func admit(_ changeSet: ChangeSet, seal: ChangeSetSeal, from principal: Principal, db: Database) throws -> Link? {
        let region = principal.region ?? changeSet.region
        let holder = try SigningKeyHolder.own(principal, db: db) ?? SigningKeyHolder.signer(of: changeSet, region: region, db: db)
        if let holder { try verify(changeSet, seal, key: holder.key, holder: holder.label) }
        if try alreadyReceived(changeSet.id, db: db) { return nil }
        var link = Link(id: changeSet.id, region: region, token: principal.tokenId, hash: seal.hash, previous: changeSet.previous)
        guard let holder else { return link }
        link.token = holder.token
        link.certificate = holder.certificate
        link.key = holder.key
        link.signature = changeSet.signature
        link.signedBytes = seal.signedBytes
        link.chainStart = try place(changeSet, holder: holder, db: db)
        return link
    }

    static func verify(_ changeSet: ChangeSet, _ seal: ChangeSetSeal, key: PublicSigningKey, holder: String) throws {
        guard changeSet.signature != nil else {
            throw ServiceError.badSignature("change set \(changeSet.id) is not signed, but \(holder) has signing key \(key.fingerprint) registered: only change sets signed with it are accepted (an esync-agent from before signing? upgrade it); nothing applied")
        }
        guard key.verifies(changeSet, seal) else {
            let cause: String
            if let signer = changeSet.signer, signer != key.fingerprint {
                cause = "it names key \(signer) as its signer: a re-created store, or one whose key is new? register the store's key with \(holder.hasPrefix("token") ? "`esync-aggregator token key --selector SELECTOR KEY`" : "`esync-aggregator cert key FINGERPRINT KEY`") (KEY from `esync-agent key`)"
            } else {
                cause = "its content was changed after it was signed"
            }
            throw ServiceError.badSignature("change set \(changeSet.id): its signature does not verify with key \(key.fingerprint), registered with \(holder); \(cause); nothing applied")
        }
    }

    static func alreadyReceived(_ id: String, db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM changeset_chain WHERE id = ?1) OR EXISTS (SELECT 1 FROM changesets WHERE id = ?1)
                OR EXISTS (SELECT 1 FROM held_changesets WHERE id = ?1)
            """), arguments: [id]) ?? false
    }

    /// The hash of the last change set accepted on `holder`'s chain (nil: none yet).
    static func head(of principal: Principal, database: ProvinceDatabase) async throws -> String? {
        try await database.pool.read { db in
            guard let holder = try SigningKeyHolder.own(principal, db: db) else {
                return try principal.tokenId.flatMap { try String.fetchOne(db, sql: "SELECT hash FROM changeset_chain WHERE token = ? ORDER BY seq DESC LIMIT 1", arguments: [$0]) }
            }
            return try String.fetchOne(db, sql: "SELECT hash FROM changeset_chain WHERE \(holder.chainColumn) = ? ORDER BY seq DESC LIMIT 1", arguments: [holder.chainKey])
        }
    }

    /// Where a signed change set stands in its key holder's chain: nil when it follows the last
    /// one, the reason when it may start a new chain; throws `.brokenChain` for a gap or a fork.
    static func place(_ changeSet: ChangeSet, holder: SigningKeyHolder, db: Database) throws -> String? {
        if let reset = holder.chainReset { return reset }
        let column = holder.chainColumn
        guard let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, id, hash, received_at FROM changeset_chain WHERE \(column) = ? ORDER BY seq DESC LIMIT 1"),
                                          arguments: [holder.chainKey])
        else { return "the \(holder.kind)'s first change set" }
        let previous = changeSet.previous ?? ""
        if previous == last["hash"] as String { return nil }
        let lastOne = "the last it accepted is \(last["id"] as String) (received \(last["received_at"] as String))"
        let resetHint = "once the cause is understood, an operator allows a new chain start: \(holder.resetCommand)"
        if previous.isEmpty {
            throw ServiceError.brokenChain("change set \(changeSet.id) starts a new chain, but the province has accepted change sets signed with this \(holder.kind)'s key before; \(lastOne). The store was re-created with its old key, or lost its state. Nothing applied; \(resetHint)")
        }
        if let earlier = try Row.fetchOne(db, sql: "SELECT seq, id, received_at FROM changeset_chain WHERE \(column) = ? AND hash = ?", arguments: [holder.chainKey, previous]) {
            let since = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changeset_chain WHERE \(column) = ? AND seq > ?", arguments: [holder.chainKey, earlier["seq"] as Int64]) ?? 0
            throw ServiceError.brokenChain("change set \(changeSet.id) follows change set \(earlier["id"] as String) (received \(earlier["received_at"] as String)), but the province has accepted \(since) change sets from this store since; \(lastOne). The store was restored from a backup or its outbox rewritten (a fork). Nothing applied; \(resetHint)")
        }
        throw ServiceError.brokenChain("change set \(changeSet.id) follows a change set (hash \(previous.prefix(16))…) the province never received from this store; \(lastOne). One is missing in between (an outbox file deleted or set aside). Nothing applied; put the missing file back in the bureau's .esync/outbox, or, \(resetHint)")
    }

    /// Logs an accepted change set (in the transaction that applies or holds it); a chain start
    /// uses up the token's pending reset.
    static func record(_ link: Link, at: String, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO changeset_chain (id, region, token, certificate, received_at, hash, previous, signer, public_key, signature, signed, chain_start)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [link.id, link.region, link.certificate == nil ? link.token : nil, link.certificate, at, link.hash, link.previous,
                                     link.key?.fingerprint, link.key?.base64, link.signature, link.signedBytes.map { Data($0) }, link.chainStart])
        guard link.chainStart != nil else { return }
        if let certificate = link.certificate {
            try db.execute(sql: "UPDATE client_certificates SET chain_reset = NULL WHERE fingerprint = ?", arguments: [certificate])
        } else if let token = link.token {
            try db.execute(sql: "UPDATE tokens SET chain_reset = NULL WHERE id = ?", arguments: [token])
        }
    }
}
