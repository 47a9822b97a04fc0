import SyncCore

/// Which register this is and which life of it. `register` is made once, with the register, and
/// never changes; `generation` changes with every restore from a backup (`esync-aggregator
/// restore`), so that whoever synced with the register before can tell that it went back in
/// time: a bureau's cursor, chain and acknowledged edits may point past what it holds now.
public struct RegisterIdentity: Sendable, Equatable, Codable {
    public var register: String
    public var generation: String
    /// How many times the register was restored from a backup.
    public var restores: Int
    public var createdAt: String
    public var restoredAt: String?
    /// The backup the register was last restored from (its file and when it was taken).
    public var restoredFrom: String?

    /// What every answer of the API carries (`ESync-Register`).
    public var stamp: RegisterStamp { RegisterStamp(register: register, generation: generation) }
}

/// `register_identity`, and the totals a backup's manifest records.
protocol IdentityStorage {
    func registerIdentity() throws -> RegisterIdentity
    /// Gives the register a new generation, as a restore does.
    func markRestored(generation: String, at: String, from: String) throws
    /// The last number of the change sequence handed out (0: none yet).
    func lastChangeSequence() throws -> Int64
}
