@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore

/// A province in process: its database in a temporary folder, its API served by its router
/// without a socket (`RouterClient`), a bureau token per region. `restart()` drops the server
/// and opens the database again, as a province killed and started again would.
final class InProcessProvince: @unchecked Sendable {
    let folder: String
    let regions: [String]
    private(set) var database: ProvinceDatabase
    private(set) var server: AggregatorServer
    private(set) var tokens: [String: String] = [:]
    let reviewer = Principal.provinceCLI(user: "wang")

    init(regions: [String], name: String) async throws {
        folder = TemporaryFolder.make("inprocess-\(name)")
        self.regions = regions
        (database, server) = try Self.open(folder)
        for region in regions {
            tokens[region] = try await TokenStore(database: database).add(role: .bureau, region: region, name: "bureau-\(region)")
        }
    }

    private static func open(_ folder: String) throws -> (ProvinceDatabase, AggregatorServer) {
        let database = try ProvinceDatabase(path: folder + "/province.sqlite")
        let config = AggregatorConfig(configPath: folder + "/aggregator.yaml", databasePath: folder + "/province.sqlite")
        return (database, AggregatorServer(config: config, database: database))
    }

    func restart() throws {
        (database, server) = try Self.open(folder)
    }

    /// Runs `body` (blocking agent work) with the API in process.
    func withAPI<T: Sendable>(_ body: @escaping @Sendable (RouterClient) throws -> T) async throws -> T {
        try await withRouter(server, body)
    }

    /// An edit by the province's staff, as `esync-aggregator records set` makes it.
    func set(_ uscc: String, _ field: String, _ value: JSONValue) async throws {
        _ = try await MergeService(database: database).patch(uscc, RecordPatch(set: [field: value]), by: .provinceCLI(user: "editor"))
    }

    func openConflicts() async throws -> [ConflictView] {
        try await ConflictService(database: database).list(.init(), for: reviewer)
    }

    func allConflicts() async throws -> [ConflictView] {
        try await ConflictService(database: database).list(.init(status: nil, limit: 100_000), for: reviewer)
    }

    func resolve(_ id: Int64, _ resolution: Resolution) async throws {
        _ = try await ConflictService(database: database).resolve(id, resolution, by: reviewer)
    }

    /// The live records of `region`, as the change feed gives them to the province's staff.
    func records(of region: String) async throws -> [String: JSONValue] {
        var records: [String: JSONValue] = [:]
        var cursor: Int64 = 0
        while true {
            let page = try await MergeService(database: database).changes(region: region, since: cursor, limit: 1000)
            for record in page.records {
                if record.deleted || record.movedTo != nil { records[record.uscc] = nil } else { records[record.uscc] = record.document }
            }
            cursor = page.cursor
            if !page.more { return records }
        }
    }

    func history(_ uscc: String) async throws -> [JSONValue] {
        try await MergeService(database: database).history(uscc, for: reviewer).compactMap(\.document)
    }

    /// Removes the folder, the bureaus' folders in it too (kept with ESYNC_KEEP set).
    func removeFolder() { TemporaryFolder.remove(folder) }
}
