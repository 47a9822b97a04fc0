@testable import Aggregator
import EndToEndSupport
import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The province's database holds every token hash and the whole register: it is readable by the
/// service's user only, whatever umask the process was started with.
@Suite(.serialized) struct DatabaseFileModeTests {
    let temporary = TemporaryFolder("mode")

    func mode(_ path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        return info.st_mode & 0o777
    }

    @Test func aNewDatabaseAndItsWALAndSHMAre0600UnderUmask022() async throws {
        let path = temporary.path + "/province.sqlite"
        let old = umask(0o022)
        defer { umask(old) }
        let database = try ProvinceDatabase(path: path)
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE probe (x)") }
        for file in [path, path + "-wal", path + "-shm"] {
            let found = try mode(file)
            #expect(found == 0o600, "\(file): \(String(found, radix: 8))")
        }
    }

    /// A file that already exists keeps the mode its operator gave it.
    @Test func anExistingDatabaseKeepsItsMode() async throws {
        let path = temporary.path + "/province.sqlite"
        _ = try ProvinceDatabase(path: path)
        #expect(chmod(path, 0o640) == 0)
        _ = try ProvinceDatabase(path: path)
        #expect(try mode(path) == 0o640)
    }
}
