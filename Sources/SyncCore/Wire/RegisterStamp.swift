/// Which register answers: the province register's identity (made once, when it was created) and
/// its generation (made anew by every `esync-aggregator restore`). Every answer of the API
/// carries it, and a store sends back the one it last synced with:
///
/// ```
/// ESync-Register: 5b0c…; generation=9e41…           (every answer of /v1)
/// ESync-Store-Register: 5b0c…; generation=9e41…     (with a store's push and pull, see StoreIdentity)
/// ```
///
/// A province restored from a backup has the same register and another generation: it has lost
/// what it acknowledged after the backup, which the bureaus still hold. It refuses a push or pull
/// of a store that names the old generation (`RegisterMismatch`), before it applies or hands out
/// anything, and the agent heals (`SyncEngine.heal`). Another register is another province: the
/// agent stops and says so.
public struct RegisterStamp: Sendable, Hashable, Codable, CustomStringConvertible {
    public var register: String
    public var generation: String

    public init(register: String, generation: String) {
        self.register = register
        self.generation = generation
    }

    /// On every answer of the API.
    public static let header = "ESync-Register"
    /// With a store's push and change-feed request: the stamp it last synced with.
    public static let storeHeader = "ESync-Store-Register"

    /// `REGISTER; generation=GENERATION`.
    public var description: String { "\(register); generation=\(generation)" }

    /// Reads `REGISTER; generation=GENERATION`; nil when it is not that (each part 1 to 64 hex
    /// digits or dashes).
    public init?(header text: String) {
        let parts = text.split(separator: ";", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, parts[1].hasPrefix("generation=") else { return nil }
        let register = parts[0], generation = String(parts[1].dropFirst("generation=".count))
        func valid(_ s: String) -> Bool {
            (1...64).contains(s.utf8.count) && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || $0 == 45 }
        }
        guard valid(register), valid(generation) else { return nil }
        self.init(register: register, generation: generation)
    }
}

/// The body of a 409 answer to a store whose register stamp, or cursor, the province cannot have
/// given it: the province was restored from a backup (`restored`, `cursorAhead`), or it is another
/// province (`otherRegister`). Nothing was applied or handed out.
public struct RegisterMismatch: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable, Codable {
        /// The store synced with an earlier generation of this register: it was restored.
        case restored = "register-restored"
        /// The store's cursor is past the last change this register ever numbered: restored from
        /// a backup before the store learnt generations.
        case cursorAhead = "cursor-ahead"
        /// The store synced with another register: another province, or one set up anew.
        case otherRegister = "other-register"
    }

    /// `register_restored` or `other_register`.
    public var error: String
    public var message: String
    public var reason: Reason
    /// This register, as it is now.
    public var province: RegisterStamp
    /// The last change this register numbered: the changes a restored province still has.
    public var lastSequence: Int64
    /// What the store said it synced with, and its cursor.
    public var store: RegisterStamp?
    public var cursor: Int64

    public init(reason: Reason, province: RegisterStamp, lastSequence: Int64, store: RegisterStamp?, cursor: Int64) {
        self.reason = reason
        self.province = province
        self.lastSequence = lastSequence
        self.store = store
        self.cursor = cursor
        error = reason == .otherRegister ? "other_register" : "register_restored"
        switch reason {
        case .restored:
            message = "the province's register was restored from a backup (generation \(store?.generation.prefix(8) ?? "?")… → \(province.generation.prefix(8))…): "
                + "it lacks what it acknowledged after the backup; the agent sends it again (nothing was applied)"
        case .cursorAhead:
            message = "this store's cursor \(cursor) is past change \(lastSequence), the last the province has: the province was restored from a backup; "
                + "the agent sends again what the province lost (nothing was applied)"
        case .otherRegister:
            message = "this store synced with register \(store?.register ?? "?"), but this province's register is \(province.register): another province, "
                + "or one set up anew; check server.url (nothing was applied). A store that should move to this province is set up anew with `esync-agent init` and `pull`"
        }
    }

    public var description: String { message }
}
