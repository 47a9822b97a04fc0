import Foundation
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
    static func admit(_ changeSet: ChangeSet, seal: ChangeSetSeal, from principal: Principal, register: any RegisterTransaction) throws -> Link? {
        let region = principal.region ?? changeSet.region
        let holder = try SigningKeyHolder.own(principal, register: register) ?? SigningKeyHolder.signer(of: changeSet, region: region, register: register)
        var seal = seal
        if let holder { seal = try verify(changeSet, seal, key: holder.key, holder: holder.label) }
        if try register.changeSetKnown(changeSet.id) { return nil }
        var link = Link(id: changeSet.id, region: region, token: principal.tokenId, hash: seal.hash, previous: changeSet.previous)
        guard let holder else { return link }
        link.token = holder.token
        link.certificate = holder.certificate
        link.key = holder.key
        link.signature = changeSet.signature
        link.signedBytes = seal.signedBytes
        link.chainStart = try place(changeSet, holder: holder, register: register)
        return link
    }

    /// Returns the seal the signature verifies over: the bytes as received, or (a body not in
    /// canonical form) its canonical form.
    @discardableResult
    static func verify(_ changeSet: ChangeSet, _ seal: ChangeSetSeal, key: PublicSigningKey, holder: String) throws -> ChangeSetSeal {
        guard changeSet.signature != nil else {
            throw ServiceError.badSignature("change set \(changeSet.id) is not signed, but \(holder) has signing key \(key.fingerprint) registered: only change sets signed with it are accepted (an esync-agent from before signing? upgrade it); nothing applied")
        }
        if key.verifies(changeSet, seal) { return seal }
        if let canonical = seal.canonical, canonical.signedBytes != seal.signedBytes, key.verifies(changeSet, canonical) { return canonical }
        do {
            let cause: String
            if let signer = changeSet.signer, signer != key.fingerprint {
                cause = "it names key \(signer) as its signer: a re-created store, or one whose key is new? register the store's key with \(holder.hasPrefix("token") ? "`esync-aggregator token key --selector SELECTOR KEY`" : "`esync-aggregator cert key FINGERPRINT KEY`") (KEY from `esync-agent key`)"
            } else {
                cause = "its content was changed after it was signed"
            }
            throw ServiceError.badSignature("change set \(changeSet.id): its signature does not verify with key \(key.fingerprint), registered with \(holder); \(cause); nothing applied")
        }
    }

    /// The hash of the last change set accepted on `holder`'s chain (nil: none yet).
    static func head(of principal: Principal, database: ProvinceDatabase) async throws -> String? {
        try await database.read { register in
            guard let holder = try SigningKeyHolder.own(principal, register: register) else {
                return try principal.tokenId.flatMap { try register.lastLink(ofToken: $0)?.hash }
            }
            return try register.lastLink(of: holder.owner)?.hash
        }
    }

    /// Where a signed change set stands in its key holder's chain: nil when it follows the last
    /// one, the reason when it may start a new chain; throws `.brokenChain` for a gap or a fork.
    /// The holder's row is taken first (`lastLink` locks it in a write transaction) and its
    /// pending reset read again after: two change sets that would each start a chain on one
    /// reset, merged at once by two instances, cannot both use it.
    static func place(_ changeSet: ChangeSet, holder: SigningKeyHolder, register: any RegisterTransaction) throws -> String? {
        let last = try register.lastLink(of: holder.owner)
        if let reset = try holder.pendingReset(register) { return reset }
        guard let last else { return "the \(holder.kind)'s first change set" }
        let previous = changeSet.previous ?? ""
        if previous == last.hash { return nil }
        let lastOne = "the last it accepted is \(last.id) (received \(last.receivedAt))"
        let resetHint = "once the cause is understood, an operator allows a new chain start: \(holder.resetCommand)"
        if previous.isEmpty {
            throw ServiceError.brokenChain("change set \(changeSet.id) starts a new chain, but the province has accepted change sets signed with this \(holder.kind)'s key before; \(lastOne). The store was re-created with its old key, or lost its state. Nothing applied; \(resetHint)")
        }
        if let earlier = try register.link(of: holder.owner, hash: previous) {
            let since = try register.linksAfter(earlier.seq, of: holder.owner)
            throw ServiceError.brokenChain("change set \(changeSet.id) follows change set \(earlier.id) (received \(earlier.receivedAt)), but the province has accepted \(since) change sets from this store since; \(lastOne). The store was restored from a backup or its outbox rewritten (a fork). Nothing applied; \(resetHint)")
        }
        throw ServiceError.brokenChain("change set \(changeSet.id) follows a change set (hash \(previous.prefix(16))…) the province never received from this store; \(lastOne). One is missing in between (an outbox file deleted or set aside). Nothing applied; put the missing file back in the bureau's .esync/outbox, or, \(resetHint)")
    }

    /// Logs an accepted change set (in the transaction that applies or holds it); a chain start
    /// uses up the token's pending reset.
    static func record(_ link: Link, at: String, register: any RegisterTransaction) throws {
        try register.insertLink(ChainLink(id: link.id, region: link.region, token: link.certificate == nil ? link.token : nil, certificate: link.certificate,
                                          receivedAt: at, hash: link.hash, previous: link.previous, signer: link.key?.fingerprint,
                                          publicKey: link.key?.base64, signature: link.signature, signed: link.signedBytes, chainStart: link.chainStart))
        guard link.chainStart != nil else { return }
        if let certificate = link.certificate {
            try register.setCertificateKey(fingerprint: certificate, publicKey: nil, chainReset: nil)
        } else if let token = link.token {
            try register.setTokenKey(id: token, publicKey: nil, chainReset: nil)
        }
    }
}
