#if canImport(Glibc)
import Glibc
#endif
import SyncCore

/// Many atomic file replacements made durable with one flush instead of one fsync per file.
///
/// Every file is first written in full to a temporary name; `commit` flushes the file system
/// once (`syncfs`), then renames each into place and fsyncs the folders. A crash before the
/// flush leaves only stray temporaries (the old files are intact); after it, each final name
/// holds either the old or the complete new content.
public final class AtomicBatch {
    /// What the final file must still be when the batch is committed, so that a file someone
    /// saved meanwhile is never replaced.
    public enum Expectation: Sendable {
        case any
        /// Replace only if the file still has this stat (nobody saved it since it was read).
        case unchanged(FileSystem.Stat)
        /// Create only if there is still no file.
        case absent
    }

    private var renames: [(temp: String, final: String, expectation: Expectation, group: String?)] = []
    private var removals: [String] = []
    private var directories = Set<String>()
    private let anchor: String
    /// `ANCHOR/writing-PID-ID`, while the batch has temporaries (see `Store.removeStaleTemporaries`).
    private var marker: String?

    /// `anchor`: the store's state folder (`.esync`), on the file system the batch writes to.
    public init(anchor: String) { self.anchor = anchor }

    /// The name of the marker a batch keeps while it has temporaries, for a process.
    public static let markerPrefix = "writing-"

    /// A batch dropped without `commit` (an error while staging: a full disk) leaves no
    /// temporaries behind.
    deinit { abandon() }

    public var isEmpty: Bool { renames.isEmpty && removals.isEmpty }
    public var pendingCount: Int { renames.count + removals.count }

    /// Stages `bytes` for `path`. When a guarded write of a `group` is skipped at commit, the
    /// group's later writes are skipped too (a record's base is not moved past a working copy
    /// that could not be merged).
    public func write(_ path: String, _ bytes: [UInt8], expecting expectation: Expectation = .any, group: String? = nil) throws(AgentError) {
        if marker == nil {
            // Durable before any temporary: whoever finds it after a crash sweeps the folders.
            let name = anchor + "/" + Self.markerPrefix + "\(getpid())-\(UInt(bitPattern: ObjectIdentifier(self).hashValue))"
            try FileSystem.writeAtomically(name, [])
            marker = name
        }
        let temp = try FileSystem.writeTemporary(for: path, bytes, fsync: false)
        renames.append((temp, path, expectation, group))
        directories.insert(FileSystem.directoryName(path))
    }

    public func remove(_ path: String) {
        removals.append(path)
        directories.insert(FileSystem.directoryName(path))
    }

    /// Makes the batch durable and returns the groups whose guarded writes were skipped.
    @discardableResult
    public func commit() throws(AgentError) -> Set<String> {
        if isEmpty { return [] }
        if !renames.isEmpty { try FileSystem.syncFileSystem(containing: anchor) }
        var skipped = Set<String>()
        for (temp, final, expectation, group) in renames {
            let holds: Bool
            switch expectation {
            case .any: holds = true
            case .unchanged(let stat): holds = FileSystem.statFile(final) == stat
            case .absent: holds = !FileSystem.exists(final)
            }
            if !holds || group.map(skipped.contains) == true {
                unlink(temp)
                if let group { skipped.insert(group) }
                continue
            }
            if rename(temp, final) != 0 { throw .io(path: final, operation: "rename into place", errno: errno) }
            CrashPoint.reach("batch.renamed")
        }
        for path in removals { try FileSystem.remove(path) }
        for dir in directories.sorted() { try FileSystem.syncDirectory(of: dir + "/x") }
        renames.removeAll()
        removals.removeAll()
        directories.removeAll()
        dropMarker()
        return skipped
    }

    /// Drops uncommitted temporaries (after an error).
    public func abandon() {
        for entry in renames { unlink(entry.temp) }
        renames.removeAll()
        removals.removeAll()
        dropMarker()
    }

    private func dropMarker() {
        if let marker { unlink(marker) }
        marker = nil
    }
}
