/// A bearer token as the register keeps it: the SHA-256 of the token, never the token.
struct StoredToken: Sendable {
    var id: Int64
    var hash: String
    /// Nil for tokens made before selectors (found by their hash).
    var selector: String?
    var role: String
    var region: String?
    var name: String
    var createdAt: String
    var revokedAt: String?
    /// A bureau store's signing key (base64), and why its next change set may start a chain.
    var publicKey: String?
    var chainReset: String?
}

/// A client certificate that stands for a bureau (by the SHA-256 of its DER encoding).
struct StoredCertificate: Sendable {
    var fingerprint: String
    var region: String
    var name: String
    var subject: String
    var notAfter: String
    var createdAt: String
    var revokedAt: String?
    var publicKey: String?
    var chainReset: String?
}

/// Bureau tokens, reviewer and editor tokens, client certificates, and the signing keys
/// registered with them.
protocol CredentialStorage {
    /// Adds a token; returns its id.
    @discardableResult
    func insertToken(_ token: StoredToken) throws -> Int64
    /// The token with this id.
    func token(id: Int64) throws -> StoredToken?
    /// The active token with this selector, or (made before selectors) this hash.
    func activeToken(selector: String, hash: String) throws -> StoredToken?
    /// Every token, oldest first.
    func tokens() throws -> [StoredToken]
    /// Tokens as `token list` names them: by selector, or `#ID` for one made before selectors;
    /// `prefix`: by the first characters of the selector. Active bureau tokens only when
    /// `activeBureau`.
    func tokens(named selector: String, prefix: Bool, activeBureau: Bool) throws -> [StoredToken]
    /// Revokes an active token; false when it was not active.
    func revokeToken(id: Int64, at: String) throws -> Bool
    /// Sets a token's signing key (nil: keeps it) and chain reset.
    func setTokenKey(id: Int64, publicKey: String?, chainReset: String?) throws
    /// The region's bureau tokens that have a signing key (revoked ones too).
    func tokensWithKeys(region: String) throws -> [StoredToken]

    func insertCertificate(_ certificate: StoredCertificate) throws
    func certificate(fingerprint: String) throws -> StoredCertificate?
    /// Every certificate, in the order registered.
    func certificates() throws -> [StoredCertificate]
    /// Active certificates whose fingerprint starts with `prefix`.
    func activeCertificates(prefix: String) throws -> [StoredCertificate]
    func revokeCertificate(fingerprint: String, at: String) throws
    /// Sets a certificate's signing key (nil: keeps it) and chain reset.
    func setCertificateKey(fingerprint: String, publicKey: String?, chainReset: String?) throws
    /// The region's certificates that have a signing key (revoked ones too).
    func certificatesWithKeys(region: String) throws -> [StoredCertificate]
}
