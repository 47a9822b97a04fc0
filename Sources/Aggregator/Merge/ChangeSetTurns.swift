import Synchronization

/// Where each change set this instance is merging stands, so that one sent after another of its
/// store before that one's answer came (`ESync-After`, an agent's push pipeline) waits its turn:
/// it is planned once the one before is planned, and written once that one is accepted.
///
/// Every wait is bounded (`MergeService.awaitTurn`): a chain that names itself round, or a
/// predecessor stuck, costs its successors a refusal, not a request parked for ever.
///
/// The stages of a change set here, in order: `planning` (registered, waiting for its turn or
/// being planned), `planned` (waiting for the writer, or in it), then `accepted` (applied, held
/// or answered as a replay) or `failed` (anything thrown). The last `rememberFinished` finished
/// ones are remembered, so that a successor arriving just after learns how its predecessor
/// ended; an older one is looked up in the register (`changeSetKnown`), as is one merged by
/// another instance.
///
/// Why two waits, not one: a successor that waited for its predecessor's end before planning
/// would plan while the writer sat idle. It is planned while the predecessor is written (the
/// writer then checks that its records did not move, `MergeService.Prepared.isCurrent`). It
/// takes a planning slot only once its predecessor has one and is planned: so every holder of a
/// slot that waits, waits for one ahead of it that holds a slot too, and the first of them is at
/// the writer. No slot is held while waiting for a change set that has not come.
final class ChangeSetTurns: Sendable {
    enum Stage: Int, Comparable, Sendable {
        case planning, planned, accepted, failed
        static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
        var finished: Bool { self >= .accepted }
    }

    private struct Waiting {
        var ticket: UInt64
        var until: Stage
        var continuation: CheckedContinuation<Stage?, Never>
    }

    private struct Entry {
        var stage: Stage
        var waiting: [Waiting] = []
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Finished keys, oldest first (their entries stay until pushed out).
        var finished: [String] = []
        var tickets: UInt64 = 0
    }

    private let state = Mutex(State())
    static let rememberFinished = 1_024

    /// A change set's key: ids are the store's, regions apart.
    static func key(_ id: String, region: String) -> String { region + "/" + id }

    /// Registers a change set as `planning`; nil when one of that key is in progress already (a
    /// resend racing the first delivery: it waits for nothing and is answered as the register has it).
    func begin(_ key: String) -> Turn? {
        let begun = state.withLock { (state: inout State) -> Bool in
            if let entry = state.entries[key], !entry.stage.finished { return false }
            if state.entries[key] != nil { state.finished.removeAll { $0 == key } }
            state.entries[key] = Entry(stage: .planning)
            return true
        }
        return begun ? Turn(turns: self, key: key) : nil
    }

    /// Where `key` stands; nil when this instance has not seen it (or has forgotten it).
    func stage(of key: String) -> Stage? {
        state.withLock { $0.entries[key]?.stage }
    }

    /// Waits until `key` reaches `until` (or finishes), or for `timeout`, and returns its stage
    /// then; returns at once when it has, or when this instance does not know it (nil).
    func wait(for key: String, until: Stage, timeout: Duration) async -> Stage? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Stage?, Never>) in
            // (ticket 0: not waiting, the stage is the answer)
            let (stage, ticket) = state.withLock { (state: inout State) -> (Stage?, UInt64) in
                guard let entry = state.entries[key] else { return (nil, 0) }
                if entry.stage >= until { return (entry.stage, 0) }
                state.tickets += 1
                state.entries[key]?.waiting.append(Waiting(ticket: state.tickets, until: until, continuation: continuation))
                return (nil, state.tickets)
            }
            guard ticket != 0 else { return continuation.resume(returning: stage) }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                expire(ticket, of: key)
            }
        }
    }

    /// A wait that timed out: resumed with the stage as it is, unless a move woke it already.
    private func expire(_ ticket: UInt64, of key: String) {
        let expired = state.withLock { (state: inout State) -> (CheckedContinuation<Stage?, Never>, Stage)? in
            guard let entry = state.entries[key], let index = entry.waiting.firstIndex(where: { $0.ticket == ticket }) else { return nil }
            let waiting = entry.waiting[index]
            state.entries[key]?.waiting.remove(at: index)
            return (waiting.continuation, entry.stage)
        }
        if let (continuation, stage) = expired { continuation.resume(returning: stage) }
    }

    fileprivate func move(_ key: String, to stage: Stage) {
        let woken = state.withLock { (state: inout State) -> [CheckedContinuation<Stage?, Never>] in
            guard var entry = state.entries[key] else { return [] }
            entry.stage = stage
            let ready = entry.waiting.filter { $0.until <= stage || stage.finished }
            entry.waiting.removeAll { $0.until <= stage || stage.finished }
            state.entries[key] = entry
            if stage.finished {
                state.finished.append(key)
                if state.finished.count > Self.rememberFinished {
                    let old = state.finished.removeFirst()
                    if state.entries[old]?.stage.finished == true { state.entries[old] = nil }
                }
            }
            return ready.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: stage) }
    }

    /// One change set's place: moved on by the merge that registered it, and finished exactly
    /// once (a turn dropped unfinished counts as failed).
    final class Turn: Sendable {
        let turns: ChangeSetTurns
        let key: String
        private let ended = Mutex(false)

        fileprivate init(turns: ChangeSetTurns, key: String) {
            self.turns = turns
            self.key = key
        }

        func planned() { turns.move(key, to: .planned) }

        func finish(accepted: Bool) {
            guard !ended.withLock({ (ended: inout Bool) -> Bool in defer { ended = true }; return ended }) else { return }
            turns.move(key, to: accepted ? .accepted : .failed)
        }

        deinit { finish(accepted: false) }
    }
}
