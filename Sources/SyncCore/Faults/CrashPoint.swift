#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Named places in a sync where the agent can be made to die by SIGKILL, so that the tests can
/// kill it at every step that writes, not only where a timer happens to land (the way SQLite
/// and FoundationDB test their crash safety).
///
/// `ESYNC_CRASH_AT=NAME` kills the process the first time it reaches `NAME`; `NAME:N` the N-th
/// time. Unset (every real run), `reach` costs one comparison. The names are `agent` and
/// `aggregator`.
public enum CrashPoint {
    /// The agent's points, in the order a sync reaches them.
    public static let agent = [
        "seal.written",        // the outbox file is durable, the state's sequence not yet saved
        "push.answered",       // the province committed and answered; nothing merged yet
        "batch.renamed",       // one record file of a batch renamed into place, the rest not
        "bases.appended",      // a batch's record files and bases in place; the state not saved
        "push.integrated",     // base and working copy merged; the outbox file still there
        "pull.fetched",        // a page of changes fetched; nothing written
        "pull.committed",      // a page merged into the files; the cursor not saved
        "state.saved",         // the state saved; the index not
        "heal.sealed",         // after a province's restore: recovery change sets sealed; bases and state not moved
        "heal.committed",      // bases and state moved to the new generation; recovery change sets not sent
    ]
    /// The aggregator's points.
    public static let aggregator = [
        "merge.written",       // inside the transaction of a change set: its records written, not committed
        "merge.committed",     // the change set committed; no answer sent yet
    ]

    private static let target: (name: String, hit: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["ESYNC_CRASH_AT"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let hits = Mutex(0)

    /// Dies here if the environment asks for it.
    public static func reach(_ name: String) {
        guard let target, target.name == name else { return }
        let hit = hits.withLock { n in
            n += 1
            return n
        }
        if hit == target.hit {
            FileHandle.standardError.write(Data("crash point \(name):\(hit) reached: SIGKILL\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
