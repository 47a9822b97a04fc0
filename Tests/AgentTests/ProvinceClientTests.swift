@testable import Agent
@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The province client against a loopback HTTP server playing the province.
@Suite struct ProvinceClientTests {
    /// Headers of a province's own answer that takes zstd (`ESync-Accepts`, next to its stamp).
    static let takesZstd = [(RegisterStamp.header, "ab12; generation=cd34"), (ProvinceAccepts.header, "whole-records, pipelined, zstd")]

    /// A province whose answers name zstd refuses a zstd body (an instance from before zstd
    /// behind the same address, a proxy): the change set goes once more in gzip, and gzip after.
    @Test func aChangeSetRefusedInZstdGoesOnceMoreInGzip() throws {
        let temporary = TemporaryFolder("province-client")
        let changeSet = ChangeSet(id: "cs-1", region: "410100", createdAt: "now", records: [])
        let answer = Array(#"{"format":1,"id":"cs-1","records":[],"replayed":false}"#.utf8)
        let server = try LoopbackServer { request in
            if request.method == "GET" { return .respond(status: 200, headers: Self.takesZstd + [("Content-Type", "application/json")], body: Array("null".utf8)) }
            guard request.header("content-encoding") == "gzip" else {
                return .respond(status: 400, headers: [("Content-Type", "application/json")],
                                body: Array(#"{"error":"bad_request","message":"Content-Encoding zstd is not supported (use gzip)"}"#.utf8))
            }
            return .respond(status: 200, headers: Self.takesZstd + [("Content-Type", "application/json")], body: answer)
        }
        defer { server.stop() }
        var config = AgentConfig(configPath: temporary.path + "/agent.yaml", region: "410100", storePath: temporary.path + "/store")
        config.serverURL = "http://127.0.0.1:\(server.port)"
        config.tokenFile = temporary.path + "/agent.token"
        try Data("esync_test".utf8).write(to: URL(fileURLWithPath: temporary.path + "/agent.token"))
        let client = try ProvinceClient(config: config)
        _ = try? client.storeRegistration()
        #expect(client.acceptsZstd)
        let (result, refused) = try client.push(changeSet.encoded(), sent: changeSet, identity: nil)
        #expect(result.id == "cs-1" && refused.isEmpty)
        let encodings = server.requests.filter { $0.method == "POST" }.map { $0.header("content-encoding") ?? "" }
        #expect(encodings == ["zstd", "gzip"])
        // A change set the province refuses whatever its coding is refused after the second try.
        let refusing = try LoopbackServer { _ in
            .respond(status: 400, headers: Self.takesZstd + [("Content-Type", "application/json")],
                     body: Array(#"{"error":"bad_request","message":"the body is not a change set"}"#.utf8))
        }
        defer { refusing.stop() }
        config.serverURL = "http://127.0.0.1:\(refusing.port)"
        let other = try ProvinceClient(config: config)
        _ = try? other.storeRegistration()
        #expect(throws: AgentError.self) { try other.push(changeSet.encoded(), sent: changeSet, identity: nil) }
        #expect(refusing.requests.filter { $0.method == "POST" }.map { $0.header("content-encoding") ?? "" } == ["zstd", "gzip"])
    }
}
