import Foundation
import SyncCore

/// One push, made when its scan is planned and passed to every step of it: its id and how many
/// records the province has that it changes or deletes (what each sealed piece says, see
/// `ChangeSet.push`), the bases its diff read, and its summary. Nothing of it outlives the push.
struct PushSession {
    /// The id every change set of this push carries when it changes existing records.
    let id: String
    /// Records the province has that this push changes or deletes (`ChangeSet.pushChanges`).
    let changes: Int
    var summary = SyncEngine.PushSummary()
    /// The bases the diff read, for the answers to take in without reading and parsing each base
    /// file again (nil: a new record); at most `diffedBasesLimit`, the rest are read again.
    private var diffedBases: [String: Store.Base?] = [:]
    static let diffedBasesLimit = 5_000

    /// `summary`: what the push found before its scan (the outbox sent first).
    init(id: String = UUID().uuidString.lowercased(), changes: Int, summary: SyncEngine.PushSummary = .init()) {
        self.id = id
        self.changes = changes
        self.summary = summary
    }

    /// A session for sending what waits in the outbox before anything is scanned.
    static func outboxOnly() -> PushSession { PushSession(changes: 0) }

    /// What a sealed piece of this push says about the push (nil: it changes no existing record).
    var piece: (id: String, changes: Int)? { changes > 0 ? (id, changes) : nil }

    mutating func remember(_ base: Store.Base?, of uscc: String) {
        if diffedBases.count < Self.diffedBasesLimit { diffedBases[uscc] = .some(base) }
    }

    /// The base the diff read for `uscc`, once; nil when it was not kept.
    mutating func takeBase(of uscc: String) -> Store.Base?? {
        diffedBases.removeValue(forKey: uscc)
    }
}
