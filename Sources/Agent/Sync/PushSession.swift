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
    /// What the diff read of each record, for the answers to take in without reading and
    /// parsing each base again, nor encoding the sent document again; at most
    /// `diffedLimit`, the rest are read again.
    private var diffed: [String: Diffed] = [:]
    static let diffedLimit = 5_000

    /// What the diff of one record read: its base (nil: a new record) and its working copy as
    /// parsed (nil: not at hand, or a delete).
    struct Diffed {
        var base: Store.Base?
        var working: Scanner.Parsed?
    }

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

    mutating func remember(_ base: Store.Base?, working: Scanner.Parsed?, of uscc: String) {
        if diffed.count < Self.diffedLimit { diffed[uscc] = Diffed(base: base, working: working) }
    }

    /// What the diff read of `uscc`, once; nil when it was not kept.
    mutating func takeDiffed(_ uscc: String) -> Diffed? {
        diffed.removeValue(forKey: uscc)
    }
}
