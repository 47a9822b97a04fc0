import Crypto
import EnterpriseModel

/// What a bureau's signature covers, and the link that chains a change set to the one its store
/// sealed before it.
///
/// - The **signed bytes** are the canonical JSON (`JSONValue.canonicalBytes`: members sorted by
///   the UTF-8 bytes of their names, no insignificant whitespace) of the change set object as
///   sent, with its `signature` member left out. Every other member is covered: `id`, `region`,
///   `createdAt`, `clock`, `records` with every field's `expected` and `value`, and `previous`
///   and `signer` themselves.
/// - The **hash** is the SHA-256 of the signed bytes in lower-case hex; the **signature** is
///   Ed25519 over the 32 bytes of that SHA-256, in base64.
/// - `previous` is the hash of the change set the store sealed before this one (`""` for the
///   first), so the province can tell the next change set from a gap (one missing) or a fork (a
///   store restored from a backup sealing again after an older one).
///
/// The province computes the seal from the JSON it received, not from a re-encoding, so members
/// it does not know are covered as well.
public struct ChangeSetSeal: Sendable, Hashable {
    /// The one member the signature does not cover.
    public static let signatureMember = "signature"

    public let signedBytes: [UInt8]
    /// The SHA-256 of `signedBytes`: what the key signs.
    public let digest: [UInt8]
    /// `digest` in lower-case hex: the change set's name in its store's chain (`previous`).
    public let hash: String

    /// The seal of a change set as JSON (the object as sent, with or without its signature).
    public init(_ changeSet: JSONValue) {
        var unsigned = changeSet
        if case .object(var members) = changeSet {
            members[Self.signatureMember] = nil
            unsigned = .object(members)
        }
        self.init(signedBytes: unsigned.canonicalBytes())
    }

    public init(_ changeSet: ChangeSet) { self.init(changeSet.json) }

    /// The seal of bytes kept as signed (the province's log keeps them for `changesets verify`).
    public init(signedBytes: [UInt8]) {
        self.signedBytes = signedBytes
        let sha = SHA256.hash(data: signedBytes)
        digest = Array(sha)
        hash = ContentHash.hex(sha)
    }
}

extension ChangeSet {
    /// Chains the change set after the one with hash `previous` (`""`: the first of its store)
    /// and signs it with `key`: sets `previous`, `signer` and `signature`, and returns the seal
    /// (whose `hash` the next change set names as its `previous`).
    @discardableResult
    public mutating func sign(after previous: String, with key: SigningKey) throws(SigningKeyError) -> ChangeSetSeal {
        self.previous = previous
        signer = key.publicKey.fingerprint
        signature = nil
        let seal = ChangeSetSeal(self)
        signature = try key.signature(for: seal)
        return seal
    }
}
