import SyncCore

extension MergeService {
    /// Waits until change set `id` (of `region`) has reached `stage` here, or has been accepted
    /// (here, by another instance, or before); throws `.outOfOrder` when it failed, neither came
    /// nor was found in the register within `predecessorWait`, or is still being merged here
    /// after `mergeWait`. `successor`: the change set that waits, for the message.
    func awaitTurn(of id: String, region: String, until stage: ChangeSetTurns.Stage, for successor: String) async throws {
        let key = ChangeSetTurns.key(id, region: region)
        let started = ContinuousClock.now
        var delay = Duration.milliseconds(10)
        while true {
            let left = started + mergeWait - ContinuousClock.now
            switch await turns.wait(for: key, until: stage, timeout: max(left, .zero)) {
            case .failed?:
                throw ServiceError.outOfOrder("change set \(successor) was sent after change set \(id), which the province did not apply; nothing applied: send it again after that one")
            case let reached? where reached >= stage:
                return
            case _?:
                guard ContinuousClock.now < started + mergeWait else {
                    throw ServiceError.outOfOrder("change set \(successor) was sent after change set \(id), which is still being merged after \(mergeWait); nothing applied: send it again after that one")
                }
            case nil:
                // Not being merged here: accepted already (here and forgotten, by another instance,
                // before a restart), or still on its way.
                if try await database.read({ register in try register.changeSetKnown(id) }) { return }
                guard ContinuousClock.now < started + predecessorWait else {
                    throw ServiceError.outOfOrder("change set \(successor) was sent after change set \(id), which has not reached the province within \(predecessorWait); nothing applied: send it again after that one")
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .milliseconds(160))
            }
        }
    }
}
