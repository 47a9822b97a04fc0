@testable import Agent
@testable import Aggregator
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// New records go whole (`RecordChange.document`) to a province that says it takes them
/// (`ESync-Accepts: whole-records`), field by field to one that does not, and a change set
/// sealed whole that an older province refuses is sealed again field by field.
@Suite struct WholeRecordsTests {
    /// The in-process transport, keeping each change set the agent sends; `older`: answers as a
    /// province before whole records would (no `ESync-Accepts`, and a change set with a record
    /// sent whole refused as that province refused it: a new record naming no region).
    final class Recording: ProvinceTransport, @unchecked Sendable {
        let inner: InProcessTransport
        private let lock = NSLock()
        private var sentStorage: [ChangeSet] = []
        private var olderStorage = false
        private var stamp: String?

        init(_ router: RouterClient) { inner = InProcessTransport(router) }

        var sent: [ChangeSet] { lock.withLock { sentStorage } }
        var older: Bool {
            get { lock.withLock { olderStorage } }
            set { lock.withLock { olderStorage = newValue } }
        }

        func perform(_ request: HTTPRequest) throws(CurlError) -> HTTPResponse {
            let push = request.method == .post && request.url.hasSuffix("/v1/changesets")
            if push, let body = request.body, let changeSet = try? ChangeSet.decode(body) {
                lock.withLock { sentStorage.append(changeSet) }
                if older, let whole = changeSet.records.first(where: { $0.document != nil }) {
                    let refusal = #"{"error": "forbidden", "message": "new record \#(whole.uscc) names region none; the bureau of 410100 may only create records of its own region"}"#
                    return HTTPResponse(status: 403, headers: ["esync-register": lock.withLock { stamp } ?? "", "content-type": "application/json"], body: Array(refusal.utf8))
                }
            }
            var response = try inner.perform(request)
            if let seen = response.header(RegisterStamp.header) { lock.withLock { stamp = seen } }
            if older { response.headers[ProvinceAccepts.header.lowercased()] = nil }
            return response
        }
    }

    func engine(_ bureau: InProcessBureau, _ transport: Recording, perChangeSet: Int) throws -> SyncEngine {
        var config = bureau.config
        config.maxRecordsPerChangeSet = perChangeSet
        let client = ProvinceClient(baseURL: InProcessTransport.baseURL, region: bureau.region, token: bureau.token, transport: transport)
        return try SyncEngine(config: config, store: try Store.open(bureau.storePath), client: client)
    }

    /// The records as the bureau's files hold them.
    func files(_ bureau: InProcessBureau, _ codes: [String]) throws -> [String: JSONValue] {
        let store = try Store.open(bureau.storePath)
        return Dictionary(uniqueKeysWithValues: try codes.map { ($0, try store.readRecord($0)) })
    }

    @Test func newRecordsGoWholeOnceTheProvinceSaysItTakesThem() async throws {
        let province = try await InProcessProvince(regions: ["410100"], name: "whole-records")
        defer { province.removeFolder() }
        let bureau = try InProcessBureau(region: "410100", token: province.tokens["410100"]!, folder: province.folder + "/bureau")
        let first = try bureau.generate(3, seed: 11)
        let sent = try await province.withAPI { router in
            let transport = Recording(router)
            let engine = try self.engine(bureau, transport, perChangeSet: 4)
            // Nothing heard from the province yet: field by field.
            #expect(try engine.push().applied == 3)
            return transport.sent
        }
        #expect(sent.count == 1 && sent[0].records.allSatisfy { $0.document == nil && !$0.fields.isEmpty })
        let codes = try bureau.generate(10, seed: 12)
        let (whole, again) = try await province.withAPI { router in
            let transport = Recording(router)
            let engine = try self.engine(bureau, transport, perChangeSet: 4)
            _ = try engine.pull()  // an answer that says what the province takes
            let summary = try engine.push()
            #expect(summary.applied == 10 && summary.rejected.isEmpty, "\(summary.line)")
            return (transport.sent, try engine.push().changeSetsSent)
        }
        #expect(whole.count == 3, "10 records, 4 a change set")
        #expect(whole.allSatisfy { $0.records.allSatisfy { $0.document != nil && $0.fields.isEmpty } })
        #expect(again == 0, "nothing left to send once the answers are taken in")
        // The province holds each record as its file does, its history the whole document.
        let held = try await province.records(of: "410100")
        let expected = try files(bureau, first + codes)
        #expect(held == expected)
        for code in codes { #expect(try await province.history(code) == [expected[code]!]) }
        // The bureau's bases are what the province holds: a pull brings nothing back to merge.
        #expect(try bureau.pendingChanges().isEmpty)
    }

    @Test func aChangeSetSealedWholeThatAnOlderProvinceRefusesIsSealedAgainFieldByField() async throws {
        let province = try await InProcessProvince(regions: ["410100"], name: "whole-records-older")
        defer { province.removeFolder() }
        let bureau = try InProcessBureau(region: "410100", token: province.tokens["410100"]!, folder: province.folder + "/bureau")
        let codes = try bureau.generate(9, seed: 13)
        let (sent, summary, log) = try await province.withAPI { router in
            let transport = Recording(router)
            let engine = try self.engine(bureau, transport, perChangeSet: 4)
            let lines = LogLines()
            engine.log = { lines.append($0) }
            _ = try engine.pull()
            // An older province answers from here on (a rolling upgrade going back, say).
            transport.older = true
            let summary = try engine.push()
            return (transport.sent, summary, lines.all)
        }
        #expect(summary.applied == 9 && summary.rejected.isEmpty, "\(summary.line)")
        #expect(sent.first?.records.allSatisfy { $0.document != nil } == true, "sealed whole, as the province said before")
        #expect(sent.dropFirst().allSatisfy { $0.records.allSatisfy { $0.document == nil } }, "then field by field")
        #expect(sent.dropFirst().count == 3, "the three change sets, sent again")
        #expect(log.contains { $0.contains("sealed again field by field") }, "\(log)")
        #expect(!FileManager.default.fileExists(atPath: bureau.storePath + "/.esync/refused"), "nothing set aside")
        #expect(try await province.records(of: "410100") == files(bureau, codes))
        #expect(try bureau.pendingChanges().isEmpty)
    }
}

/// Log lines gathered from the engine's thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
