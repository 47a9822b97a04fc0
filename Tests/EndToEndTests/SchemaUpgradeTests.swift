@testable import EndToEndSupport
import Foundation
import Testing

/// An upgrade meets a register written by an older version (`Fixtures/register-v18.sql`: the
/// first version's register with its records, history, a conflict and a token, migrated to
/// v18-certificate-keys). `serve` and the other commands refuse it and say what to run, so
/// that instances sharing a register never race to migrate it; `database migrate` does it once.
@Suite struct SchemaUpgradeTests {
    let temporary = TemporaryFolder("e2e-schema")
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/register-v18.sql").path

    func olderRegister() throws -> (folder: String, config: String) {
        let folder = try temporary.subfolder("schema")
        let config = folder + "/aggregator.yaml"
        try "listen: { host: 127.0.0.1, port: 0 }\ndatabase: { path: province.sqlite }\ncli: { by: harness }\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let load = try run("/usr/bin/sqlite3", [folder + "/province.sqlite", ".read '\(Self.fixture)'"], in: folder)
        guard load.status == 0 else { throw HarnessError("cannot load the fixture: \(load)") }
        return (folder, config)
    }

    @Test func anOlderRegisterIsRefusedUntilMigratedOnPurpose() throws {
        let (folder, config) = try olderRegister()
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let serve = try run(Binaries.aggregator, ["serve", "--config", config], in: folder, killAfter: 30)
        #expect(serve.status == 2, "\(serve)")
        #expect(serve.stderr.contains("has schema v18-certificate-keys; this esync-aggregator needs v24-recent-changes-from-the-index (6 migrations to run: v19-facts-in-swift, v20-history-deltas, v21-register-identity, v22-provenance-from-history, v23-history-in-write-order, v24-recent-changes-from-the-index)"), "\(serve)")
        #expect(serve.stderr.contains("run `esync-aggregator database migrate`"), "\(serve)")
        let list = try run(Binaries.aggregator, ["conflicts", "list", "--config", config], in: folder)
        #expect(list.status == 2 && list.stderr.contains("database migrate"), "\(list)")
        // Nothing was migrated by the refusals.
        let before = try run("/usr/bin/sqlite3", [folder + "/province.sqlite", "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1"], in: folder)
        #expect(before.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "v18-certificate-keys")

        let migrate = try run(Binaries.aggregator, ["database", "migrate", "--config", config], in: folder)
        #expect(migrate.status == 0, "\(migrate)")
        #expect(migrate.stdout.contains("from v18-certificate-keys to v24-recent-changes-from-the-index: 6 migrations (v19-facts-in-swift, v20-history-deltas, v21-register-identity, v22-provenance-from-history, v23-history-in-write-order, v24-recent-changes-from-the-index)"), "\(migrate)")
        let again = try run(Binaries.aggregator, ["database", "migrate", "--config", config], in: folder)
        #expect(again.status == 0 && again.stdout.contains("nothing to do"), "\(again)")

        // The migrated register answers: its open conflict and its history, read as today's.
        let open = try run(Binaries.aggregator, ["conflicts", "list", "--config", config], in: folder)
        #expect(open.status == 0 && open.stdout.contains("employees"), "\(open)")
        let started = try run(Binaries.aggregator, ["serve", "--config", config], in: folder, killAfter: 3)
        #expect(started.status == 128 + 9 && started.stdout.contains("listening on"), "serve ran until killed: \(started)")
    }

    @Test func aRegisterMigratedByANewerVersionIsRefused() throws {
        let (folder, config) = try olderRegister()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try run(Binaries.aggregator, ["database", "migrate", "--config", config], in: folder).status == 0)
        let future = try run("/usr/bin/sqlite3", [folder + "/province.sqlite", "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')"], in: folder)
        #expect(future.status == 0, "\(future)")
        for command in [["serve"], ["database", "migrate"]] {
            let refused = try run(Binaries.aggregator, command + ["--config", config], in: folder, killAfter: 30)
            #expect(refused.status == 2 && refused.stderr.contains("was migrated by a newer esync-aggregator (it ran v99-from-the-future"), "\(command): \(refused)")
        }
    }

    /// Two instances started at once on a register that is not there yet: one makes it and
    /// gives it the schema, the other waits for that instead of taking it for an older one.
    @Test func twoInstancesStartingOnANewRegisterBothServe() throws {
        for attempt in 0..<3 {
            let folder = try temporary.subfolder("schema-race")
            let config = folder + "/aggregator.yaml"
            try "listen: { host: 127.0.0.1, port: 0 }\ndatabase: { path: province.sqlite }\n".write(toFile: config, atomically: true, encoding: .utf8)
            let results = Collected([ProcessResult?](repeating: nil, count: 2))
            DispatchQueue.concurrentPerform(iterations: 2) { n in
                results.set(n, try? run(Binaries.aggregator, ["serve", "--config", config], in: folder, killAfter: 4))
            }
            for result in results.values {
                #expect(result?.status == 128 + 9 && result?.stdout.contains("listening on") == true, "attempt \(attempt): \(result.map(String.init(describing:)) ?? "did not run")")
            }
        }
    }
}
