#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import EnterpriseModel
import Foundation
import SyncCore

/// What a scan of the working copy found.
public struct ScanReport: Sendable {
    public var filesSeen = 0
    /// Working files read (and parsed and hashed) by this scan: zero on an unchanged store.
    public var filesRead = 0
    /// Files that do not parse or fail validation, by file name, with the reason.
    public var invalid: [(file: String, reason: String)] = []
    /// Records whose working copy differs from the base (creates and updates), by credit code.
    public var changed = StatIndex.NameList()
    /// Records with a base but no working file: delete requests.
    public var deleted: [String] = []
    /// The scan changed the index (a file was read, or one disappeared): it is worth saving.
    public var indexChanged = false
    /// The documents of the first `Scanner.documentsKept` files read, by credit code: the diff
    /// that follows takes them instead of reading and parsing each file again.
    var documents: [String: Scanner.Parsed] = [:]
    /// When the snapshot the scan compared was taken.
    var takenNs: Int64 = 0
}

/// What a scan compares with the index: the stat of every record file, taken from `takenNs` on
/// (a file modified within the racy window before it is read again). A `Scanner.Snapshot` has
/// them all; a `ScanAhead` hands them over as its thread lists them, so that a scan compares
/// the first files while the rest of the folder is being listed.
protocol FileListing {
    var takenNs: Int64 { get }
    /// The files listed from `position` on, in directory order; waits while none are and the
    /// listing goes on; empty once every file was given.
    func listed(from position: Int) throws(AgentError) -> [(key: StatIndex.Key, stat: FileSystem.Stat)]
}

/// Finds the records whose working copy changed, in O(changes) reads: every file is stat'ed and
/// compared with the index; only files whose stat differs are read, parsed and hashed.
public struct Scanner {
    public let store: Store
    /// How recent a modification makes a file's stat untrustworthy (see `StatIndex`): in general,
    /// and on a local file system whose ctimes have fractions of a second.
    public var racyWindowNs: Int64
    public var fineRacyWindowNs: Int64
    /// The store's records are on a local file system with fine timestamps (see
    /// `FileSystem.keepsLocalFineTimestamps`): only there is the short window used.
    var localFineTimestamps: Bool
    /// A working file as read and parsed: its document, the document's canonical bytes and
    /// their content hash (what the index notes). A push keeps it until the province's answer,
    /// which takes the document in without encoding it again when the province holds the same.
    struct Parsed {
        let document: JSONValue
        let canonical: [UInt8]
        let hash: String
    }

    /// How many parsed documents a scan keeps for the diff (a change set's worth: the first
    /// upload of a large store reads every file, and keeping them all would hold the store).
    static let documentsKept = 1_000

    /// `fineRacyWindowNs` defaults to the shorter of `racyWindowNs` and `StatIndex.fineRacyWindowNs`.
    public init(store: Store, racyWindowNs: Int64 = StatIndex.racyWindowNs, fineRacyWindowNs: Int64? = nil) {
        self.store = store
        self.racyWindowNs = racyWindowNs
        self.fineRacyWindowNs = fineRacyWindowNs ?? min(racyWindowNs, StatIndex.fineRacyWindowNs)
        localFineTimestamps = FileSystem.keepsLocalFineTimestamps(store.recordsPath)
    }

    /// The stat of every record file at one moment: the first half of a scan, which needs no
    /// index (a command that scans lists the folder on a second thread while the index loads,
    /// see `ScanAhead`).
    public struct Snapshot: Sendable, FileListing {
        /// When the stats were taken: a file modified within the racy window before is re-read.
        let takenNs: Int64
        /// Regular `*.json` files only, in directory order.
        let files: [(key: StatIndex.Key, stat: FileSystem.Stat)]

        func listed(from position: Int) -> [(key: StatIndex.Key, stat: FileSystem.Stat)] {
            position == 0 ? files : Array(files[min(position, files.count)...])
        }
    }

    /// The stat of every record file of `recordsPath` now (see `list`).
    public static func snapshot(of recordsPath: String) throws(AgentError) -> Snapshot {
        let now = FileSystem.nowNs()
        var files: [(key: StatIndex.Key, stat: FileSystem.Stat)] = []
        try list(recordsPath, batchSize: 4_096) { files += $0 }
        return Snapshot(takenNs: now, files: files)
    }

    /// Lists the folder and stats each record file: `readdir` and `fstatat` relative to the
    /// folder, no string per name; hands them to `batch` in directory order, the files of
    /// `batchSize` names at a time (fewer when some are not regular files or went missing). The stats of a batch are taken on up to
    /// `statThreads` threads at once: on a store of 100,000 records they are most of a sync that
    /// finds nothing to do, and the kernel answers them on every core. Temporary files of atomic
    /// writes and editor backups do not end in `.json`; hidden files are skipped. A listing cut
    /// short by an error (a network file system that fails mid-way) or a file that cannot be
    /// stat'ed throws, naming the folder or file: the records not listed would otherwise look
    /// deleted. A file gone between the listing and its stat (an editor's save, a `mv`) is left
    /// out, as if listed a moment later.
    static func list(_ recordsPath: String, batchSize: Int, statThreads: Int = Scanner.statThreads,
                     _ batch: ([(key: StatIndex.Key, stat: FileSystem.Stat)]) -> Void) throws(AgentError) {
        guard let dir = opendir(recordsPath) else { throw .io(path: recordsPath, operation: "list", errno: errno) }
        defer { closedir(dir) }
        let dirFD = dirfd(dir)
        var names = NameBatch()
        names.reserve(batchSize)
        var files: [(key: StatIndex.Key, stat: FileSystem.Stat)] = []
        files.reserveCapacity(batchSize)
        func flush() throws(AgentError) {
            let stats = names.stat(relativeTo: dirFD, threads: statThreads)
            for n in 0..<names.count {
                guard let stat = stats[n].stat else {
                    if stats[n].errno == ENOENT { continue }
                    throw .io(path: recordsPath + "/" + names.name(n), operation: "stat", errno: stats[n].errno)
                }
                guard stat.isRegular else { continue }
                files.append((names.key(n), stat))
            }
            names.removeAll()
            if !files.isEmpty { batch(files) }
            files.removeAll(keepingCapacity: true)
        }
        while true {
            // nil at the end and on an error, which only errno tells apart.
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw .io(path: recordsPath, operation: "list", errno: errno) }
                break
            }
            // The name lives in the directory stream's buffer until the next `readdir`.
            let name = (UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!).assumingMemoryBound(to: CChar.self)
            let len = strlen(name)
            guard len > 5, strcmp(name + len - 5, ".json") == 0, name[0] != 0x2E else { continue }
            names.append(name, length: len)
            if names.count == batchSize { try flush() }
        }
        if names.count > 0 { try flush() }
    }

    /// Threads that stat a batch of listed files at once.
    static let statThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Names read from a directory, each with its terminating NUL, in one buffer.
    struct NameBatch {
        private var bytes: [CChar] = []
        private var starts: [Int] = []

        var count: Int { starts.count }

        mutating func reserve(_ names: Int) {
            bytes.reserveCapacity(names * 24)
            starts.reserveCapacity(names)
        }

        mutating func append(_ name: UnsafePointer<CChar>, length: Int) {
            starts.append(bytes.count)
            bytes.append(contentsOf: UnsafeBufferPointer(start: name, count: length + 1))
        }

        mutating func removeAll() {
            bytes.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
        }

        func name(_ n: Int) -> String {
            bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress! + starts[n]) }
        }

        /// The record key of name `n` (without `.json`).
        func key(_ n: Int) -> StatIndex.Key {
            let end = (n + 1 < starts.count ? starts[n + 1] : bytes.count) - 6
            return bytes.withUnsafeBytes { StatIndex.Key(UnsafeRawBufferPointer(rebasing: $0[starts[n]..<end])) }
        }

        /// `fstatat` of every name, on up to `threads` threads (one for a short batch); a
        /// failure's `errno` with it.
        func stat(relativeTo dirFD: Int32, threads: Int) -> [(stat: FileSystem.Stat?, errno: Int32)] {
            var results = [(stat: FileSystem.Stat?, errno: Int32)](repeating: (nil, 0), count: starts.count)
            let parts = starts.count < 512 ? 1 : max(1, threads)
            bytes.withUnsafeBufferPointer { bytes in
                starts.withUnsafeBufferPointer { starts in
                    results.withUnsafeMutableBufferPointer { results in
                        // Each part writes its own slice of `results`.
                        let shared = SharedBuffers(bytes: bytes, starts: starts, results: results)
                        DispatchQueue.concurrentPerform(iterations: parts) { part in
                            let from = shared.starts.count * part / parts, to = shared.starts.count * (part + 1) / parts
                            for n in from..<to {
                                let stat = FileSystem.statFile(dirFD: dirFD, name: shared.bytes.baseAddress! + shared.starts[n])
                                shared.results[n] = (stat, stat == nil ? errno : 0)
                            }
                        }
                    }
                }
            }
            return results
        }

        private struct SharedBuffers: @unchecked Sendable {
            let bytes: UnsafeBufferPointer<CChar>
            let starts: UnsafeBufferPointer<Int>
            let results: UnsafeMutableBufferPointer<(stat: FileSystem.Stat?, errno: Int32)>
        }
    }

    /// Scans and updates `index` in place, from `snapshot` when given (taken since the last
    /// change the caller made to the folder) or from the folder now. Returns the report; the
    /// caller saves the index.
    ///
    /// `deferNew` (a push, whose diff reads every changed file anyway): a file the index has no
    /// entry for (a new record; every file of a first upload) is listed as changed without being
    /// read here, so that it is read, parsed and validated once, by the diff, instead of twice.
    /// Its entry keeps the stat seen and `unreadHash` until the diff notes what it read
    /// (`StatIndex.Entry.isUnread`; a scan reads such an entry's file again, whatever its stat,
    /// should the push stop before). When a file went missing, new files are read here as
    /// without `deferNew`: one of them may be a record renamed away from its name, which must
    /// be known as invalid before the missing one is taken for a delete.
    func scan(_ index: inout StatIndex, snapshot: (any FileListing)? = nil, deferNew: Bool = false) throws(AgentError) -> ScanReport {
        var report = ScanReport()
        let listing: any FileListing = if let snapshot { snapshot } else { try Self.snapshot(of: store.recordsPath) }
        let now = listing.takenNs
        report.takenNs = now

        // Entries with a working file that the folder must show; when it shows them all (the
        // usual case), nothing went missing and no set of names is made.
        let expected = index.entries.count { $0.pointee.hasWorkingFile }
        var matched = 0
        var deferred = 0
        // Room for every file at once: a table grown step by step holds its old and new
        // storage together at each step (the first scan of a large store sets every entry).
        if let all = listing as? Snapshot, all.files.count > index.entries.count { index.entries.reserveCapacity(all.files.count) }
        // New files left unread (`deferNew`) are entered once the listing is done, with room
        // made for them all at once: a listing taken ahead does not say how many files it will
        // have, and the table grown file by file rehashed every entry at each doubling (2.5 % of
        // a first upload of 100,000 records).
        var unreadNew: [(key: StatIndex.Key, stat: FileSystem.Stat)] = []
        // Compared as they are listed (by `ScanAhead`'s thread, while this one compares).
        var listed = 0
        while true {
            let batch = try listing.listed(from: listed)
            if batch.isEmpty { break }
            listed += batch.count
            for (key, stat) in batch {
                report.filesSeen += 1
                let unchanged = index.entries.withEntry(key) { cached -> Bool in
                    guard let cached, cached.pointee.hasWorkingFile else { return false }
                    matched += 1
                    return cached.pointee.size >= 0 && cached.pointee.size == stat.size && cached.pointee.mtimeNs == stat.mtimeNs
                        && cached.pointee.ctimeNs == stat.ctimeNs && cached.pointee.inode == stat.inode && !cached.pointee.isUnread
                }
                if unchanged { continue }
                report.indexChanged = true
                guard let cached = index.entries[key] else {
                    if deferNew {
                        unreadNew.append((key, stat))
                        deferred += 1
                    } else {
                        report.filesRead += 1
                        noteRead(key.text, stat: stat, takenNs: now, into: StatIndex.Entry(), in: &index, report: &report)
                    }
                    continue
                }
                report.filesRead += 1
                noteRead(key.text, stat: stat, takenNs: now, into: cached, in: &index, report: &report)
            }
        }

        if !unreadNew.isEmpty {
            index.entries.reserveCapacity(index.entries.count + unreadNew.count)
            for (key, stat) in unreadNew { index.entries.set(key, StatIndex.Entry(unread: stat)) }
        }
        if matched != expected, deferred > 0 {
            // A file went missing: a new one may hold its record under another name.
            var unread: [(key: StatIndex.Key, stat: FileSystem.Stat)] = []
            index.entries.forEach(where: { $0.pointee.isUnread }) { key, entry in unread.append((key, entry.pointee.unreadStat)) }
            for (key, stat) in unread {
                report.filesRead += 1
                noteRead(key.text, stat: stat, takenNs: now, into: StatIndex.Entry(), in: &index, report: &report)
            }
        }
        if matched != expected {
            // Some files went: find which (deletes are rare).
            var seen = Set<StatIndex.Key>()
            seen.reserveCapacity(listed)
            for file in try listing.listed(from: 0) { seen.insert(file.key) }
            for (key, var entry) in index.entries.keyed where !seen.contains(key) && entry.hasWorkingFile {
                report.indexChanged = true
                entry.docHash = ""
                entry.size = -1
                index.entries.set(key, entry.hasBase ? entry : nil)
            }
        }
        index.entries.forEach(where: { $0.pointee.size < 0 || !$0.pointee.hasWorkingFile || $0.pointee.doc != $0.pointee.base }) { key, entry in
            if let reason = entry.pointee.invalidReason {
                report.invalid.append((file: "records/" + Store.fileName(for: key.text), reason: reason))
            } else if !entry.pointee.hasWorkingFile {
                if entry.pointee.hasBase { report.deleted.append(key.text) }
            } else if entry.pointee.isPending {
                report.changed.append(key)
            }
        }
        // Sorted here, not by walking the whole index in order: only what needs work is sorted.
        report.invalid.sort { $0.file < $1.file }
        report.deleted.sort()
        report.changed.sort()
        return report
    }

    /// The document hash of an entry whose new file a push's scan left for its diff to read.
    static let unreadHash = "?"

    /// Reads a working file and notes what it holds with the stat the scan saw (size -1 when
    /// racy); keeps its document for the diff while fewer than `documentsKept` are kept (`keep`).
    /// Returns what was read.
    @discardableResult
    func noteRead(_ uscc: String, stat: FileSystem.Stat, takenNs: Int64, into entry: StatIndex.Entry, in index: inout StatIndex,
                  report: inout ScanReport, keep: Bool = true) -> (parsed: Parsed?, hash: String) {
        let read = readWorkingFile(uscc, regularFileSize: stat.isRegular && stat.size >= 0 ? stat.size : nil)
        var entry = entry
        entry.docHash = read.hash
        if keep, let parsed = read.parsed, report.documents.count < Self.documentsKept { report.documents[uscc] = parsed }
        entry.size = isRacy(stat, now: takenNs) ? -1 : stat.size
        entry.mtimeNs = stat.mtimeNs
        entry.ctimeNs = stat.ctimeNs
        entry.inode = stat.inode
        index.entries.set(StatIndex.Key(uscc), entry)
        return read
    }

    /// A file modified less than the racy window before the scan may be modified again within the
    /// same clock tick without changing its stat: its entry is not trusted until it is older.
    /// Both times count: an edit that puts the mtime back (`cp -p`, `touch -r`) moves the ctime.
    /// The window is the short one on a local file system whose ctimes have fractions of a
    /// second (see `StatIndex`). `now` must be no later than the last moment the content the
    /// entry will name was known to be in the file (the scan's snapshot; before a commit renames
    /// the agent's own files into place).
    func isRacy(_ stat: FileSystem.Stat, now: Int64) -> Bool {
        let window = localFineTimestamps && stat.ctimeNs % 1_000_000_000 != 0 ? fineRacyWindowNs : racyWindowNs
        return max(stat.mtimeNs, stat.ctimeNs) >= now - window
    }

    /// A working file's document and content hash, or "!" and the reason it cannot be read.
    /// `regularFileSize`: what the scan's stat saw (spares the read a stat of its own).
    func readWorkingFile(_ uscc: String, regularFileSize: Int64? = nil) -> (parsed: Parsed?, hash: String) {
        do {
            let bytes = try store.readRecordBytes(uscc, regularFileSize: regularFileSize)
            let parsed = try Store.parseRecordKeepingCanonical(bytes, file: "records/" + Store.fileName(for: uscc), expectedUSCC: uscc)
            let document = parsed.document
            // A file the agent wrote is its canonical text, indented: taken from its bytes.
            let canonical = parsed.canonical ?? document.canonicalBytes()
            let hash = ContentHash.of(bytes: canonical)
            return (Parsed(document: document, canonical: canonical, hash: hash), hash)
        } catch {
            let reason: String
            if case .invalidRecord(_, let r) = error { reason = r } else { reason = error.description }
            return (nil, "!" + reason)
        }
    }

    /// Records the stat of a working file the agent itself just wrote with known content.
    /// `before`: a time taken before the file was put in place (`FileSystem.nowNs()` before the
    /// batch's commit): a bureau's save after that, even in the same clock tick, leaves the
    /// entry racy, to be read again, instead of trusted with the agent's content.
    public func noteWritten(_ uscc: String, document: JSONValue, before: Int64, in index: inout StatIndex) {
        var entry = index.entries[uscc] ?? StatIndex.Entry()
        entry.docHash = ContentHash.of(document)
        if let stat = store.statRecordFile(uscc) {
            entry.size = isRacy(stat, now: before) ? -1 : stat.size
            entry.mtimeNs = stat.mtimeNs
            entry.ctimeNs = stat.ctimeNs
            entry.inode = stat.inode
        } else {
            entry.size = -1
        }
        index.entries[uscc] = entry
    }
}
