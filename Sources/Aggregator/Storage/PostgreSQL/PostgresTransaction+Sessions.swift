/// `review_sessions`.
extension PostgresTransaction {
    func insertSession(_ s: StoredSession) throws {
        try execute("""
            INSERT INTO review_sessions (key, reviewer, token_hash, csrf, created_at, last_seen_at, address) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(s.key), .text(s.reviewer), .text(s.tokenHash), .text(s.csrf), .double(s.createdAt), .double(s.lastSeenAt), SQLValue(s.address)])
    }

    func deleteSessions(idleBefore: Double, startedBefore: Double) throws {
        try execute("DELETE FROM review_sessions WHERE last_seen_at < $1 OR created_at < $2", [.double(idleBefore), .double(startedBefore)])
    }

    func liveSession(key: String) throws -> StoredSession? {
        try one("""
            SELECT s.key, s.reviewer, s.token_hash, s.csrf, s.created_at, s.last_seen_at, s.address, s.flash, s.flash_error FROM review_sessions s
            JOIN tokens t ON t.hash = s.token_hash AND t.revoked_at IS NULL AND t.role = 'reviewer'
            WHERE s.key = $1
            """, [.text(key)]).map { row in
            StoredSession(key: try row.string(0), reviewer: try row.string(1), tokenHash: try row.string(2), csrf: try row.string(3), createdAt: try row.double(4),
                          lastSeenAt: try row.double(5), address: try row.optionalString(6), flash: try row.optionalString(7), flashError: try row.bool(8))
        }
    }

    func touchSession(key: String, at: Double) throws {
        try execute("UPDATE review_sessions SET last_seen_at = $1, flash = NULL, flash_error = FALSE WHERE key = $2", [.double(at), .text(key)])
    }

    func setFlash(key: String, text: String, isError: Bool) throws {
        try execute("UPDATE review_sessions SET flash = $1, flash_error = $2 WHERE key = $3", [.text(text), .bool(isError), .text(key)])
    }

    func deleteSession(key: String) throws {
        try execute("DELETE FROM review_sessions WHERE key = $1", [.text(key)])
    }
}
