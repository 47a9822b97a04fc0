@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import Testing

/// `esync-aggregator backup`, `backup verify` and `restore` on the embedded register (issue 17):
/// a backup taken while `serve` answers and a bureau pushes, checked, refused when damaged, and
/// put back with a new generation only once every process has let go of the register. On
/// PostgreSQL (`ESYNC_TEST_BACKEND=postgresql`) these are skipped: that register is backed up with
/// the database's own tools, and `backup` and `restore` refuse it (the last test).
@Suite(.serialized) struct BackupRestoreTests {
    @Test(.enabled(if: TestBackend.isFile, Comment(rawValue: TestBackend.fileOnly)))
    func aBackupTakenWhileServingIsCheckedAndRestoredWithANewGeneration() throws {
        let province = try AggregatorProcess(regions: ["410100", "410300"], name: "backup")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let ly = try AgentHandle(region: "410300", aggregator: province)
        let codes = try zz.generate(40, seed: 171)
        let luoyang = try ly.generate(25, seed: 172)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try ly.agent(["sync"]).status == 0)

        // The backup runs while Luoyang pushes 25 edits: both go through, and the backup holds
        // one committed state (verify recomputes every region's digest from it).
        let backup = province.folder + "/nightly.sqlite.gz"
        for code in luoyang { try ly.edit(code, ["employees": 7]) }
        let push = Running { try ly.agent(["sync"]) }
        let taken = try province.cli(["backup", backup])
        #expect(try push.value().status == 0)
        #expect(taken.status == 0, "\(taken)")
        #expect(taken.stdout.contains("410100 郑州市\t40 records") && taken.stdout.contains("410300 洛阳市\t25 records"), "\(taken.stdout)")
        #expect(taken.stdout.contains("2 regions, 65 live records"), "\(taken.stdout)")
        let verified = try province.cli(["backup", "verify", backup])
        #expect(verified.status == 0 && verified.stdout.contains("verified") && verified.stdout.contains("65 live records"), "\(verified)")
        let generation = try province.sql("SELECT generation FROM register_identity")
        #expect(verified.stdout.contains("generation \(generation)"), "\(verified.stdout)")

        // After the backup: Zhengzhou edits a record; the restore will lose it.
        let before = try province.record(codes[0]).document["employees"]
        try zz.edit(codes[0], ["employees": 12345])
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(codes[0]).document["employees"] == .int(12345))

        // Not while serve has the register open; not over a register without --force.
        let busy = try province.cli(["restore", backup, "--force"])
        #expect(busy.status == 1 && busy.stderr.contains("is open in another esync-aggregator"), "\(busy)")
        province.stop()
        let unforced = try province.cli(["restore", backup])
        #expect(unforced.status == 2 && unforced.stderr.contains("Give --force"), "\(unforced)")
        let restored = try province.cli(["restore", backup, "--force"])
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.stdout.contains("generation is now") && restored.stdout.contains("65 live records"), "\(restored.stdout)")

        // A new generation, the register before the restore kept beside it, the edit made
        // after the backup gone from the province (the bureau still has it).
        let newGeneration = try province.sql("SELECT generation || ' ' || restores FROM register_identity")
        #expect(newGeneration.hasSuffix(" 1") && !newGeneration.hasPrefix(generation), "\(newGeneration) after \(generation)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: province.folder).filter { $0.hasPrefix("province.sqlite.before-restore-") }
        try #require(kept.count == 1, "\(kept)")
        let keptEdit = try run("/usr/bin/sqlite3", [province.folder + "/" + kept[0], "SELECT json_extract(doc, '$.employees') FROM records WHERE uscc = '\(codes[0])'"], in: province.folder)
        #expect(keptEdit.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "12345", "\(keptEdit)")
        try province.restart()
        #expect(try province.record(codes[0]).document["employees"] == before)
        #expect(try province.sql("SELECT count(*) FROM records WHERE deleted = 0") == "65")
    }

    @Test(.enabled(if: TestBackend.isFile, Comment(rawValue: TestBackend.fileOnly)))
    func aDamagedOrAlteredBackupIsRefusedAndNamed() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "backup-damaged")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(30, seed: 173)
        #expect(try zz.agent(["sync"]).status == 0)
        let backup = province.folder + "/b.sqlite.gz"
        #expect(try province.cli(["backup", backup]).status == 0)
        let again = try province.cli(["backup", backup])
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: backup))

        // Cut short.
        let cut = province.folder + "/cut.sqlite.gz"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let short = try province.cli(["backup", "verify", cut])
        #expect(short.status == 1 && short.stderr.contains("cut.sqlite.gz: is damaged: unexpected end of file"), "\(short)")
        // One byte changed inside the compressed stream.
        var flipped = bytes
        flipped[flipped.count / 2] ^= 0x55
        let changed = province.folder + "/changed.sqlite.gz"
        try flipped.write(to: URL(fileURLWithPath: changed))
        let bad = try province.cli(["backup", "verify", changed])
        #expect(bad.status == 1 && bad.stderr.contains("changed.sqlite.gz: is damaged"), "\(bad)")
        // Not gzip at all.
        let plain = try province.cli(["backup", "verify", province.configPath])
        #expect(plain.status == 1 && plain.stderr.contains("is not a gzip file"), "\(plain)")
        // Whole and sound, but not holding what its manifest says: a record edited inside it.
        let unpacked = province.folder + "/unpacked.sqlite"
        #expect(try run("/bin/sh", ["-c", "gunzip -c '\(backup)' > '\(unpacked)'"], in: province.folder).status == 0)
        #expect(try run("/usr/bin/sqlite3", [unpacked, "UPDATE records SET doc = json_set(doc, '$.employees', 1) WHERE uscc = '\(codes[3])'"], in: province.folder).status == 0)
        #expect(try run("/bin/sh", ["-c", "gzip -c '\(unpacked)' > '\(province.folder)/altered.sqlite.gz'"], in: province.folder).status == 0)
        let altered = try province.cli(["backup", "verify", province.folder + "/altered.sqlite.gz"])
        #expect(altered.status == 1 && altered.stderr.contains("does not hold what its manifest says") && altered.stderr.contains("regions that differ: 410100"), "\(altered)")
        // A damaged backup is never restored: the register stays as it was.
        province.stop()
        let refused = try province.cli(["restore", changed, "--force"])
        #expect(refused.status == 1 && refused.stderr.contains("not restored"), "\(refused)")
        #expect(try province.sql("SELECT restores FROM register_identity") == "0")
        #expect(try FileManager.default.contentsOfDirectory(atPath: province.folder).allSatisfy { !$0.hasPrefix(".esync-") && !$0.contains("before-restore") })
    }

    @Test(.enabled(if: TestBackend.isFile, Comment(rawValue: TestBackend.fileOnly)))
    func backupsIntoAFolderKeepTheNewestOnes() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "backup-into")
        defer { province.stop() }
        let folder = province.folder + "/backups"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var names: [String] = []
        for _ in 0..<3 {
            let taken = try province.cli(["backup", "--into", folder, "--keep", "2"])
            #expect(taken.status == 0, "\(taken)")
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            Thread.sleep(forTimeInterval: 1.1)   // names carry the second
        }
        #expect(names.count == 2 && names.allSatisfy { $0.hasPrefix("register-") && $0.hasSuffix("Z.sqlite.gz") }, "\(names)")
        let usage = try province.cli(["backup", province.folder + "/x.sqlite.gz", "--keep", "2"])
        #expect(usage.status == 2 && usage.stderr.contains("--keep goes with --into DIR"), "\(usage)")
    }

    @Test(.enabled(if: !TestBackend.isFile, "the register is on PostgreSQL only with ESYNC_TEST_BACKEND=postgresql"))
    func backupAndRestoreRefuseARegisterOnPostgreSQLAndNamePgDump() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "backup-postgres")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        _ = try zz.generate(5, seed: 174)
        #expect(try zz.agent(["sync"]).status == 0)
        let backup = province.folder + "/b.sqlite.gz"
        for command in [["backup", backup], ["backup", "--into", province.folder, "--keep", "2"], ["restore", backup, "--force"]] {
            let refused = try province.cli(command)
            #expect(refused.status == 2, "\(command): \(refused)")
            #expect(refused.stderr.contains("this register is on PostgreSQL") && refused.stderr.contains("pg_dump")
                        && refused.stderr.contains(province.databaseURL ?? "?"), "\(command): \(refused.stderr)")
        }
        // Nothing was written, and the register is as it was.
        #expect(try FileManager.default.contentsOfDirectory(atPath: province.folder).allSatisfy { !$0.hasSuffix(".gz") && !$0.hasPrefix(".esync-backup") && !$0.hasPrefix("province.sqlite") })
        #expect(try province.sql("SELECT count(*) FROM records WHERE NOT deleted") == "5")
        #expect(try province.sql("SELECT restores FROM register_identity") == "0")
    }
}

/// A closure run on a thread of its own while the test goes on; `value()` waits for it.
final class Running<T: Sendable>: @unchecked Sendable {
    private var result: Result<T, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    func value() throws -> T {
        done.wait()
        return try result!.get()
    }
}
