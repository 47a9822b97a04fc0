import Crypto
import Foundation
import GRDB
import SyncCore

/// Bearer tokens for bureaus and reviewers. A token is shown once, when it is created; the
/// database keeps only its SHA-256, so a copy of the database gives nobody a token.
public struct TokenStore: Sendable {
    public let database: ProvinceDatabase

    public init(database: ProvinceDatabase) { self.database = database }

    /// Creates a token and returns it (the only time it exists in clear).
    public func add(role: Principal.Role, region: String?, name: String) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let token = "esync_" + random
        let hash = Self.hash(token)
        let now = Date().formatted(.iso8601)
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO tokens (hash, role, region, name, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [hash, role.rawValue, region, name, now])
        }
        return token
    }

    public func authenticate(_ token: String) async throws -> Principal? {
        let hash = Self.hash(token)
        return try await database.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT role, region, name FROM tokens WHERE hash = ? AND revoked_at IS NULL", arguments: [hash]),
                  let role = Principal.Role(rawValue: row["role"])
            else { return nil }
            return Principal(role: role, region: row["region"], name: row["name"])
        }
    }

    static func hash(_ token: String) -> String {
        ContentHash.of(bytes: Array(token.utf8))
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
