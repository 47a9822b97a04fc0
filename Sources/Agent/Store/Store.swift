import Foundation
import EnterpriseModel
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// A bureau's record store on disk:
///
/// ```
/// STORE/records/<USCC>.json   the working copy, edited by the bureau and its tools
/// STORE/.esync/bases          the last version the province acknowledged of each record (`BaseLog`)
/// STORE/.esync/bases.index    where each record's base is in it (a cache)
/// STORE/.esync/index          stat cache of the working files
/// STORE/.esync/outbox/        sealed change sets not yet acknowledged, oldest first
/// STORE/.esync/state.json     epoch, pull cursor, last push and pull
/// STORE/.esync/lock           held while a command changes the store
/// ```
public final class Store {
    public let root: String
    public let recordsPath: String
    public let statePath: String
    /// The folder of one base file per record that versions before the base log kept: read
    /// while it is there, and moved into the log by the first command that takes the lock
    /// (`moveBaseFilesIntoLog`).
    public let basePath: String
    public let bases: BaseLog
    public let outboxPath: String
    public let indexPath: String
    public let stateFilePath: String
    public let lockPath: String

    /// Record files and bases read since the store was opened: how tests and `--json` show that
    /// an unchanged store is checked without reading a record.
    public private(set) var recordFilesRead = 0
    public private(set) var baseFilesRead = 0

    public init(root: String) {
        self.root = root
        recordsPath = root + "/records"
        statePath = root + "/.esync"
        basePath = statePath + "/base"
        bases = BaseLog(path: statePath + "/bases", indexPath: statePath + "/bases.index")
        outboxPath = statePath + "/outbox"
        indexPath = statePath + "/index"
        stateFilePath = statePath + "/state.json"
        lockPath = statePath + "/lock"
    }

    /// Opens an existing store, refusing a folder that was never initialised.
    public static func open(_ root: String) throws(AgentError) -> Store {
        let store = Store(root: root)
        guard FileSystem.isDirectory(store.statePath), FileSystem.exists(store.stateFilePath) || FileSystem.isDirectory(store.basePath)
        else { throw .notAStore(path: root) }
        try FileSystem.makeDirectory(store.recordsPath)
        try FileSystem.makeDirectory(store.outboxPath)
        return store
    }

    /// Removes the temporaries (`NAME.tmp-PID`) of an agent that died mid-write, so that kills
    /// do not leak disk space. Called with the store's lock held, when nobody else writes; a
    /// file of a process that still runs is left alone. Returns how many were removed.
    /// The large folders (records/, base/) are listed only when a process died while writing
    /// to them: a batch keeps a marker `.esync/writing-PID-ID` while it has temporaries there
    /// (listing them on every sync was most of a no-change sync of 100,000 records).
    @discardableResult
    public func removeStaleTemporaries() -> Int {
        var removed = 0
        var folders = [outboxPath, statePath]
        let markers = ((try? FileSystem.list(statePath)) ?? []).filter { name in
            guard name.hasPrefix(AtomicBatch.markerPrefix),
                  let pid = name.dropFirst(AtomicBatch.markerPrefix.count).split(separator: "-").first.flatMap({ Int32($0) })
            else { return false }
            return pid != FileSystem.processID && kill(pid, 0) != 0
        }
        if !markers.isEmpty { folders += [recordsPath, basePath] }
        defer { for name in markers { unlink(statePath + "/" + name) } }
        for folder in folders {
            for name in (try? FileSystem.list(folder)) ?? [] {
                // A temporary's name ends in its PID's digits: checking the last byte first keeps
                // the Foundation search off the 100,000s of `.json` names (it was 30 % of a
                // no-change sync of 100,000 records).
                guard let last = name.utf8.last, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(last),
                      let mark = name.range(of: ".tmp-", options: .backwards),
                      let pid = Int32(name[mark.upperBound...]), pid != FileSystem.processID, kill(pid, 0) != 0 else { continue }
                if unlink(folder + "/" + name) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// Creates the layout. Existing record files are kept: they become creates on the first push.
    public static func initialize(_ root: String, region: String) throws(AgentError) -> Store {
        let store = Store(root: root)
        if FileSystem.isDirectory(store.statePath) { throw .alreadyInitialized(path: root) }
        try FileSystem.makeDirectories(root)
        try FileSystem.makeDirectory(store.recordsPath)
        try FileSystem.makeDirectory(store.statePath)
        try FileSystem.makeDirectory(store.outboxPath)
        var state = AgentState(region: region)
        state.epoch = AgentState.makeEpoch()
        try state.save(to: store.stateFilePath)
        return store
    }

    public static func fileName(for uscc: String) -> String { uscc + ".json" }

    public func recordFile(_ uscc: String) -> String { recordsPath + "/" + Store.fileName(for: uscc) }

    /// records/, held open while a push or a pull runs (`withRecordsFolder`); -1 otherwise.
    private var recordsFolder: Int32 = -1

    /// Runs `body` with records/ held open: record files are then opened and looked at by their
    /// name in it, which the kernel finds without walking the store's whole path again (those
    /// walks were a tenth of the agent's CPU in a first upload of 100,000 records). Held for one
    /// push or pull only, never between them: a folder moved aside and put back (a restore)
    /// is the new one at the next. Without it (it cannot be opened), paths are used.
    public func withRecordsFolder<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        guard recordsFolder < 0 else { return try body() }
        let fd = Glibc.open(recordsPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return try body() }
        recordsFolder = fd
        defer {
            close(fd)
            recordsFolder = -1
        }
        return try body()
    }

    /// Throws when records/ is no longer the folder `withRecordsFolder` opened (moved or replaced
    /// during the push or pull): what was read through it is not what is at its path, and a
    /// batch must not write or remove record files from it (`StoreWriter.commit`).
    public func checkRecordsFolder() throws(AgentError) {
        guard recordsFolder >= 0 else { return }
        var held = Glibc.stat()
        var now = Glibc.stat()
        guard fstat(recordsFolder, &held) == 0, stat(recordsPath, &now) == 0, held.st_dev == now.st_dev, held.st_ino == now.st_ino else {
            throw .io(path: recordsPath, operation: "write record files (the folder was moved or replaced during the sync; run it again)", errno: ESTALE)
        }
    }

    /// The stat of the working file of `uscc` (links followed), nil when there is none.
    public func statRecordFile(_ uscc: String) -> FileSystem.Stat? {
        recordsFolder >= 0 ? FileSystem.statFile(dirFD: recordsFolder, name: Store.fileName(for: uscc)) : FileSystem.statFile(recordFile(uscc))
    }
    public func baseFile(_ uscc: String) -> String { basePath + "/" + uscc + ".json" }

    // MARK: - Working copy

    /// `regularFileSize`: its size as a stat just saw it (see `FileSystem.read(in:name:path:regularFileSize:)`).
    public func readRecordBytes(_ uscc: String, regularFileSize: Int64? = nil) throws(AgentError) -> [UInt8] {
        recordFilesRead += 1
        if recordsFolder >= 0 {
            return try FileSystem.read(in: recordsFolder, name: Store.fileName(for: uscc), path: recordFile(uscc), regularFileSize: regularFileSize)
        }
        return try FileSystem.read(recordFile(uscc))
    }

    /// Reads, parses and validates a working file; errors name the file and the reason.
    /// `validate: false` when the scan has just validated the file and only its content is needed.
    public func readRecord(_ uscc: String, validate: Bool = true) throws(AgentError) -> JSONValue {
        let bytes = try readRecordBytes(uscc)
        return try Self.parseRecord(bytes, file: "records/" + Store.fileName(for: uscc), expectedUSCC: uscc, validate: validate)
    }

    static func parseRecord(_ bytes: [UInt8], file: String, expectedUSCC: String?, validate: Bool = true) throws(AgentError) -> JSONValue {
        try parseRecord(bytes, file: file, expectedUSCC: expectedUSCC, validate: validate, keepingCanonical: false).document
    }

    /// `parseRecord`, with the document's canonical text when the file holds it (indented, as
    /// the agent writes it): see `JSONValue.parseKeepingCanonical`.
    static func parseRecordKeepingCanonical(_ bytes: [UInt8], file: String, expectedUSCC: String?) throws(AgentError)
        -> (document: JSONValue, canonical: [UInt8]?) {
        try parseRecord(bytes, file: file, expectedUSCC: expectedUSCC, validate: true, keepingCanonical: true)
    }

    private static func parseRecord(_ bytes: [UInt8], file: String, expectedUSCC: String?, validate: Bool,
                                    keepingCanonical: Bool) throws(AgentError) -> (document: JSONValue, canonical: [UInt8]?) {
        let (document, canonical) = try parseJSON(bytes, file: file, keepingCanonical: keepingCanonical)
        if validate {
            do { try RecordValidator.validate(document) } catch { throw .invalidRecord(file: file, reason: error.description) }
        }
        if let expectedUSCC, document["uscc"]?.stringValue != expectedUSCC {
            throw .invalidRecord(file: file, reason: "the file name says \(expectedUSCC) but its uscc field is \(document["uscc"]?.stringValue ?? "missing")")
        }
        return (document, canonical)
    }

    /// The JSON of a record file, or why not, naming `file`. A file a Windows editor saved as
    /// "ANSI" (GBK) fails as invalid UTF-8 at some byte; the operator is told what to do about
    /// it instead (the file stays as it is, invalid, until it is saved as UTF-8).
    public static func parseJSON(_ bytes: [UInt8], file: String) throws(AgentError) -> JSONValue {
        try parseJSON(bytes, file: file, keepingCanonical: false).value
    }

    /// `keepingCanonical`: with the canonical text (`JSONValue.parseKeepingCanonical`), which a
    /// caller that does not need it should not pay the copy of.
    private static func parseJSON(_ bytes: [UInt8], file: String, keepingCanonical: Bool) throws(AgentError)
        -> (value: JSONValue, canonical: [UInt8]?) {
        do {
            return keepingCanonical ? try JSONValue.parseKeepingCanonical(bytes) : (try JSONValue.parse(bytes), nil)
        } catch {
            if TextEncoding.looksLikeGB18030(bytes) {
                throw .invalidRecord(file: file, reason: "not UTF-8; it looks like GBK/GB18030 (saved by a Windows editor?): save it as UTF-8")
            }
            throw .invalidRecord(file: file, reason: "not valid JSON: \(error)")
        }
    }

    /// The bytes every writer of `records/<USCC>.json` writes: the document in the style (line
    /// endings, byte order mark) of the file it replaces, plain for a new file.
    public func recordFileBytes(_ document: JSONValue, uscc: String) -> [UInt8] {
        RecordFileStyle.of(recordFile(uscc)).bytes(document)
    }

    public func writeRecord(_ document: JSONValue, uscc: String) throws(AgentError) {
        let batch = AtomicBatch(anchor: statePath)
        try batch.write(recordFile(uscc), recordFileBytes(document, uscc: uscc))
        try batch.commit()
    }

    public func removeRecord(_ uscc: String) throws(AgentError) {
        try FileSystem.remove(recordFile(uscc))
    }

    // MARK: - Base

    public struct Base: Sendable, Equatable {
        public var revision: Int64
        public var document: JSONValue
    }

    /// The base of `uscc`, nil when it has none; an error names what is damaged.
    public func readBase(_ uscc: String) throws(AgentError) -> Base? {
        var path = bases.path
        var bytes: [UInt8]?
        if hasBaseFolder, let file = try FileSystem.readIfPresent(baseFile(uscc)) {
            (path, bytes) = (baseFile(uscc), file)
        } else {
            bytes = try bases.read(uscc)
        }
        guard let bytes else { return nil }
        baseFilesRead += 1
        guard let value = try? JSONValue.parse(bytes), let revision = value["revision"]?.intValue, let document = value["document"] else {
            throw BaseLog.damagedBase(uscc, path)
        }
        return Base(revision: revision, document: document)
    }

    /// Whether `uscc` has a base.
    public func hasBase(_ uscc: String) -> Bool {
        (hasBaseFolder && FileSystem.exists(baseFile(uscc))) || ((try? bases.contains(uscc)) ?? false)
    }

    /// The codes of every record with a base, unsorted.
    public func baseCodes() throws(AgentError) -> [String] {
        var codes = try bases.codes()
        if hasBaseFolder {
            let inLog = Set(codes)
            // (Gone in the meantime: moved into the log by the holder of the lock.)
            for name in (try? FileSystem.list(basePath)) ?? [] where name.hasSuffix(".json") {
                let code = String(name.dropLast(5))
                if !inLog.contains(code) { codes.append(code) }
            }
        }
        return codes
    }

    /// Writes the bases `written` (code → `baseBytes`) and drops `dropped` (see `BaseLog.append`).
    func writeBases(_ written: [(code: String, json: [UInt8])], dropped: [String]) throws(AgentError) {
        try moveBaseFilesIntoLog()
        try bases.append(written, dropped: dropped)
    }

    /// Whether the folder of one base file per record (an earlier version's) is still there.
    private var hasBaseFolder: Bool {
        if baseFolderChecked == nil { baseFolderChecked = FileSystem.isDirectory(basePath) }
        return baseFolderChecked!
    }
    private var baseFolderChecked: Bool?

    /// Moves the base files of an earlier version (`.esync/base/CODE.json`) into the base log,
    /// then removes them and their folder; with the store's lock held. Interrupted, it starts
    /// again (a base appended twice is the same base). A file that cannot be a base (not
    /// `CODE.json`) is left where it is, with the folder. Returns how many were moved.
    @discardableResult
    public func moveBaseFilesIntoLog() throws(AgentError) -> Int {
        guard hasBaseFolder else { return 0 }
        var moved: [String] = []
        var piece: [(code: String, json: [UInt8])] = []
        func flush() throws(AgentError) {
            try bases.append(piece, dropped: [])
            moved += piece.map { $0.code + ".json" }
            piece.removeAll(keepingCapacity: true)
        }
        for name in try FileSystem.list(basePath) {
            let code = name.hasSuffix(".json") ? String(name.dropLast(5)) : ""
            if name.contains(".tmp-") { try FileSystem.remove(basePath + "/" + name) }  // a dead writer's temporary
            guard !code.isEmpty, code.utf8.count <= BaseLog.maxCodeLength, !code.contains(where: { $0 == "\t" || $0 == "\n" }),
                  FileSystem.statFile(basePath + "/" + name) != nil, !FileSystem.isDirectory(basePath + "/" + name),
                  let bytes = try FileSystem.readIfPresent(basePath + "/" + name) else { continue }
            piece.append((code, bytes))
            if piece.count == 1_000 { try flush() }
        }
        try flush()
        for name in moved { try FileSystem.remove(basePath + "/" + name) }
        if rmdir(basePath) == 0 || errno == ENOENT { baseFolderChecked = false }
        return moved.count
    }

    static func baseBytes(_ base: Base) -> [UInt8] {
        JSONValue.object(["revision": .int(base.revision), "document": base.document]).canonicalBytes()
    }

    /// The same bytes from the document's canonical bytes, made already: members in canonical
    /// order, `document` before `revision`.
    static func baseBytes(revision: Int64, canonicalDocument: [UInt8]) -> [UInt8] {
        var bytes = Array("{\"document\":".utf8)
        bytes.reserveCapacity(canonicalDocument.count + 40)
        bytes += canonicalDocument
        bytes += Array(",\"revision\":\(revision)}".utf8)
        return bytes
    }

}
