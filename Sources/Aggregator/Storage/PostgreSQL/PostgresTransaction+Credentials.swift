/// `tokens` and `client_certificates`.
extension PostgresTransaction {
    private static let tokenColumns = "id, hash, selector, role, region, name, created_at, revoked_at, public_key, chain_reset"

    private static func token(_ row: SQLRow) throws -> StoredToken {
        StoredToken(id: try row.int(0), hash: try row.string(1), selector: try row.optionalString(2), role: try row.string(3), region: try row.optionalString(4),
                    name: try row.string(5), createdAt: try row.string(6), revokedAt: try row.optionalString(7), publicKey: try row.optionalString(8),
                    chainReset: try row.optionalString(9))
    }

    func insertToken(_ token: StoredToken) throws -> Int64 {
        guard let row = try one("""
            INSERT INTO tokens (hash, selector, role, region, name, created_at, revoked_at, public_key, chain_reset)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """, [.text(token.hash), SQLValue(token.selector), .text(token.role), SQLValue(token.region), .text(token.name), .text(token.createdAt),
                  SQLValue(token.revokedAt), SQLValue(token.publicKey), SQLValue(token.chainReset)]) else {
            throw PostgresRegisterError(action: "add a token: no id returned")
        }
        return try row.int(0)
    }

    func token(id: Int64) throws -> StoredToken? {
        try one("SELECT \(Self.tokenColumns) FROM tokens WHERE id = $1", [.int(id)]).map(Self.token)
    }

    func activeToken(selector: String, hash: String) throws -> StoredToken? {
        if let row = try one("SELECT \(Self.tokenColumns) FROM tokens WHERE selector = $1 AND revoked_at IS NULL", [.text(selector)]) {
            return try Self.token(row)
        }
        return try one("SELECT \(Self.tokenColumns) FROM tokens WHERE selector IS NULL AND hash = $1 AND revoked_at IS NULL", [.text(hash)]).map(Self.token)
    }

    func tokens() throws -> [StoredToken] {
        try query("SELECT \(Self.tokenColumns) FROM tokens ORDER BY id").map(Self.token)
    }

    func tokens(named selector: String, prefix: Bool, activeBureau: Bool) throws -> [StoredToken] {
        let only = activeBureau ? " AND revoked_at IS NULL AND role = 'bureau'" : ""
        if prefix {
            return try query("SELECT \(Self.tokenColumns) FROM tokens WHERE substr(selector, 1, CAST($1 AS INTEGER)) = $2" + only + " ORDER BY id",
                             [SQLValue(selector.count), .text(selector)]).map(Self.token)
        }
        let id = selector.hasPrefix("#") ? Int64(selector.dropFirst()) : nil
        return try query("SELECT \(Self.tokenColumns) FROM tokens WHERE (selector = $1 OR (selector IS NULL AND id = $2))" + only + " ORDER BY id",
                         [.text(selector), SQLValue(id)]).map(Self.token)
    }

    func revokeToken(id: Int64, at: String) throws -> Bool {
        try execute("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [.text(at), .int(id)]) > 0
    }

    func setTokenKey(id: Int64, publicKey: String?, chainReset: String?) throws {
        try execute("UPDATE tokens SET public_key = COALESCE($1, public_key), chain_reset = $2 WHERE id = $3",
                    [SQLValue(publicKey), SQLValue(chainReset), .int(id)])
    }

    func tokensWithKeys(region: String) throws -> [StoredToken] {
        try query("SELECT \(Self.tokenColumns) FROM tokens WHERE role = 'bureau' AND region = $1 AND public_key IS NOT NULL ORDER BY id",
                  [.text(region)]).map(Self.token)
    }

    private static let certificateColumns = "fingerprint, region, name, subject, not_after, created_at, revoked_at, public_key, chain_reset"

    private static func certificate(_ row: SQLRow) throws -> StoredCertificate {
        StoredCertificate(fingerprint: try row.string(0), region: try row.string(1), name: try row.string(2), subject: try row.string(3),
                          notAfter: try row.string(4), createdAt: try row.string(5), revokedAt: try row.optionalString(6), publicKey: try row.optionalString(7),
                          chainReset: try row.optionalString(8))
    }

    func insertCertificate(_ c: StoredCertificate) throws {
        try execute("INSERT INTO client_certificates (\(Self.certificateColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    [.text(c.fingerprint), .text(c.region), .text(c.name), .text(c.subject), .text(c.notAfter), .text(c.createdAt), SQLValue(c.revokedAt),
                     SQLValue(c.publicKey), SQLValue(c.chainReset)])
    }

    func certificate(fingerprint: String) throws -> StoredCertificate? {
        try one("SELECT \(Self.certificateColumns) FROM client_certificates WHERE fingerprint = $1", [.text(fingerprint)]).map(Self.certificate)
    }

    func certificates() throws -> [StoredCertificate] {
        try query("SELECT \(Self.certificateColumns) FROM client_certificates ORDER BY position").map(Self.certificate)
    }

    func activeCertificates(prefix: String) throws -> [StoredCertificate] {
        try query("SELECT \(Self.certificateColumns) FROM client_certificates WHERE substr(fingerprint, 1, CAST($1 AS INTEGER)) = $2 AND revoked_at IS NULL ORDER BY position",
                  [SQLValue(prefix.count), .text(prefix)]).map(Self.certificate)
    }

    func revokeCertificate(fingerprint: String, at: String) throws {
        try execute("UPDATE client_certificates SET revoked_at = $1 WHERE fingerprint = $2", [.text(at), .text(fingerprint)])
    }

    func setCertificateKey(fingerprint: String, publicKey: String?, chainReset: String?) throws {
        try execute("UPDATE client_certificates SET public_key = COALESCE($1, public_key), chain_reset = $2 WHERE fingerprint = $3",
                    [SQLValue(publicKey), SQLValue(chainReset), .text(fingerprint)])
    }

    func certificatesWithKeys(region: String) throws -> [StoredCertificate] {
        try query("SELECT \(Self.certificateColumns) FROM client_certificates WHERE region = $1 AND public_key IS NOT NULL ORDER BY position",
                  [.text(region)]).map(Self.certificate)
    }
}
