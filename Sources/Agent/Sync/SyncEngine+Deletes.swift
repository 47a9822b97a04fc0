import EnterpriseModel
import Foundation
import SyncCore

/// A missing record file that is back: the delete request it made is taken back.
extension SyncEngine {
    /// Delete requests whose record file is back (restored from the base, or put again): the
    /// request no longer says what the bureau wants, so it is withdrawn at the province before
    /// anything else is sent, and the queue shows it withdrawn. One the province decided first
    /// stays, for the next pull to settle (and say so).
    func withdrawRestoredDeletes(_ summary: inout PushSummary) throws(AgentError) {
        let restored = state.pendingDeletes.filter { FileSystem.exists(store.recordFile($0.key)) }
        guard !restored.isEmpty else { return }
        for (uscc, conflictId) in restored.sorted(by: { $0.key < $1.key }) {
            do {
                _ = try client().withdraw(conflictId)
                state.pendingDeletes[uscc] = nil
                summary.withdrawn.append((uscc, conflictId))
                log("record \(uscc): its file is back, so the delete request (conflict \(conflictId)) was withdrawn at the province")
            } catch .server(let refusal) where refusal.kind == .conflict {
                log("record \(uscc): the delete request (conflict \(conflictId)) cannot be withdrawn: \(refusal.message); the next pull settles it")
            } catch .server(let refusal) where refusal.isNotVisible {
                log("record \(uscc): the delete request (conflict \(conflictId)) is no longer visible to this bureau (\(refusal.brief)); no longer waiting")
                state.pendingDeletes[uscc] = nil
            }
        }
        try saveState()
    }
}
