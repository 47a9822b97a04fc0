/// `register_identity`.
extension PostgresTransaction {
    func registerIdentity() throws -> RegisterIdentity {
        guard let row = try one("SELECT register, generation, restores, created_at, restored_at, restored_from FROM register_identity WHERE id = 1") else {
            throw PostgresRegisterError(action: "read the register's identity: register_identity is empty")
        }
        return RegisterIdentity(register: try row.string(0), generation: try row.string(1), restores: Int(try row.int(2)), createdAt: try row.string(3),
                                restoredAt: try row.optionalString(4), restoredFrom: try row.optionalString(5))
    }

    func markRestored(generation: String, at: String, from: String) throws {
        try execute("UPDATE register_identity SET generation = $1, restores = restores + 1, restored_at = $2, restored_from = $3 WHERE id = 1",
                    [.text(generation), .text(at), .text(from)])
    }

    func lastChangeSequence() throws -> Int64 {
        try one("SELECT value FROM meta WHERE key = 'seq'").map { try $0.int(0) } ?? 0
    }
}
