@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// A bureau's disk that fills up: the store on a small tmpfs (mounting one needs root, which CI
/// has; elsewhere the test is skipped and says why). A pull that cannot write and a push that
/// cannot seal must say so, naming the file, and leave every file readable and every edit in
/// place; once space is freed, one sync converges.
@Suite(.serialized) struct DiskFullTests {
    static let canMount: Bool = {
        let probe = NSTemporaryDirectory() + "esync-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], in: NSTemporaryDirectory()))?.status == 0 else { return false }
        _ = try? run("/bin/umount", [probe], in: NSTemporaryDirectory())
        return true
    }()

    /// Free bytes on the file system holding `path`.
    func free(_ path: String) -> Int {
        var s = statvfs()
        return statvfs(path, &s) == 0 ? Int(s.f_bavail) * Int(s.f_frsize) : 0
    }

    /// Every JSON file under `folder` parses: nothing was left half-written.
    func expectAllReadable(_ folder: String, _ context: String) throws {
        let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".json") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            #expect((try? JSONValue.parse(Array(bytes))) != nil, "\(context): \(file) is not readable JSON")
        }
        #expect(!files.contains { $0.contains(".tmp") || $0.contains("~") }, "\(context): temporaries left: \(files.filter { $0.contains(".tmp") })")
    }

    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root"))
    func aFullDiskIsReportedCorruptsNothingAndTheNextSyncConverges() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "disk-full")
        defer { province.stop() }
        let store = province.folder + "/bureau-410100/store"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let mount = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", store], in: province.folder)
        try #require(mount.status == 0, "\(mount)")
        defer { _ = try? run("/bin/umount", ["-l", store], in: province.folder) }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(100, seed: 93)
        #expect(try zz.agent(["sync"]).status == 0)

        // Fill the disk but for a few pages.
        let filler = store + "/filler"
        let chunk = [UInt8](repeating: 0x20, count: 4096)
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: filler))
        while free(store) > 6 * 4096 { try handle.write(contentsOf: chunk) }
        try handle.close()

        // A pull of 100 changed records cannot be written: reported, and nothing is damaged.
        for uscc in codes { #expect(try province.cli(["records", "set", uscc, "employees=4242", "--by", "editor"]).status == 0) }
        let before = try codes.map { try zz.readRecord($0) }
        let pull = try zz.agent(["pull"])
        #expect(pull.status != 0 && pull.stderr.contains("No space left on device") && pull.stderr.contains(store), "\(pull)")
        #expect(try codes.map { try zz.readRecord($0) } == before, "a failed pull changed record files")
        try expectAllReadable(store, "after the failed pull")

        // Bureau edits made meanwhile cannot be sealed: reported, nothing sent, the edits kept.
        try? FileManager.default.removeItem(atPath: filler)
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let refill = try #require(FileHandle(forWritingAtPath: filler))
        let edited = Array(codes[0..<3])
        for (i, uscc) in edited.enumerated() { try zz.edit(uscc, ["contact.phone": .string("0371-6000000\(i)")]) }
        while free(store) > 0 { do { try refill.write(contentsOf: chunk) } catch { break } }
        try refill.close()
        let push = try zz.agent(["push"])
        #expect(push.status != 0 && push.stderr.contains("No space left on device"), "\(push)")
        for (i, uscc) in edited.enumerated() {
            #expect(try zz.readRecord(uscc)["contact"]?["phone"] == .string("0371-6000000\(i)"))
            #expect(try province.record(uscc).document["contact"]?["phone"] != .string("0371-6000000\(i)"), "\(uscc) was sent although nothing was sealed")
        }
        try expectAllReadable(store, "after the failed push")

        // Space again: one sync brings both sides together, each edit once.
        try FileManager.default.removeItem(atPath: filler)
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        for (i, uscc) in codes.enumerated() {
            let document = try zz.readRecord(uscc)
            #expect(document["employees"] == .int(4242), "\(uscc): the province's edit is missing")
            #expect(try province.record(uscc).document == document)
            if i < edited.count { #expect(document["contact"]?["phone"] == .string("0371-6000000\(i)")) }
        }
        let phones = try edited.map { uscc in
            try province.history(uscc).filter { $0.changes["contact.phone"]?.to?.stringValue?.hasPrefix("0371-6000000") == true }.count
        }
        #expect(phones == Array(repeating: 1, count: edited.count) && edited.count == 3, "each edit once in history: \(phones)")
        try expectAllReadable(store, "after the sync")
    }
}
