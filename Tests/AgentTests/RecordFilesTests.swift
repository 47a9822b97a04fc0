@testable import Agent
import EndToEndSupport
import EnterpriseModel
import Foundation
import Testing

/// Issue 20: a record of another region, put or imported, is refused for its region, with the
/// reason a record file of another region gets from a push, whatever else is wrong with it.
@Suite struct RecordFilesTests {
    let temporary = TemporaryFolder("recordfiles")
    var root: String { temporary.path + "/store" }

    func record(region: String, seed: UInt64) -> JSONValue {
        var generator = SampleGenerator(seed: seed)
        return generator.next(region: Regions.region(code: region)!).json
    }

    @Test func aNewRecordOfAnotherRegionIsRefusedForItsRegionNotItsCounty() throws {
        let store = try Store.initialize(root, region: "410100")
        let files = RecordFiles(store: store, region: "410100")
        let reason = "field region: 410300 (洛阳市) is not this bureau's region 410100; a new record belongs to the bureau that registers it"
        // A Luoyang record, and a Zhengzhou record whose region was retyped (its county is still Zhengzhou's).
        var retyped = record(region: "410100", seed: 5)
        retyped = .object(retyped.objectValue!.merging(["region": "410300"]) { $1 })
        for document in [record(region: "410300", seed: 4), retyped] {
            let error = #expect(throws: AgentError.self) { try files.checked(document, origin: "list.csv:2") }
            #expect(error?.description == "list.csv:2: " + reason)
        }
    }

    @Test func aKnownRecordOfAnotherRegionIsToldHowToAskForTheTransfer() throws {
        let store = try Store.initialize(root, region: "410100")
        let document = record(region: "410100", seed: 6)
        let uscc = document["uscc"]!.stringValue!
        try store.writeBases([(uscc, Store.baseBytes(.init(revision: 1, document: document)))], dropped: [])
        let moved = JSONValue.object(document.objectValue!.merging(["region": "410300", "county": "410302"]) { $1 })
        let error = #expect(throws: AgentError.self) { try RecordFiles(store: store, region: "410100").checked(moved, origin: "moved.json") }
        #expect(error?.description == "moved.json: field region: 410300 (洛阳市) is not this bureau's region 410100; to move the record there, "
            + "change region and county in records/\(uscc).json and sync: the province decides the transfer")
    }
}
