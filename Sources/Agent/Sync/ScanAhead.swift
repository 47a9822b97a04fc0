import Foundation

/// `Scanner.list` on a thread of its own, started when the engine is made: the record folder is
/// listed and stat'ed while the index loads, and the first scan compares each batch of files as
/// it is listed (`FileListing`) instead of waiting for the whole folder (on a store of 100,000
/// records the listing and the comparison each took about a tenth of a 1 % sync).
final class ScanAhead: FileListing, @unchecked Sendable {
    /// A listing older than this is not used (the index load it overlaps takes a fraction of it).
    static let maxAgeNs: Int64 = 5_000_000_000
    /// Files handed over at a time.
    static let batchSize = 4_096

    /// Taken before the listing starts: no later than any stat it takes.
    let takenNs: Int64
    /// `listed`, `finished` and `failure` are read and written under `condition`.
    private let condition = NSCondition()
    private var listed: [(key: StatIndex.Key, stat: FileSystem.Stat)] = []
    private var finished = false
    private var failure: AgentError?

    /// `batchSize`: files handed over at a time (tests make it small).
    init(recordsPath: String, batchSize: Int = ScanAhead.batchSize) {
        takenNs = FileSystem.nowNs()
        let thread = Thread { [self] in
            var failure: AgentError?
            do throws(AgentError) {
                try Scanner.list(recordsPath, batchSize: batchSize) { batch in
                    condition.lock()
                    listed += batch
                    condition.broadcast()
                    condition.unlock()
                }
            } catch {
                failure = error
            }
            condition.lock()
            self.failure = failure
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    func listed(from position: Int) throws(AgentError) -> [(key: StatIndex.Key, stat: FileSystem.Stat)] {
        condition.lock()
        defer { condition.unlock() }
        while listed.count <= position && !finished { condition.wait() }
        if let failure { throw failure }
        // A copy of what is new: the thread appends to `listed` meanwhile.
        return position >= listed.count ? [] : Array(listed[position...])
    }
}
