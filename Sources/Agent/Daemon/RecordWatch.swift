#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Watches `STORE/records/` with inotify so the daemon syncs soon after the bureau saves a record
/// (`sync.watch`), instead of only on the interval.
///
/// There is no thread of its own: the descriptor is non-blocking and the daemon's sleep loop,
/// which already wakes every 100 ms, calls ``poll(now:)``. Events that arrive while a sync runs
/// wait in the kernel's queue and are read after it, so they cause one more sync; a queue
/// overflow (`IN_Q_OVERFLOW`) counts as a change.
///
/// Only events on names the scanner reads count (`*.json`, not starting with `.`): temporary
/// files of atomic writes and editor files (`.x.swp`, `x~`, `x.json.tmp-…`) are ignored. The
/// agent's own writes during a pull (`x.json.tmp-<pid>` renamed onto `x.json`) are recognised by
/// the rename's cookie and ignored too, so a pull does not trigger another sync.
///
/// "Settled": something changed, and nothing more for `settleSeconds`; a burst of a thousand
/// writes gives one sync.
public final class RecordWatch {
    public struct Failure: Error, CustomStringConvertible {
        public var operation: String
        public var code: Int32
        public var description: String { "inotify \(operation): \(String(cString: strerror(code)))" + (code == ENOSPC || code == EMFILE ? " (see fs.inotify.max_user_watches / max_user_instances)" : "") }
    }

    static let mask: UInt32 = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)

    public let directory: String
    public let settleSeconds: Double
    private var fd: Int32
    private var lastEvent: ContinuousClock.Instant?
    /// Cookies of renames away from our own temporary files (`x.json.tmp-<pid>`).
    private var ownRenames: [UInt32] = []
    private let ownSuffix = ".tmp-\(FileSystem.processID)"
    /// Relevant events seen so far (for tests and the debug log).
    public private(set) var eventCount = 0

    public init(directory: String, settleSeconds: Double) throws(Failure) {
        self.directory = directory
        self.settleSeconds = settleSeconds
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw Failure(operation: "init", code: errno) }
        if inotify_add_watch(fd, directory, Self.mask | UInt32(IN_ONLYDIR)) < 0 {
            let code = errno
            close(fd)
            throw Failure(operation: "add_watch \(directory)", code: code)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether a change is waiting (settled or not).
    public var pending: Bool { lastEvent != nil }

    /// Reads what the kernel queued; true when a change has settled (the caller then syncs and
    /// calls ``reset()``). Throws when the watch is broken (the folder went away, a read error):
    /// the caller closes it and syncs on the interval only.
    public func poll(now: ContinuousClock.Instant = .now) throws(Failure) -> Bool {
        try drain(now: now)
        guard let lastEvent else { return false }
        return now - lastEvent >= .milliseconds(Int64(settleSeconds * 1000))
    }

    /// A sync starts: what was seen so far is in it.
    public func reset() throws(Failure) {
        try drain(now: .now)
        lastEvent = nil
    }

    private func drain(now: ContinuousClock.Instant) throws(Failure) {
        let headerSize = MemoryLayout<inotify_event>.size
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return }
                if code == EINTR { continue }
                throw Failure(operation: "read", code: code)
            }
            if n == 0 { return }
            var offset = 0
            while offset + headerSize <= n {
                let (mask, cookie, length) = buffer.withUnsafeBytes { raw in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.mask, event.cookie, Int(event.len))
                }
                let nameStart = offset + headerSize
                let nameBytes = buffer[nameStart..<min(nameStart + length, n)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset = nameStart + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { note(now); continue }
                if mask & UInt32(IN_IGNORED) != 0 || mask & UInt32(IN_DELETE_SELF) != 0 {
                    throw Failure(operation: "watch of \(directory) ended (folder removed or moved)", code: ENOENT)
                }
                if mask & UInt32(IN_MOVED_FROM) != 0, name.hasSuffix(ownSuffix) {
                    ownRenames.append(cookie)
                    if ownRenames.count > 1024 { ownRenames.removeFirst(512) }
                    continue
                }
                if mask & UInt32(IN_MOVED_TO) != 0, let i = ownRenames.firstIndex(of: cookie) {
                    ownRenames.remove(at: i)
                    continue
                }
                if Self.isRecordName(name) { note(now) }
            }
        }
    }

    private func note(_ now: ContinuousClock.Instant) {
        lastEvent = now
        eventCount += 1
    }

    /// The names the scanner reads: `*.json`, not hidden. Editor swap and backup files, and the
    /// temporary files of atomic writes, end otherwise.
    public static func isRecordName(_ name: String) -> Bool {
        name.count > 5 && name.hasSuffix(".json") && !name.hasPrefix(".")
    }
}
