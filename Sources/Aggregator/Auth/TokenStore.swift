import Crypto
import Foundation
import SyncCore

/// Bearer tokens for bureaus, reviewers and editors. A token is shown once, when it is created;
/// the database keeps only its SHA-256, so a copy of the database gives nobody a token.
///
/// A token is `esync_` + a 16-character selector + 48 random hex characters. The selector finds
/// the row; the hash of the whole token is then compared in constant time, so the time an
/// answer takes says nothing about how much of a guess was right.
public struct TokenStore: Sendable {
    public let database: ProvinceDatabase

    public init(database: ProvinceDatabase) { self.database = database }

    public struct Entry: Sendable, Encodable {
        public var selector: String
        public var role: String
        public var region: String?
        public var name: String
        public var createdAt: String
        public var revokedAt: String?
        /// The fingerprint of the bureau's registered signing key (see `registerKey`).
        public var keyFingerprint: String?
    }

    /// Creates a token and returns it (the only time it exists in clear). `publicKey`: a
    /// bureau store's signing key, registered with the token at once (see `registerKey`).
    public func add(role: Principal.Role, region: String?, name: String, publicKey: PublicSigningKey? = nil, by operator: String = "") async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let token = "esync_" + random
        let selector = Self.selector(of: token)!
        let now = Date().formatted(.iso8601)
        let stored = StoredToken(id: 0, hash: Self.hash(token), selector: selector, role: role.rawValue, region: region, name: name, createdAt: now,
                                 publicKey: publicKey?.base64,
                                 chainReset: publicKey.map { "key \($0.fingerprint) registered with the token by \(`operator`) at \(now)" })
        _ = try await database.write { register in try register.insertToken(stored) }
        return token
    }

    public func authenticate(_ token: String) async throws -> Principal? {
        let presented = Array(Self.hash(token).utf8)
        guard let selector = Self.selector(of: token) else { return nil }
        let hash = Self.hash(token)
        guard let row = try await database.read({ register in try register.activeToken(selector: selector, hash: hash) }),
              Self.constantTimeEqual(Array(row.hash.utf8), presented), let role = Principal.Role(rawValue: row.role)
        else { return nil }
        return Principal(role: role, region: row.region, name: row.name, tokenId: row.id)
    }

    public func list() async throws -> [Entry] {
        try await database.read { register in try register.tokens().map(Self.entry) }
    }

    /// Revokes the token `token list` names so (its selector, or `#id` for a token made before
    /// selectors); returns it, or nil if there is no such active token. A revoked token stops
    /// working at once, review sessions opened with it included.
    public func revoke(selector: String) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await database.write { register in
            guard let token = try register.tokens(named: selector, prefix: false, activeBureau: false).first(where: { $0.revokedAt == nil }),
                  try register.revokeToken(id: token.id, at: now) else { return nil }
            return try register.token(id: token.id).map(Self.entry)
        }
    }

    static func entry(_ token: StoredToken) -> Entry {
        Entry(selector: token.selector ?? "#\(token.id)", role: token.role, region: token.region, name: token.name, createdAt: token.createdAt,
              revokedAt: token.revokedAt, keyFingerprint: token.publicKey.flatMap { try? PublicSigningKey(base64: $0).fingerprint })
    }

    /// The selector of a well-formed token (`esync_` + 64 hex characters), else nil.
    static func selector(of token: String) -> String? {
        guard token.hasPrefix("esync_"), token.utf8.count == 70,
              token.utf8.dropFirst(6).allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return String(token.dropFirst(6).prefix(16))
    }

    static func hash(_ token: String) -> String {
        ContentHash.of(bytes: Array(token.utf8))
    }

    /// Equal bytes, in a time that depends only on the length.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
