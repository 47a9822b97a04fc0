import Synchronization

/// A counting semaphore, first come first served: at most `limit` holders at once; the others
/// wait in the order they asked. `MergeService` holds one from planning a change set ahead until
/// its transaction ends, so that the plans made ahead, each holding the documents of the
/// records it touches, are few however many bureaus push at once.
final class PlanningSlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(free: self.limit))
    }

    /// Returns once a slot is the caller's.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { (state: inout State) -> Bool in
                guard state.free == 0 else {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// How many slots are free.
    var available: Int { state.withLock { $0.free } }

    /// How many callers wait for a slot.
    var waiting: Int { state.withLock { $0.waiting.count } }

    /// Whether one slot is taken and nobody waits: the caller holding it is the only one.
    var heldByOneAlone: Bool { state.withLock { $0.free == limit - 1 && $0.waiting.isEmpty } }

    /// Gives the slot to the first waiting, or back.
    func release() {
        let next = state.withLock { (state: inout State) -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
