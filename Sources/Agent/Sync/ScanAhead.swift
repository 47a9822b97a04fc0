import Foundation

/// `Scanner.snapshot` on a thread of its own, started when the engine is made.
final class ScanAhead: @unchecked Sendable {
    /// A snapshot older than this is not used (the index load it overlaps takes a fraction of it).
    static let maxAgeNs: Int64 = 5_000_000_000
    private var result: Result<Scanner.Snapshot, AgentError>?
    private let done = DispatchSemaphore(value: 0)

    init(recordsPath: String) {
        let thread = Thread { [self] in
            do throws(AgentError) { result = .success(try Scanner.snapshot(of: recordsPath)) } catch { result = .failure(error) }
            done.signal()
        }
        thread.start()
    }

    func snapshot() throws(AgentError) -> Scanner.Snapshot {
        done.wait()
        done.signal()
        return try result!.get()
    }
}
