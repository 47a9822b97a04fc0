import GRDB

/// `tokens` and `client_certificates`.
extension SQLiteTransaction {
    private static let tokenColumns = "id, hash, selector, role, region, name, created_at, revoked_at, public_key, chain_reset"

    private static func token(_ row: Row) -> StoredToken {
        StoredToken(id: row["id"], hash: row["hash"], selector: row["selector"], role: row["role"], region: row["region"], name: row["name"],
                    createdAt: row["created_at"], revokedAt: row["revoked_at"], publicKey: row["public_key"], chainReset: row["chain_reset"])
    }

    func insertToken(_ token: StoredToken) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO tokens (hash, selector, role, region, name, created_at, revoked_at, public_key, chain_reset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [token.hash, token.selector, token.role, token.region, token.name, token.createdAt, token.revokedAt, token.publicKey, token.chainReset])
        return db.lastInsertedRowID
    }

    func token(id: Int64) throws -> StoredToken? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM tokens WHERE id = ?"), arguments: [id]).map(Self.token)
    }

    func activeToken(selector: String, hash: String) throws -> StoredToken? {
        try (Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM tokens WHERE selector = ? AND revoked_at IS NULL"), arguments: [selector])
            ?? Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM tokens WHERE selector IS NULL AND hash = ? AND revoked_at IS NULL"),
                            arguments: [hash])).map(Self.token)
    }

    func tokens() throws -> [StoredToken] {
        try Row.fetchAll(db, sql: "SELECT \(Self.tokenColumns) FROM tokens ORDER BY id").map(Self.token)
    }

    func tokens(named selector: String, prefix: Bool, activeBureau: Bool) throws -> [StoredToken] {
        let only = activeBureau ? " AND revoked_at IS NULL AND role = 'bureau'" : ""
        if prefix {
            return try Row.fetchAll(db, sql: "SELECT \(Self.tokenColumns) FROM tokens WHERE substr(selector, 1, ?) = ?" + only,
                                    arguments: [selector.count, selector]).map(Self.token)
        }
        return try Row.fetchAll(db, sql: "SELECT \(Self.tokenColumns) FROM tokens WHERE (selector = ? OR (selector IS NULL AND id = ?))" + only,
                                arguments: [selector, selector.hasPrefix("#") ? Int64(selector.dropFirst()) : nil]).map(Self.token)
    }

    func revokeToken(id: Int64, at: String) throws -> Bool {
        try db.execute(sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at, id])
        return db.changesCount > 0
    }

    func setTokenKey(id: Int64, publicKey: String?, chainReset: String?) throws {
        try db.execute(sql: "UPDATE tokens SET public_key = coalesce(?, public_key), chain_reset = ? WHERE id = ?", arguments: [publicKey, chainReset, id])
    }

    func tokensWithKeys(region: String) throws -> [StoredToken] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM tokens WHERE role = 'bureau' AND region = ? AND public_key IS NOT NULL"),
                         arguments: [region]).map(Self.token)
    }

    private static let certificateColumns = "fingerprint, region, name, subject, not_after, created_at, revoked_at, public_key, chain_reset"

    private static func certificate(_ row: Row) -> StoredCertificate {
        StoredCertificate(fingerprint: row["fingerprint"], region: row["region"], name: row["name"], subject: row["subject"], notAfter: row["not_after"],
                          createdAt: row["created_at"], revokedAt: row["revoked_at"], publicKey: row["public_key"], chainReset: row["chain_reset"])
    }

    func insertCertificate(_ c: StoredCertificate) throws {
        try db.execute(sql: "INSERT INTO client_certificates (\(Self.certificateColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [c.fingerprint, c.region, c.name, c.subject, c.notAfter, c.createdAt, c.revokedAt, c.publicKey, c.chainReset])
    }

    func certificate(fingerprint: String) throws -> StoredCertificate? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.certificateColumns) FROM client_certificates WHERE fingerprint = ?"),
                         arguments: [fingerprint]).map(Self.certificate)
    }

    func certificates() throws -> [StoredCertificate] {
        try Row.fetchAll(db, sql: "SELECT \(Self.certificateColumns) FROM client_certificates ORDER BY rowid").map(Self.certificate)
    }

    func activeCertificates(prefix: String) throws -> [StoredCertificate] {
        try Row.fetchAll(db, sql: "SELECT \(Self.certificateColumns) FROM client_certificates WHERE substr(fingerprint, 1, ?) = ? AND revoked_at IS NULL",
                         arguments: [prefix.count, prefix]).map(Self.certificate)
    }

    func revokeCertificate(fingerprint: String, at: String) throws {
        try db.execute(sql: "UPDATE client_certificates SET revoked_at = ? WHERE fingerprint = ?", arguments: [at, fingerprint])
    }

    func setCertificateKey(fingerprint: String, publicKey: String?, chainReset: String?) throws {
        try db.execute(sql: "UPDATE client_certificates SET public_key = coalesce(?, public_key), chain_reset = ? WHERE fingerprint = ?",
                       arguments: [publicKey, chainReset, fingerprint])
    }

    func certificatesWithKeys(region: String) throws -> [StoredCertificate] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.certificateColumns) FROM client_certificates WHERE region = ? AND public_key IS NOT NULL"),
                         arguments: [region]).map(Self.certificate)
    }
}
