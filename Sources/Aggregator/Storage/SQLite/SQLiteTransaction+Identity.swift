import GRDB

/// `register_identity`.
extension SQLiteTransaction {
    func registerIdentity() throws -> RegisterIdentity {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM register_identity WHERE id = 1")) else {
            throw ServiceError.internalError("the register has no identity (register_identity is empty)")
        }
        return RegisterIdentity(register: row["register"], generation: row["generation"], restores: row["restores"], createdAt: row["created_at"],
                                restoredAt: row["restored_at"], restoredFrom: row["restored_from"])
    }

    func markRestored(generation: String, at: String, from: String) throws {
        try db.execute(sql: "UPDATE register_identity SET generation = ?, restores = restores + 1, restored_at = ?, restored_from = ? WHERE id = 1",
                       arguments: [generation, at, from])
    }

    func lastChangeSequence() throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'seq'")) ?? 0
    }
}
