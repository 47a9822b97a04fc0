#if canImport(Glibc)
import Glibc
#endif
import EnterpriseModel
import SyncCore

/// What a scan of the working copy found.
public struct ScanReport: Sendable {
    public var filesSeen = 0
    /// Working files read (and parsed and hashed) by this scan: zero on an unchanged store.
    public var filesRead = 0
    /// Files that do not parse or fail validation, by file name, with the reason.
    public var invalid: [(file: String, reason: String)] = []
    /// Records whose working copy differs from the base (creates and updates).
    public var changed: [String] = []
    /// Records with a base but no working file: delete requests.
    public var deleted: [String] = []
    /// The scan changed the index (a file was read, or one disappeared): it is worth saving.
    public var indexChanged = false
}

/// Finds the records whose working copy changed, in O(changes) reads: every file is stat'ed and
/// compared with the index; only files whose stat differs are read, parsed and hashed.
public struct Scanner {
    public let store: Store
    /// How recent a modification makes a file's stat untrustworthy (see `StatIndex`).
    public var racyWindowNs: Int64

    public init(store: Store, racyWindowNs: Int64 = StatIndex.racyWindowNs) {
        self.store = store
        self.racyWindowNs = racyWindowNs
    }

    /// Scans and updates `index` in place. Returns the report; the caller saves the index.
    public func scan(_ index: inout StatIndex) throws(AgentError) -> ScanReport {
        var report = ScanReport()
        let now = FileSystem.nowNs()
        let dirFD = open(store.recordsPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw .io(path: store.recordsPath, operation: "open", errno: errno) }
        defer { close(dirFD) }

        // Entries with a working file that the directory must show; when it shows them all
        // (the usual case), nothing went missing and no set of names is kept.
        var expected = 0
        for entry in index.entries.storage.values where entry.hasWorkingFile { expected += 1 }
        var matched = 0
        try Self.forEachRecordFile(dirFD: dirFD, path: store.recordsPath) { key, name, stemLength in
            guard let stat = FileSystem.statFile(dirFD: dirFD, name: name), stat.isRegular else { return }
            report.filesSeen += 1
            var cached = index.entries.storage[key] ?? StatIndex.Entry()
            if cached.hasWorkingFile { matched += 1 }
            if cached.size >= 0, cached.size == stat.size, cached.mtimeNs == stat.mtimeNs,
               cached.ctimeNs == stat.ctimeNs, cached.inode == stat.inode, cached.hasWorkingFile {
                return
            }
            let stem = String(decoding: UnsafeRawBufferPointer(start: name, count: stemLength), as: UTF8.self)
            report.filesRead += 1
            report.indexChanged = true
            cached.docHash = hashWorkingFile(stem)
            cached.size = isRacy(stat, now: now) ? -1 : stat.size
            cached.mtimeNs = stat.mtimeNs
            cached.ctimeNs = stat.ctimeNs
            cached.inode = stat.inode
            index.entries.set(key, cached)
        }

        if matched != expected {
            // Some files went: list the names again to find which (deletes are rare).
            var seen = Set<StatIndex.Key>()
            seen.reserveCapacity(matched)
            try Self.forEachRecordFile(dirFD: dirFD, path: store.recordsPath) { key, name, _ in
                if FileSystem.statFile(dirFD: dirFD, name: name)?.isRegular == true { seen.insert(key) }
            }
            for (key, var entry) in index.entries.storage where !seen.contains(key) && entry.hasWorkingFile {
                report.indexChanged = true
                entry.docHash = ""
                entry.size = -1
                index.entries.set(key, entry.hasBase ? entry : nil)
            }
        }
        for (key, entry) in index.entries.storage where entry.size < 0 || !entry.hasWorkingFile || entry.doc != entry.base {
            let uscc = key.text
            if let reason = entry.invalidReason {
                report.invalid.append((file: "records/" + Store.fileName(for: uscc), reason: reason))
            } else if !entry.hasWorkingFile {
                if entry.hasBase { report.deleted.append(uscc) }
            } else if entry.isPending {
                report.changed.append(uscc)
            }
        }
        // Sorted here, not by walking the whole index in order: only what needs work is sorted.
        report.invalid.sort { $0.file < $1.file }
        report.deleted.sort()
        report.changed.sort()
        return report
    }

    /// Calls `body` with the key, the NUL-terminated name and the length of the name without
    /// `.json` of every `*.json` entry of the folder (temporary files of atomic writes and editor
    /// backups end otherwise; hidden files are skipped). No string is made per name.
    static func forEachRecordFile(dirFD: Int32, path: String,
                                  _ body: (StatIndex.Key, UnsafePointer<CChar>, Int) throws(AgentError) -> Void) throws(AgentError) {
        guard let dir = fdopendir(dup(dirFD)) else { throw .io(path: path, operation: "list", errno: errno) }
        defer { closedir(dir) }
        rewinddir(dir)  // a duplicate shares the position of an earlier listing
        while let entry = readdir(dir) {
            // The name lives in the directory stream's buffer until the next `readdir`.
            let name = (UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!).assumingMemoryBound(to: CChar.self)
            let len = strlen(name)
            guard len > 5, strcmp(name + len - 5, ".json") == 0, name[0] != 0x2E else { continue }
            try body(StatIndex.Key(UnsafeRawBufferPointer(start: name, count: len - 5)), name, len - 5)
        }
    }

    /// A file modified less than the racy window before the scan may be modified again within the
    /// same clock tick without changing its stat: its entry is not trusted until it is older.
    /// Both times count: an edit that puts the mtime back (`cp -p`, `touch -r`) moves the ctime.
    func isRacy(_ stat: FileSystem.Stat, now: Int64) -> Bool {
        max(stat.mtimeNs, stat.ctimeNs) >= now - racyWindowNs
    }

    func hashWorkingFile(_ uscc: String) -> String {
        do {
            let document = try store.readRecord(uscc)
            return ContentHash.of(document)
        } catch {
            let reason: String
            if case .invalidRecord(_, let r) = error { reason = r } else { reason = error.description }
            return "!" + reason
        }
    }

    /// Records the stat of a working file the agent itself just wrote with known content.
    public func noteWritten(_ uscc: String, document: JSONValue, in index: inout StatIndex) {
        var entry = index.entries[uscc] ?? StatIndex.Entry()
        entry.docHash = ContentHash.of(document)
        if let stat = FileSystem.statFile(store.recordFile(uscc)) {
            entry.size = isRacy(stat, now: FileSystem.nowNs()) ? -1 : stat.size
            entry.mtimeNs = stat.mtimeNs
            entry.ctimeNs = stat.ctimeNs
            entry.inode = stat.inode
        } else {
            entry.size = -1
        }
        index.entries[uscc] = entry
    }
}
