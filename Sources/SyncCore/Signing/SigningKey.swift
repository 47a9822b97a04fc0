import Crypto
import Foundation

/// A bureau store's Ed25519 key pair (swift-crypto `Curve25519.Signing`): it signs every change
/// set the store seals. The private key never leaves the store; the province registers the
/// public key with the bureau's token and verifies each change set against it.
///
/// For example:
///
/// ```swift
/// let key = SigningKey()
/// var changeSet = ChangeSet(id: "…", region: "410100", createdAt: "…", records: changes)
/// let seal = try changeSet.sign(after: "", with: key)   // the first of the store's chain
/// key.publicKey.verifies(changeSet, seal)               // true
/// ```
public struct SigningKey: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { privateKey = Curve25519.Signing.PrivateKey() }

    /// A key from the base64 text of its 32 raw bytes, the form the store keeps it in.
    public init(base64 text: String) throws(SigningKeyError) {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw SigningKeyError("not an Ed25519 private key (the base64 text of 32 bytes)") }
        privateKey = key
    }

    public var base64: String { privateKey.rawRepresentation.base64EncodedString() }
    public var publicKey: PublicSigningKey { PublicSigningKey(privateKey.publicKey) }

    /// Ed25519 over the 32 bytes of the change set's SHA-256, in base64.
    func signature(for seal: ChangeSetSeal) throws(SigningKeyError) -> String {
        do { return try privateKey.signature(for: seal.digest).base64EncodedString() } catch {
            throw SigningKeyError("cannot sign: \(error)")
        }
    }
}

/// The public half of a store's signing key, as the province registers it.
public struct PublicSigningKey: Sendable, Hashable, CustomStringConvertible {
    public let rawRepresentation: Data

    init(_ key: Curve25519.Signing.PublicKey) { rawRepresentation = key.rawRepresentation }

    /// A key from the base64 text of its 32 raw bytes (what `esync-agent key` prints).
    public init(base64 text: String) throws(SigningKeyError) {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
              (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil
        else { throw SigningKeyError("not an Ed25519 public key (the base64 text of 32 bytes, as `esync-agent key` prints it)") }
        rawRepresentation = raw
    }

    public var base64: String { rawRepresentation.base64EncodedString() }

    /// A short name for the key: the first 16 hex digits of the SHA-256 of its raw bytes. Change
    /// sets, `token list` and the province's log name keys by it.
    public var fingerprint: String { String(ContentHash.of(bytes: rawRepresentation).prefix(16)) }

    public var description: String { fingerprint }

    /// True when `changeSet` carries a signature by this key over exactly the content `seal` was
    /// made from.
    public func verifies(_ changeSet: ChangeSet, _ seal: ChangeSetSeal) -> Bool {
        guard let text = changeSet.signature, let signature = Data(base64Encoded: text), signature.count == 64,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
        else { return false }
        return key.isValidSignature(signature, for: seal.digest)
    }
}

public struct SigningKeyError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
