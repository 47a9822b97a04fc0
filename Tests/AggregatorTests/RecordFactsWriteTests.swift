@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import GRDB
import SyncCore
import Testing

/// `record_facts` rows as the merge writes them: whole, or updated in place when no indexed
/// column moved, also when one change set writes a record twice (its second revision's facts
/// compared with its first, which the register has not seen yet).
@Suite struct RecordFactsWriteTests {
    let temporary = TemporaryFolder("facts")
    var folder: String { temporary.path }
    let zhengzhou = Principal(role: .bureau, region: "410100", name: "bureau 410100")

    func facts(_ database: ProvinceDatabase, _ uscc: String) async throws -> (employees: Int64?, deleted: Int64?) {
        try await database.pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT employees, deleted FROM record_facts WHERE uscc = ?", arguments: [uscc])
            return (row?["employees"], row?["deleted"])
        }
    }

    @Test func aRecordCreatedAndEditedInOneChangeSetHasTheFactsOfItsEdit() async throws {
        let database = try ProvinceDatabase(path: folder + "/province.sqlite")
        let merge = MergeService(database: database)
        var generator = SampleGenerator(seed: 17)
        var record = generator.next(region: Regions.region(code: "410100")).json
        FieldPath.set(&record, path: "employees", to: .int(10))
        let uscc = record["uscc"]!.stringValue!
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(20))
        let create = RecordDiff.change(uscc: uscc, base: nil, baseRevision: nil, working: record)!
        let edit = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!
        let result = try await merge.apply(ChangeSet(id: "create-and-edit", region: "410100", createdAt: "now", records: [create, edit]), from: zhengzhou)
        #expect(result.records.map(\.revision) == [1, 2])
        #expect(try await facts(database, uscc) == (20, 0))

        // Then edited in place (the row exists now), twice in one change set.
        var again = edited, last = edited
        FieldPath.set(&again, path: "employees", to: .int(30))
        FieldPath.set(&last, path: "employees", to: .int(40))
        let third = RecordDiff.change(uscc: uscc, base: edited, baseRevision: 2, working: again)!
        let fourth = RecordDiff.change(uscc: uscc, base: again, baseRevision: 3, working: last)!
        _ = try await merge.apply(ChangeSet(id: "twice", region: "410100", createdAt: "now", records: [third, fourth]), from: zhengzhou)
        #expect(try await facts(database, uscc) == (40, 0))
    }
}
