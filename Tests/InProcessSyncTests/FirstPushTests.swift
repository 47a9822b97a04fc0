@testable import Agent
@testable import Aggregator
import EnterpriseModel
import CurlHTTP
import Foundation
import SyncCore
import Testing

/// A first push reads each new record file once: its scan lists the files the index has no
/// entry for without reading them, and its diff reads, validates and hashes each, and notes it
/// in the index. (Before, the scan read every file and the diff read all but the first 1,000
/// again: a fifth of a first upload of 100,000 records.)
@Suite struct FirstPushTests {
    /// Files that are a push's records, and one that is broken among them.
    func bureauWithNewFiles(_ count: Int, in province: InProcessProvince) throws -> (InProcessBureau, [String], String) {
        let bureau = try InProcessBureau(region: "410100", token: province.tokens["410100"]!, folder: province.folder + "/bureau")
        let codes = try bureau.generate(count, seed: 5)
        let broken = USCC.make(division: "410100", organizationBody: "MA00BRK1").rawValue
        try Data(#"{"uscc": "\#(broken)", "name": "#.utf8).write(to: URL(fileURLWithPath: bureau.storePath + "/records/\(broken).json"))
        return (bureau, codes, broken)
    }

    /// What a push did: the files it read, the invalid files it reported, the records applied.
    struct Pushed: Sendable {
        var reads: Int
        var invalid: [String]
        var applied: Int
        /// The records of each change set sealed, in order (from the log).
        var sealed: [Int]
    }

    /// `maxRecords`: the most a change set holds, when not the default.
    func push(_ bureau: InProcessBureau, to province: InProcessProvince, maxRecords: Int? = nil) async throws -> Pushed {
        try await province.withAPI { router in
            let client = ProvinceClient(baseURL: InProcessTransport.baseURL, region: bureau.region, token: bureau.token, transport: InProcessTransport(router))
            let store = try Store.open(bureau.storePath)
            var config = bureau.config
            if let maxRecords { config.maxRecordsPerChangeSet = maxRecords }
            let engine = try SyncEngine(config: config, store: store, client: client)
            let lines = LogLines()
            engine.log = { lines.append($0) }
            let summary = try engine.push()
            let sealed = lines.all.compactMap { line in
                line.hasPrefix("sealed change set ") ? line.split(separator: " ").firstIndex(of: "with").flatMap { Int(line.split(separator: " ")[$0 + 1]) } : nil
            }
            return Pushed(reads: store.recordFilesRead, invalid: summary.invalid.map { "\($0.file): \($0.reason)" }, applied: summary.applied, sealed: sealed)
        }
    }

    @Test func aFirstPushReadsEachNewFileOnceAndReportsTheBrokenOne() async throws {
        let province = try await InProcessProvince(regions: ["410100"], name: "first-push")
        defer { province.removeFolder() }
        // More than the 1,000 documents a scan keeps for the diff.
        let (bureau, codes, broken) = try bureauWithNewFiles(1_200, in: province)
        // Old enough that their stat is trusted (`StatIndex.racyWindowNs`): the answers are then
        // taken in without reading the files again, and every read counted is the diff's.
        try await Task.sleep(for: .milliseconds(2_100))
        let pushed = try await push(bureau, to: province, maxRecords: 400)
        #expect(pushed.reads == 1_201, "each new file read once")
        #expect(pushed.applied == 1_200)
        #expect(pushed.sealed == [250, 400, 400, 150], "change sets grow from 250 to the most one holds (400 here)")
        #expect(pushed.invalid.count == 1 && pushed.invalid[0].hasPrefix("records/\(broken).json: "), "\(pushed.invalid)")
        #expect(try await province.records(of: "410100").keys.sorted() == codes)
        // The index names what the diff read: the broken file's reason, every other file's hash.
        let index = try StatIndex.load(from: Store.open(bureau.storePath).indexPath)
        #expect(index.entries.count == 1_201)
        #expect(index.entries.values.allSatisfy { $0.docHash != Scanner.unreadHash })
        #expect(index.entries[broken]?.invalidReason != nil)
        // Nothing is left to send; the broken file is still reported, by the scan now.
        let again = try bureau.pendingChanges()
        #expect(again.isEmpty)
        let status = try SyncEngine(config: bureau.config, store: try Store.open(bureau.storePath)).diff()
        #expect(status.scan.invalid.map(\.file) == ["records/\(broken).json"])
    }

    /// `status` and `diff` take the changes one by one (`SyncEngine.diff(each:)`): the same
    /// changes as a diff that keeps them, none kept in the diff it returns.
    @Test func aDiffTakenChangeByChangeKeepsNoneAndHandsEachOnce() async throws {
        let province = try await InProcessProvince(regions: ["410100"], name: "first-push-diff")
        defer { province.removeFolder() }
        let (bureau, codes, broken) = try bureauWithNewFiles(1_100, in: province)
        let kept = try SyncEngine(config: bureau.config, store: try Store.open(bureau.storePath)).diff()
        var handed: [RecordChange] = []
        let streamed = try SyncEngine(config: bureau.config, store: try Store.open(bureau.storePath)).diff { handed.append($0) }
        #expect(streamed.changes.isEmpty)
        #expect(handed.map(\.uscc).sorted() == codes && handed.allSatisfy { $0.op == .create })
        #expect(handed == kept.changes, "the same changes in the same order")
        #expect(streamed.scan.invalid.map(\.file) == ["records/\(broken).json"] && streamed.scan.filesSeen == 1_101)
    }

    /// The answer to a push takes a record in as sent without looking at its file again
    /// (`StoreWriter.stage`): what the operator did to the file while the change set was on
    /// the wire is found by the next scan and goes with the next push, an edit as an edit and
    /// a removal as a delete request, instead of being merged (or the file written back).
    @Test func whatIsDoneToAFileWhileItsPushIsOnTheWireGoesWithTheNextPush() async throws {
        let province = try await InProcessProvince(regions: ["410100"], name: "first-push-touched")
        defer { province.removeFolder() }
        let bureau = try InProcessBureau(region: "410100", token: province.tokens["410100"]!, folder: province.folder + "/bureau")
        let codes = try bureau.generate(3, seed: 7)
        try await Task.sleep(for: .milliseconds(2_100))  // stats old enough to be trusted
        let touched = Counter()
        let applied = try await province.withAPI { router in
            let transport = TouchingTransport(InProcessTransport(router)) {
                guard touched.next() == 1 else { return }
                try? bureau.edit(codes[0], "employees", 4_321)
                try? FileManager.default.removeItem(atPath: bureau.storePath + "/records/\(codes[1]).json")
            }
            let client = ProvinceClient(baseURL: InProcessTransport.baseURL, region: bureau.region, token: bureau.token, transport: transport)
            return try SyncEngine(config: bureau.config, store: Store.open(bureau.storePath), client: client).push().applied
        }
        #expect(applied == 3)
        #expect(touched.next() > 1, "the files were touched while the push was on the wire")
        #expect(try bureau.recordFiles().sorted() == [codes[0], codes[2]].sorted(), "the removed file stays removed")
        let pending = try bureau.pendingChanges()
        #expect(pending.count == 2, "\(pending)")
        #expect(pending.first { $0.uscc == codes[0] }?.fields["employees"]?.value == 4_321)
        #expect(pending.first { $0.uscc == codes[1] }?.op == .delete)
    }

    /// A file gone from the folder may be a record renamed away from its name: a new file is then
    /// read by the scan, as before, so that the renamed record is known as invalid (and not
    /// deleted) before the push decides what the missing file means.
    @Test func aRecordRenamedAwayIsNotADeleteWhenNewFilesAreDeferred() async throws {
        let province = try await InProcessProvince(regions: ["410100"], name: "first-push-renamed")
        defer { province.removeFolder() }
        let bureau = try InProcessBureau(region: "410100", token: province.tokens["410100"]!, folder: province.folder + "/bureau")
        let codes = try bureau.generate(3, seed: 6)
        #expect(try await push(bureau, to: province).applied == 3)
        let records = bureau.storePath + "/records/"
        try FileManager.default.moveItem(atPath: records + codes[0] + ".json", toPath: records + "renamed.json")
        let pushed = try await push(bureau, to: province)
        #expect(pushed.invalid.contains { $0.hasPrefix("records/renamed.json: ") && $0.contains("it holds record \(codes[0])") }, "\(pushed.invalid)")
        #expect(try await province.records(of: "410100").keys.sorted() == codes, "the renamed record was deleted")
    }
}

/// A transport that calls `touch` before each push goes to the province: the moment between
/// sealing a change set and taking in its answer.
final class TouchingTransport: ProvinceTransport, Sendable {
    let inner: InProcessTransport
    let touch: @Sendable () -> Void

    init(_ inner: InProcessTransport, touch: @escaping @Sendable () -> Void) {
        self.inner = inner
        self.touch = touch
    }

    func perform(_ request: HTTPRequest) throws(CurlError) -> HTTPResponse {
        if request.method == .post, request.url.hasSuffix("/v1/changesets") { touch() }
        return try inner.perform(request)
    }
}
