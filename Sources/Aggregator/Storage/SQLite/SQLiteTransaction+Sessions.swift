import GRDB

/// `review_sessions`.
extension SQLiteTransaction {
    func insertSession(_ s: StoredSession) throws {
        try db.execute(sql: """
            INSERT INTO review_sessions (key, reviewer, token_hash, csrf, created_at, last_seen_at, address) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [s.key, s.reviewer, s.tokenHash, s.csrf, s.createdAt, s.lastSeenAt, s.address])
    }

    func deleteSessions(idleBefore: Double, startedBefore: Double) throws {
        try db.execute(sql: "DELETE FROM review_sessions WHERE last_seen_at < ? OR created_at < ?", arguments: [idleBefore, startedBefore])
    }

    func liveSession(key: String) throws -> StoredSession? {
        try Row.fetchOne(db, sql: """
            SELECT s.* FROM review_sessions s
            JOIN tokens t ON t.hash = s.token_hash AND t.revoked_at IS NULL AND t.role = 'reviewer'
            WHERE s.key = ?
            """, arguments: [key]).map { row in
            StoredSession(key: row["key"], reviewer: row["reviewer"], tokenHash: row["token_hash"], csrf: row["csrf"], createdAt: row["created_at"],
                          lastSeenAt: row["last_seen_at"], address: row["address"], flash: row["flash"], flashError: row["flash_error"])
        }
    }

    func touchSession(key: String, at: Double) throws {
        try db.execute(sql: "UPDATE review_sessions SET last_seen_at = ?, flash = NULL, flash_error = 0 WHERE key = ?", arguments: [at, key])
    }

    func setFlash(key: String, text: String, isError: Bool) throws {
        try db.execute(sql: "UPDATE review_sessions SET flash = ?, flash_error = ? WHERE key = ?", arguments: [text, isError, key])
    }

    func deleteSession(key: String) throws {
        try db.execute(sql: "DELETE FROM review_sessions WHERE key = ?", arguments: [key])
    }
}
