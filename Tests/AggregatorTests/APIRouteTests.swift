@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import SyncCore
import Testing

/// The API's router in process (Hummingbird's test client, no socket): authentication by the
/// middleware, the error bodies the errors give, and a route of each controller. The end-to-end
/// suites drive the same routes through a real process and libcurl.
@Suite struct APIRouteTests {
    let temporary = TemporaryFolder("routes")
    let database: ProvinceDatabase
    let server: AggregatorServer
    let bureau: String
    let kaifeng: String
    let reviewer: String
    let record: JSONValue

    init() async throws {
        let folder = temporary.path
        database = try await TestRegister.open(folder + "/province.sqlite")
        server = AggregatorServer(config: AggregatorConfig(configPath: folder + "/aggregator.yaml", databasePath: folder + "/province.sqlite"), database: database)
        let tokens = TokenStore(database: database)
        bureau = try await tokens.add(role: .bureau, region: "410100", name: "zz")
        kaifeng = try await tokens.add(role: .bureau, region: "410200", name: "kf")
        reviewer = try await tokens.add(role: .reviewer, region: nil, name: "wang")
        var generator = SampleGenerator(seed: 9)
        record = generator.next(region: Regions.region(code: "410100")).json
    }

    var uscc: String { record["uscc"]!.stringValue! }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: server.makeRouter())
        try await app.test(.router, body)
    }

    static func headers(_ token: String?) -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer " + token }
        return fields
    }

    static func error(_ response: TestResponse) throws -> APIErrorBody {
        try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: response.body))
    }

    @Test func everyAPIRouteWantsCredentialsAndSaysWhichAreWrong() async throws {
        let uscc = self.uscc, bureau = self.bureau
        try await test { client in
            for (method, path) in [(HTTPRequest.Method.get, "/v1/changes"), (.post, "/v1/changesets"), (.get, "/v1/records/\(uscc)"),
                                   (.get, "/v1/conflicts"), (.get, "/v1/store-epoch"), (.get, "/v1/report")] {
                let none = try await client.execute(uri: path, method: method)
                #expect(try none.status == .unauthorized && Self.error(none).error == "unauthorized", "\(method) \(path)")
                let wrong = try await client.execute(uri: path, method: method, headers: Self.headers("esync_" + String(repeating: "0", count: 64)))
                #expect(try wrong.status == .unauthorized && Self.error(wrong).message == "unknown or revoked token", "\(method) \(path)")
            }
            var basic = HTTPFields()
            basic[.authorization] = "Basic " + bureau
            let notBearer = try await client.execute(uri: "/v1/changes", method: .get, headers: basic)
            #expect(try notBearer.status == .unauthorized && Self.error(notBearer).message.contains("not a bearer token"))
            // Open routes stay open.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func aBureauPushesReadsItsOwnAndIsRefusedTheRestWithTheServicesWords() async throws {
        let record = self.record, uscc = self.uscc, bureau = self.bureau, kaifeng = self.kaifeng, reviewer = self.reviewer
        try await test { client in
            let change = RecordDiff.change(uscc: uscc, base: nil, baseRevision: nil, working: record)!
            let body = ByteBuffer(bytes: ChangeSet(id: "route-1", region: "410100", createdAt: "now", records: [change]).encoded())
            let pushed = try await client.execute(uri: "/v1/changesets", method: .post, headers: Self.headers(bureau), body: body)
            #expect(pushed.status == .ok)
            let result = try ChangeSetResult.decode(Data(buffer: pushed.body))
            #expect(result.records.map(\.outcome) == [.applied])

            let own = try await client.execute(uri: "/v1/records/\(uscc)", method: .get, headers: Self.headers(bureau))
            #expect(try own.status == .ok && JSONDecoder().decode(RecordView.self, from: Data(buffer: own.body)).revision == 1)
            let other = try await client.execute(uri: "/v1/records/\(uscc)", method: .get, headers: Self.headers(kaifeng))
            #expect(try other.status == .forbidden && Self.error(other).message.contains("belongs to region 410100"))
            let queue = try await client.execute(uri: "/v1/conflicts", method: .get, headers: Self.headers(bureau))
            #expect(try queue.status == .forbidden && Self.error(queue).error == "forbidden")
            let report = try await client.execute(uri: "/v1/report", method: .get, headers: Self.headers(bureau))
            #expect(report.status == .forbidden)
            #expect(try await client.execute(uri: "/v1/report", method: .get, headers: Self.headers(reviewer)).status == .ok)
            let missing = try await client.execute(uri: "/v1/conflicts/999", method: .get, headers: Self.headers(reviewer))
            #expect(try missing.status == .notFound && Self.error(missing).error == "not_found")
            let garbage = try await client.execute(uri: "/v1/changesets", method: .post, headers: Self.headers(bureau), body: ByteBuffer(string: "{"))
            #expect(try garbage.status == .badRequest && Self.error(garbage).message.hasPrefix("the body is not a change set"))
            // A bureau's feed is its own region's, whatever it names.
            let feed = try await client.execute(uri: "/v1/changes?region=410200&own=1", method: .get, headers: Self.headers(bureau))
            #expect(try feed.status == .ok && ChangePage.decode(Data(buffer: feed.body)).records.map(\.uscc) == [uscc])
            let theirs = try await client.execute(uri: "/v1/changes?own=1", method: .get, headers: Self.headers(kaifeng))
            #expect(try ChangePage.decode(Data(buffer: theirs.body)).records.isEmpty)
        }
    }

    @Test func aChangeSetInZstdIsTakenAndAnswersComeInZstdToWhoAsksForIt() async throws {
        let bureau = self.bureau
        var generator = SampleGenerator(seed: 21)
        let records = (0..<3).map { _ in generator.next(region: Regions.region(code: "410100")).json }
        try await test { client in
            let changes = records.map { RecordDiff.change(uscc: $0["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: $0)! }
            let plain = ChangeSet(id: "route-zstd", region: "410100", createdAt: "now", records: changes).encoded()
            var headers = Self.headers(bureau)
            headers[.contentEncoding] = "zstd"
            let pushed = try await client.execute(uri: "/v1/changesets", method: .post, headers: headers, body: ByteBuffer(bytes: try #require(Zstd.compress(plain))))
            #expect(pushed.status == .ok)
            // Every answer says it takes zstd; the agent sends it only after hearing that.
            #expect(pushed.headers[HTTPField.Name(ProvinceAccepts.header)!].map { ProvinceAccepts.names(ProvinceAccepts.zstd, in: $0) } == true)
            #expect(try ChangeSetResult.decode(Data(buffer: pushed.body)).records.map(\.outcome) == [.applied, .applied, .applied])

            var asking = Self.headers(bureau)
            asking[.acceptEncoding] = "zstd, gzip"
            let feed = try await client.execute(uri: "/v1/changes?own=1", method: .get, headers: asking)
            #expect(feed.headers[.contentEncoding] == "zstd")
            let page = try ChangePage.decode(Data(Zstd.decompress(Array(buffer: feed.body), limit: 1 << 20)))
            #expect(Set(page.records.map(\.uscc)) == Set(records.map { $0["uscc"]!.stringValue! }))
            asking[.acceptEncoding] = "gzip"
            #expect(try await client.execute(uri: "/v1/changes?own=1", method: .get, headers: asking).headers[.contentEncoding] == "gzip")

            let garbage = try await client.execute(uri: "/v1/changesets", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(try garbage.status == .badRequest && Self.error(garbage).message.hasPrefix("zstd body cannot be decompressed"))
        }
    }
}
