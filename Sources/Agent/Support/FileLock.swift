#if canImport(Glibc)
import Glibc
#endif

/// The store's lock (`.esync/lock`, flock): the daemon and a manual command never change the
/// store at once. The holder writes its pid and command into the file so that a waiting command
/// can say who holds it.
public final class FileLock {
    public let path: String
    private var fd: Int32 = -1

    public init(path: String) { self.path = path }

    deinit { unlock() }

    /// Tries once; true when the lock is now held.
    public func tryLock(holder: String) throws(AgentError) -> Bool {
        if fd >= 0 { return true }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(path: path, operation: "open the lock", errno: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            close(descriptor)
            return false
        }
        fd = descriptor
        ftruncate(fd, 0)
        let text = Array("pid \(getpid()): \(holder)\n".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return true
    }

    /// Waits up to `timeoutSeconds` (or until `giveUp` says so), then fails naming the holder.
    public func lock(holder: String, timeoutSeconds: Double, giveUp: () -> Bool = { false }) throws(AgentError) {
        let start = FileSystem.nowNs()
        while true {
            if try tryLock(holder: holder) { return }
            if giveUp() { throw .lockHeld(path: path, holder: currentHolder(), waitedSeconds: Double(FileSystem.nowNs() - start) / 1e9) }
            let waited = Double(FileSystem.nowNs() - start) / 1e9
            if waited >= timeoutSeconds {
                throw .lockHeld(path: path, holder: currentHolder(), waitedSeconds: waited)
            }
            usleep(100_000)
        }
    }

    public func currentHolder() -> String {
        guard let bytes = try? FileSystem.read(path), !bytes.isEmpty else { return "another process" }
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }

    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
}
