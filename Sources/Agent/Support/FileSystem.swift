#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPosix

/// Thin POSIX file operations: the store touches up to hundreds of thousands of files, so no
/// `FileManager` per file, and every write is atomic.
public enum FileSystem {
    public struct Stat: Sendable, Equatable, Hashable {
        public var size: Int64
        public var mtimeNs: Int64
        public var ctimeNs: Int64
        public var inode: UInt64
        public var isRegular: Bool
    }

    public static func statFile(_ path: String) -> Stat? {
        var st = Glibc.stat()
        guard stat(path, &st) == 0 else { return nil }
        return Stat(st)
    }

    /// `statFile(path)` of `name` in the open folder `dirFD` (links followed, as there).
    static func statFile(dirFD: Int32, name: String) -> Stat? {
        var st = Glibc.stat()
        guard fstatat(dirFD, name, &st, 0) == 0 else { return nil }
        return Stat(st)
    }

    /// `fstatat` relative to an open directory: one syscall, no path building in the kernel.
    static func statFile(dirFD: Int32, name: UnsafePointer<CChar>) -> Stat? {
        var st = Glibc.stat()
        guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return Stat(st)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The permission bits of the file at `path` (after symlinks), or nil when it cannot be stat'ed.
    public static func permissions(_ path: String) -> mode_t? {
        var st = Glibc.stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = Glibc.stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func makeDirectory(_ path: String) throws(AgentError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .io(path: path, operation: "create the folder", errno: errno) }
    }

    public static func makeDirectories(_ path: String) throws(AgentError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            try makeDirectory(current)
        }
    }

    /// This process's id, for the names of its temporaries (asked once: a first upload names
    /// one per record it writes).
    public static let processID = getpid()

    public static func read(_ path: String) throws(AgentError) -> [UInt8] {
        guard let bytes = try readIfPresent(path) else { throw .io(path: path, operation: "open", errno: ENOENT) }
        return bytes
    }

    /// `read`, or nil when there is no such file (one open instead of a check and an open).
    public static func readIfPresent(_ path: String) throws(AgentError) -> [UInt8]? {
        try readIfPresent(open(path, O_RDONLY | O_CLOEXEC), path: path)
    }

    /// `read` of `name` in the open folder `dirFD`; `path` names the file in errors.
    /// `regularFileSize`: the size a stat just gave of the regular file there, which spares the
    /// read its own `fstat` (one call in four of reading 100,000 record files); a file that has
    /// grown or shrunk since is still read whole, to its end.
    static func read(in dirFD: Int32, name: String, path: @autoclosure () -> String, regularFileSize: Int64? = nil) throws(AgentError) -> [UInt8] {
        guard let bytes = try readIfPresent(openat(dirFD, name, O_RDONLY | O_CLOEXEC), path: path(), regularFileSize: regularFileSize) else {
            throw .io(path: path(), operation: "open", errno: ENOENT)
        }
        return bytes
    }

    /// The whole of the file `fd` just opened (or nil when `open` found no such file); closes it.
    private static func readIfPresent(_ fd: Int32, path: @autoclosure () -> String, regularFileSize: Int64? = nil) throws(AgentError) -> [UInt8]? {
        guard fd >= 0 else {
            let code = errno  // (before the path is made: that may allocate, and set errno)
            if code == ENOENT { return nil }
            throw .io(path: path(), operation: "open", errno: code)
        }
        defer { close(fd) }
        let expected: Int, regular: Bool
        if let regularFileSize {
            (expected, regular) = (Int(regularFileSize), true)
        } else {
            var st = Glibc.stat()
            let known = fstat(fd, &st) == 0
            (expected, regular) = (known ? Int(st.st_size) : 0, known && (st.st_mode & S_IFMT) == S_IFREG)
        }
        var bytes = [UInt8](repeating: 0, count: max(expected, 0) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let n = bytes.withUnsafeMutableBytes { buf in Glibc.read(fd, buf.baseAddress! + count, buf.count - count) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .io(path: path(), operation: "read", errno: code)
            }
            if n == 0 { break }
            count += n
            // As long as the stat said, and short of the byte past it: the end (a read of 100,000
            // record files otherwise makes 100,000 more calls to find nothing after it).
            if count == expected && expected > 0 && regular { break }
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Up to `count` bytes from the start of a file, or nil when it cannot be read: a look at
    /// a file's first line without reading all of it.
    public static func readPrefix(_ path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { buf in Glibc.read(fd, buf.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            filled += n
        }
        return Array(bytes[..<filled])
    }

    /// Writes `bytes` to `path` so that a crash at any instant leaves the old or the new file,
    /// never a torn one: a temporary file in the same folder, fsync, rename, fsync of the folder.
    /// (Many files at once: `AtomicBatch`, which flushes once for all of them.)
    /// `mode`: the new file's permissions from its creation on (0o600 for a secret).
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(AgentError) {
        let temp = try writeTemporary(for: path, bytes, fsync: true, mode: mode)
        if rename(temp, path) != 0 {
            let e = errno
            unlink(temp)
            throw .io(path: path, operation: "rename into place", errno: e)
        }
        try syncDirectory(of: path)
    }

    /// `writeAtomically` for contents made piece by piece: `contents` hands each piece to the
    /// function it is given, so a large file is never held whole in memory.
    public static func writeAtomically(_ path: String,
                                       contents: ((_ piece: [UInt8]) throws(AgentError) -> Void) throws(AgentError) -> Void) throws(AgentError) {
        let temp = path + ".tmp-\(processID)"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: temp, operation: "create", errno: errno) }
        var closed = false
        defer { if !closed { close(fd); unlink(temp) } }
        try contents { (piece) throws(AgentError) in
            if let e = writeAll(fd, piece) { throw .io(path: path, operation: "write", errno: e) }
        }
        if fsync(fd) != 0 { throw .io(path: path, operation: "fsync", errno: errno) }
        close(fd)
        closed = true
        if rename(temp, path) != 0 {
            let e = errno
            unlink(temp)
            throw .io(path: path, operation: "rename into place", errno: e)
        }
        try syncDirectory(of: path)
    }

    /// Writes what `contents` hands over, piece by piece, at `offset` of an existing file, cutting
    /// off whatever followed (a torn earlier append), then fsyncs it. Returns false, writing
    /// nothing, when the file is no longer the one expected (another inode: replaced since;
    /// shorter than `offset`).
    public static func append(_ path: String, at offset: Int, expectingInode inode: UInt64,
                              contents: ((_ piece: [UInt8]) throws(AgentError) -> Void) throws(AgentError) -> Void) throws(AgentError) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open for appending", errno: errno) }
        defer { close(fd) }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
        guard UInt64(st.st_ino) == inode, Int(st.st_size) >= offset else { return false }
        if ftruncate(fd, off_t(offset)) != 0 { throw .io(path: path, operation: "truncate", errno: errno) }
        var end = offset
        try contents { (piece) throws(AgentError) in
            if let e = writeAll(fd, piece, at: end) { throw .io(path: path, operation: "append", errno: e) }
            end += piece.count
        }
        if fsync(fd) != 0 { throw .io(path: path, operation: "fsync", errno: errno) }
        return true
    }

    /// Writes `bytes` in full to a temporary file next to `path` and returns its name; on any
    /// error the temporary is removed and the error names `path`.
    static func writeTemporary(for path: String, _ bytes: [UInt8], fsync flush: Bool, mode: mode_t = 0o644) throws(AgentError) -> String {
        let temp = path + ".tmp-\(processID)"
        // A leftover of a crashed run would keep its permissions: a secret's temporary starts afresh.
        if mode != 0o644 { unlink(temp) }
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(path: temp, operation: "create", errno: errno) }
        func fail(_ operation: String, _ e: Int32) -> AgentError {
            close(fd)
            unlink(temp)
            return .io(path: path, operation: operation, errno: e)
        }
        if let e = writeAll(fd, bytes) { throw fail("write", e) }
        if flush && fsync(fd) != 0 { throw fail("fsync", errno) }
        close(fd)
        return temp
    }

    /// Writes all of `bytes` to `fd`, at `offset` or else at the file's position, through short
    /// writes and interruptions; the errno of a failure, or nil.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int? = nil) -> Int32? {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                let start = buf.baseAddress! + written, count = buf.count - written
                return if let offset { pwrite(fd, start, count, off_t(offset + written)) } else { write(fd, start, count) }
            }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += n
        }
        return nil
    }

    public static func syncDirectory(of path: String) throws(AgentError) {
        let dir = directoryName(path)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: dir, operation: "open", errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .io(path: dir, operation: "fsync", errno: errno) }
    }

    /// Flushes every dirty page of the file system holding `path`: one call that makes a batch of
    /// written-but-not-fsynced temporaries durable (see `AtomicBatch`).
    public static func syncFileSystem(containing path: String) throws(AgentError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        if esync_syncfs(fd) != 0 { throw .io(path: path, operation: "syncfs", errno: errno) }
    }

    public static func remove(_ path: String) throws(AgentError) {
        if unlink(path) != 0 && errno != ENOENT { throw .io(path: path, operation: "remove", errno: errno) }
    }

    /// Names in a folder (no `.` or `..`), unsorted.
    public static func list(_ path: String) throws(AgentError) -> [String] {
        guard let dir = opendir(path) else { throw .io(path: path, operation: "list", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func absolute(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return path }
        return base + "/" + path
    }

    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        return buffer.withUnsafeMutableBufferPointer { p in
            getcwd(p.baseAddress, p.count) != nil ? String(cString: p.baseAddress!) : "."
        }
    }

    public static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Whether the folder is on a local file system whose timestamps this machine's kernel
    /// makes from its own clock tick (ext2/3/4, XFS, btrfs, tmpfs, overlay, F2FS): there a
    /// file's ctime can be compared with `nowNs` to a few milliseconds. Not a network file
    /// system (the server's clock) nor FAT; false when it cannot be told.
    public static func keepsLocalFineTimestamps(_ path: String) -> Bool {
        // ext2/3/4, XFS, btrfs, tmpfs, overlay, F2FS (statfs(2)'s magic numbers).
        let local: Set<Int> = [0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994, 0x794C_7630, 0xF2F5_2010]
        return local.contains(esync_file_system_type(path))
    }
}

extension FileSystem.Stat {
    init(_ st: Glibc.stat) {
        size = Int64(st.st_size)
        mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNs = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        inode = UInt64(st.st_ino)
        isRegular = (st.st_mode & S_IFMT) == S_IFREG
    }
}
