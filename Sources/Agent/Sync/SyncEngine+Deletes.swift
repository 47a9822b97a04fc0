import EnterpriseModel
import Foundation
import SyncCore

/// What a missing record file means: a delete request, one the bureau took back by restoring
/// the file, or no deletion at all when the record is still there under another name.
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

    /// Records whose file was renamed (`mv CODE.json other.json`): the file under the other
    /// name is an invalid file and nothing else, so the record it holds is not deleted. Its
    /// entry in `scan.invalid` says which record it holds and how to put it back.
    func renamedRecords(_ scan: inout ScanReport) -> [String: String] {
        guard !scan.deleted.isEmpty, !scan.invalid.isEmpty else { return [:] }
        let deleted = Set(scan.deleted)
        var renamed: [String: String] = [:]
        for n in scan.invalid.indices {
            let file = scan.invalid[n].file
            guard let bytes = FileManager.default.contents(atPath: store.root + "/" + file),
                  let uscc = (try? JSONValue.parse(bytes))?["uscc"]?.stringValue, deleted.contains(uscc), renamed[uscc] == nil,
                  file != "records/" + Store.fileName(for: uscc) else { continue }
            renamed[uscc] = file
            scan.invalid[n].reason += "; it holds record \(uscc), whose file \(Store.fileName(for: uscc)) is gone: a record file must be named after its credit code (rename it back to \(Store.fileName(for: uscc))); the record is not deleted"
        }
        return renamed
    }
}
