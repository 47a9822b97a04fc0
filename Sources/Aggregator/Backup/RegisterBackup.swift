import Crypto
import EnterpriseModel
import Foundation
import SyncCore

/// What a backup holds, kept inside it and printed by `backup`, `backup verify` and `restore`:
/// which register and generation, when it was taken, at which schema, and each region's live
/// records with a digest made the way `esync-agent verify` compares a region (its 256 bucket
/// digests), so that two copies of a register can be compared region by region.
public struct BackupManifest: Codable, Sendable, Equatable {
    public struct Region: Codable, Sendable, Equatable {
        public var records: Int
        /// SHA-256 of the region's 256 bucket digests (`RegionDigests`), one per line.
        public var digest: String
    }

    public var format = 1
    public var identity: RegisterIdentity
    public var takenAt: String
    public var schema: String
    public var aggregator: String
    /// The last number of the change sequence the register had handed out.
    public var lastSeq: Int64
    /// Regions with live records, by code.
    public var regions: [String: Region]
    /// SHA-256 over `CODE RECORDS DIGEST` per region, one per line, in code order.
    public var digest: String

    public var records: Int { regions.values.reduce(0) { $0 + $1.records } }

    /// What can be recomputed from the register alone (everything but when and by what it was
    /// taken): two of these are equal when two registers hold the same.
    var content: [String] {
        [identity.register, identity.generation, schema, String(lastSeq), digest]
    }

    /// The manifest as lines for a person: the register, then each region, then the totals.
    public var lines: [String] {
        var lines = ["register \(identity.register), generation \(identity.generation)\(identity.restores > 0 ? " (restored \(identity.restores) time\(identity.restores == 1 ? "" : "s"))" : ""); taken \(takenAt) by \(aggregator); schema \(schema)"]
        for code in regions.keys.sorted() {
            let region = regions[code]!
            let name = EnterpriseModel.Regions.region(code: code)?.name ?? "?"
            lines.append("  \(code) \(name)\t\(region.records) records\tdigest \(region.digest.prefix(16))")
        }
        lines.append("\(regions.count) regions, \(records) live records, change sequence at \(lastSeq), digest \(digest)")
        return lines
    }
}

/// A backup, a check or a restore that did not happen, and why: the file and the reason.
public struct BackupFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The file is not a backup, or is damaged, or does not hold what its manifest says.
        case damaged
        /// A service or command has the register open; a restore waits for it to stop.
        case inUse
        /// A register exists where the restore would put one (`--force` replaces it).
        case exists
        /// The file system refused (a folder that is not there, no space, no permission).
        case io
    }

    public var kind: Kind
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// `esync-aggregator backup`, `backup verify` and `restore` for the embedded register.
///
/// A backup is the register's SQLite file, copied while `serve` goes on (one read transaction:
/// one committed state), with its manifest in a table of its own (`esync_backup`), then
/// gzip-compressed. `gunzip` and `sqlite3` open it as well. Every step writes a new file next
/// to its target and renames it into place once it is durable, so a backup or restore cut
/// short leaves the earlier file as it was.
public enum RegisterBackup {
    /// Takes a backup of `database` into `file` (which must not exist). `scratch`: the folder
    /// of the uncompressed copy (default: `file`'s).
    public static func take(_ database: ProvinceDatabase, to file: String, scratch: String? = nil) throws -> (manifest: BackupManifest, bytes: Int64) {
        let folder = (file as NSString).deletingLastPathComponent.isEmpty ? "." : (file as NSString).deletingLastPathComponent
        guard !FileManager.default.fileExists(atPath: file) else {
            throw BackupFailure(kind: .exists, path: file, reason: "already exists; a backup never overwrites one (choose another name, or --into DIR)")
        }
        let tag = "\(getpid())-\(UUID().uuidString.prefix(8))"
        let copy = (scratch ?? folder) + "/.esync-backup-\(tag).sqlite"
        let partial = folder + "/.esync-backup-\(tag).gz"
        defer {
            try? FileManager.default.removeItem(atPath: copy)
            try? FileManager.default.removeItem(atPath: partial)
        }
        let takenAt = Date().formatted(.iso8601)
        do { try database.copy(to: copy) } catch {
            throw BackupFailure(kind: .io, path: database.location, reason: "cannot be copied to \(copy): \(error)")
        }
        var manifest = try summarize(copy, takenAt: takenAt)
        manifest.takenAt = takenAt
        do {
            try SQLiteRegister.writeBackupManifest(String(decoding: try JSONEncoder.sorted.encode(manifest), as: UTF8.self), in: copy)
        } catch {
            throw BackupFailure(kind: .io, path: copy, reason: "cannot keep the manifest: \(error)")
        }
        let bytes: Int64
        do { bytes = try GzipFile.compress(copy, to: partial) } catch { throw BackupFailure(kind: .io, path: error.path, reason: error.reason) }
        try place(partial, at: file)
        return (manifest, bytes)
    }

    /// Checks a backup: gzip intact, the copy sound (`PRAGMA integrity_check`), and holding what
    /// its manifest says (the register, generation, schema, change sequence and every region's
    /// digest, recomputed). Returns the manifest.
    public static func verify(_ file: String, scratch: String? = nil) throws -> BackupManifest {
        let copy = try unpack(file, scratch: scratch)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        return try check(copy, backup: file)
    }

    /// Restores the register at `path` from `file`, checked first as `verify` does. Refused
    /// while any process has the register open, and when a register is there and not `force`;
    /// a register replaced is kept beside it as `PATH.before-restore-TIME`. The restored
    /// register gets a new generation. Returns the backup's manifest, the restored register's
    /// identity and where the replaced one was put.
    public static func restore(_ file: String, to path: String, force: Bool, scratch: String? = nil) throws -> (manifest: BackupManifest, identity: RegisterIdentity, keptAs: String?) {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw BackupFailure(kind: .io, path: folder, reason: "the register's folder does not exist (create it, owned by the aggregator's user)")
        }
        let lock: Int32?
        do { lock = try SQLiteRegister.lockUsers(path, exclusive: true) } catch { throw BackupFailure(kind: .io, path: path, reason: "\(error)") }
        guard let lock else {
            throw BackupFailure(kind: .inUse, path: path, reason: "the register is open in another esync-aggregator (serve, or a command); stop every one that uses it (systemctl stop esync-aggregator) and restore again")
        }
        defer { close(lock) }
        let exists = FileManager.default.fileExists(atPath: path)
        if exists, !force {
            throw BackupFailure(kind: .exists, path: path, reason: "a register is there; restoring replaces it with the backup's. Give --force to go on (the register there now is kept as \(path).before-restore-TIME)")
        }
        let unpacked = try unpack(file, scratch: folder)
        defer { try? FileManager.default.removeItem(atPath: unpacked) }
        let manifest = try check(unpacked, backup: file)
        let now = Date().formatted(.iso8601)
        let identity: RegisterIdentity
        do {
            try SQLiteRegister.makeRestored(unpacked, generation: newGeneration(), at: now,
                                              from: "\((file as NSString).lastPathComponent) (taken \(manifest.takenAt))")
            identity = try SQLiteRegister.withTransaction(on: unpacked, readOnly: true) { try $0.registerIdentity() }
        } catch {
            throw BackupFailure(kind: .io, path: unpacked, reason: "cannot be made the register: \(error)")
        }
        var keptAs: String?
        if exists {
            let aside = path + ".before-restore-" + now.filter { $0.isNumber || $0 == "T" }
            // The register being replaced keeps what its WAL holds; one too damaged to open is
            // moved with its WAL as it is.
            let single = (try? SQLiteRegister.makeSingleFile(path)) != nil
            for suffix in single ? [""] : ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                guard rename(path + suffix, aside + suffix) == 0 else {
                    throw BackupFailure(kind: .io, path: path + suffix, reason: "cannot be moved aside to \(aside + suffix): \(String(cString: strerror(errno)))")
                }
            }
            for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
            keptAs = aside
        }
        try place(unpacked, at: path)
        return (manifest, identity, keptAs)
    }

    /// Backups in `folder` named as `--into` names them, newest first.
    public static func backups(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("register-") && $0.hasSuffix(".sqlite.gz") }.sorted(by: >).map { folder + "/" + $0 }
    }

    /// The name `--into` gives a backup taken now: `register-YYYYMMDDTHHMMSSZ.sqlite.gz`.
    public static func fileName(at date: Date = Date()) -> String {
        "register-" + date.formatted(.iso8601).filter { $0.isNumber || $0 == "T" || $0 == "Z" } + ".sqlite.gz"
    }

    // MARK: - Steps

    private static func newGeneration() -> String {
        String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(16))
    }

    /// Decompresses a backup next to `scratch` (default: its own folder); returns the copy.
    private static func unpack(_ file: String, scratch: String?) throws -> String {
        guard FileManager.default.fileExists(atPath: file) else { throw BackupFailure(kind: .io, path: file, reason: "no such file") }
        let folder = scratch ?? ((file as NSString).deletingLastPathComponent.isEmpty ? "." : (file as NSString).deletingLastPathComponent)
        let copy = folder + "/.esync-restore-\(getpid())-\(UUID().uuidString.prefix(8)).sqlite"
        do { try GzipFile.decompress(file, to: copy) } catch {
            try? FileManager.default.removeItem(atPath: copy)
            throw BackupFailure(kind: error.path == file ? .damaged : .io, path: error.path, reason: error.reason)
        }
        return copy
    }

    /// Checks an unpacked backup against its manifest; returns the manifest.
    private static func check(_ copy: String, backup file: String) throws -> BackupManifest {
        let text: String?
        do {
            let problems = try SQLiteRegister.integrityProblems(copy)
            guard problems.isEmpty else {
                throw BackupFailure(kind: .damaged, path: file, reason: "the register in it is damaged (integrity check: \(problems.prefix(3).joined(separator: "; ")))")
            }
            text = try SQLiteRegister.backupManifest(in: copy)
        } catch let failure as BackupFailure {
            throw failure
        } catch {
            throw BackupFailure(kind: .damaged, path: file, reason: "does not hold an SQLite register: \(error)")
        }
        guard let text, let stated = try? JSONDecoder().decode(BackupManifest.self, from: Data(text.utf8)) else {
            throw BackupFailure(kind: .damaged, path: file, reason: "is not an esync-aggregator backup (it has no manifest)")
        }
        let found = try summarize(copy, takenAt: stated.takenAt)
        guard found.content == stated.content, found.regions == stated.regions else {
            let regions = Set(found.regions.keys).union(stated.regions.keys).sorted().filter { found.regions[$0] != stated.regions[$0] }
            throw BackupFailure(kind: .damaged, path: file, reason: "does not hold what its manifest says (it says \(stated.records) records, digest \(stated.digest.prefix(16)); it holds \(found.records), digest \(found.digest.prefix(16))\(regions.isEmpty ? "" : "; regions that differ: \(regions.joined(separator: ", "))"))")
        }
        return stated
    }

    /// The manifest of a register file, computed from what it holds.
    private static func summarize(_ path: String, takenAt: String) throws -> BackupManifest {
        do {
            let schema = try SQLiteRegister.appliedMigrations(path).last ?? "none"
            return try SQLiteRegister.withTransaction(on: path, readOnly: true) { register in
                var regions: [String: BackupManifest.Region] = [:]
                for region in EnterpriseModel.Regions.all.map(\.code) {
                    let digests = try RegionAudit.digests(region: region, register: register)
                    guard digests.records > 0 else { continue }
                    regions[region] = .init(records: digests.records, digest: sha256(digests.buckets.map(\.digest).joined(separator: "\n")))
                }
                let lines = regions.keys.sorted().map { "\($0) \(regions[$0]!.records) \(regions[$0]!.digest)" }.joined(separator: "\n")
                return BackupManifest(identity: try register.registerIdentity(), takenAt: takenAt, schema: schema,
                                      aggregator: "esync-aggregator \(ESyncVersion.current)", lastSeq: try register.lastChangeSequence(),
                                      regions: regions, digest: sha256(lines))
            }
        } catch let failure as BackupFailure {
            throw failure
        } catch {
            throw BackupFailure(kind: .damaged, path: path, reason: "cannot be read as a register: \(error)")
        }
    }

    private static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Renames `source` to `target` and syncs the folder, so the name survives a power cut.
    private static func place(_ source: String, at target: String) throws {
        guard rename(source, target) == 0 else {
            throw BackupFailure(kind: .io, path: target, reason: "cannot be written (rename from \(source)): \(String(cString: strerror(errno)))")
        }
        let folder = (target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

extension JSONEncoder {
    /// Keys in order, so a manifest reads the same every time.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
