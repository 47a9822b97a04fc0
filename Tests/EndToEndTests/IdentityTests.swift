@testable import EndToEndSupport
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Tokens with roles, listed without their secret, revoked at once; wrong tokens slowed down.
@Suite(.serialized) struct IdentityTests {
    @Test func rolesDecideWhatATokenMayDoAndARevokedTokenStopsAtOnce() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "identity")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(3, seed: 51)
        #expect(try zz.agent(["sync"]).status == 0)

        let editor = try province.token(["--editor", "zhao"])
        // An editor edits records …
        let patch = try province.request(.patch, "/v1/records/\(codes[0])", token: editor, body: Array(#"{"set": {"employees": 88}}"#.utf8))
        #expect(patch.status == 200, "\(patch.bodyString)")
        #expect(try province.record(codes[0]).provenance["employees"]?.source == "editor:zhao")
        // … but neither reads the review queue nor decides anything.
        #expect(try province.request(.get, "/v1/conflicts", token: editor).status == 403)
        let decide = try province.request(.post, "/v1/conflicts/1/resolution", token: editor, body: Resolution(decision: .keepCurrent).encoded())
        #expect(decide.status == 403 || decide.status == 404)

        // The list names every token without showing one.
        let listed = try province.cli(["token", "list", "--json"])
        #expect(listed.status == 0)
        let entries = try JSONValue.parse(listed.stdout).arrayValue ?? []
        #expect(entries.count == 3 && Set(entries.compactMap { $0["role"]?.stringValue }) == ["bureau", "reviewer", "editor"])
        for token in [editor, province.reviewerToken, province.bureauTokens["410100"]!] {
            #expect(!listed.stdout.contains(String(token.dropFirst(22))), "a token's secret part must not be listed")
        }

        // Revoking the bureau's token: its next push is refused (exit 6), nothing else changes.
        let selector = String(province.bureauTokens["410100"]!.dropFirst(6).prefix(16))
        let revoked = try province.cli(["token", "revoke", selector])
        #expect(revoked.status == 0, "\(revoked)")
        #expect(try province.cli(["token", "revoke", selector]).status == 4)
        try zz.edit(codes[1], ["employees": 99])
        let push = try zz.agent(["push"])
        #expect(push.status == 6, "\(push)")
        #expect(try province.record(codes[1]).document["employees"] != 99)
        #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").count == 1, "the sealed change set waits")
    }

    @Test func anAddressThatKeepsGuessingIsSlowedDownAndAGoodTokenStillWorks() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "throttle")
        defer { province.stop() }
        let wrong = "esync_" + String(repeating: "0", count: 64)
        for _ in 0..<6 { #expect(try province.request(.get, "/v1/records/91410100556930377C", token: wrong).status == 401) }
        let started = Date()
        #expect(try province.request(.get, "/v1/records/91410100556930377C", token: wrong).status == 401)
        #expect(Date().timeIntervalSince(started) >= 1, "the seventh wrong token in a row waits before it is checked")
        #expect(try province.request(.get, "/v1/records/91410100556930377C", token: province.reviewerToken).status == 404)
    }
}
