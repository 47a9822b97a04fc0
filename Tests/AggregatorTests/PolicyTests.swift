@testable import Aggregator
import EnterpriseModel
import Foundation
import SyncCore
import Testing

@Suite struct PolicyFileTests {
    /// Config/policy.yaml, shipped and documented, is exactly the built-in default.
    @Test func theShippedPolicyIsTheBuiltInDefault() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Config/policy.yaml").path
        #expect(try PolicyFile.load(path: path) == FieldPolicy.standard)
    }

    @Test func aMistakeIsNamedWithItsLine() throws {
        let text = """
            default: { authority: region, onConflict: review }
            fields:
              name: { authority: region, onConflict: review }
              srdi: { authority: provinse, onConflict: province }
            """
        #expect(throws: PolicyFile.Error.self) { try PolicyFile.parse(text, file: "policy.yaml") }
        do { _ = try PolicyFile.parse(text, file: "policy.yaml") } catch {
            #expect(error.description.hasPrefix("policy.yaml:4:"))
            #expect(error.description.contains("provinse"))
        }
        #expect(throws: PolicyFile.Error.self) { try PolicyFile.parse("fields:\n  region: { authority: region, onConflict: region }\n", file: "p") }
        #expect(try PolicyFile.parse("fields:\n  x: { authority: region, onConflict: latest }\n", file: "p").rules["x"]?.onConflict == .latest)
        for (text, says) in [
            ("fields:\n  s:\n    { authority: region, onConflict: review, merge: union }\n", "p:3: s: merge: union needs key"),
            ("fields:\n  s: { authority: region, onConflict: review, merge: forward-only, order: [a] }\n", "forward-only needs order"),
            ("fields:\n  s: { authority: region, onConflict: review, merge: median }\n", "s.merge must be prefer-non-empty, max, union or forward-only, found median"),
            ("fields:\n  s: { authority: region, onConflict: review, merge: max, key: [a] }\n", "key belongs to merge: union"),
            ("fields:\n  s: { authority: region, onConflict: review, merge: union, key: [a, a] }\n", "a is listed twice"),
        ] {
            do { _ = try PolicyFile.parse(text, file: "p"); Issue.record("accepted: \(text)") } catch {
                #expect(error.description.contains(says), "\(error.description)")
            }
        }
    }
}

extension MergeServiceTests {
    @Test func aBureauSettingAProvinceFieldIsRefusedAndTheAttemptKept() async throws {
        _ = try await create(record)
        let designation: JSONValue = ["year": 2026, "batch": 1]
        let change = RecordChange(uscc: uscc, op: .update, fields: ["srdi": FieldChange(expected: record["srdi"], value: designation),
                                                                   "employees": FieldChange(expected: record["employees"], value: 3)], baseRevision: 1)
        let result = try await service.apply(ChangeSet(id: "srdi", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        let r = try #require(result.records.first)
        #expect(r.applied == ["employees"])
        #expect(r.conflicts.map(\.field) == ["srdi"])
        #expect(try await service.record(uscc, for: reviewer).document["srdi"] == record["srdi"])
        let conflicts = ConflictService(database: service.database)
        let auto = try await conflicts.list(.init(status: "auto"), for: reviewer)
        #expect(auto.map(\.kind) == ["authority"])
        #expect(auto.first?.incoming == designation && auto.first?.decision == .keepCurrent)
        #expect(auto.first?.note?.contains("authority: province") == true)
        // A reviewer may re-open it and take the bureau's value after all.
        _ = try await conflicts.reopen(auto[0].id, by: reviewer)
        _ = try await conflicts.resolve(auto[0].id, Resolution(decision: .takeIncoming), by: reviewer)
        #expect(try await service.record(uscc, for: reviewer).document["srdi"] == designation)
    }

    @Test func bothChangedFiguresGoToTheBureauAndCanBeReopened() async throws {
        _ = try await create(record)
        _ = try await service.patch(uscc, RecordPatch(set: ["employees": 999]), by: reviewer)
        let change = RecordChange(uscc: uscc, op: .update, fields: ["employees": FieldChange(expected: record["employees"], value: 5)], baseRevision: 1)
        let result = try await service.apply(ChangeSet(id: "emp", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        #expect(result.records.first?.applied == ["employees"])
        #expect(try await service.record(uscc, for: reviewer).document["employees"] == 5)
        let conflicts = ConflictService(database: service.database)
        let auto = try #require(try await conflicts.list(.init(status: "auto"), for: reviewer).first)
        #expect(auto.current == 999 && auto.incoming == 5 && auto.decision == .takeIncoming)
        _ = try await conflicts.reopen(auto.id, by: reviewer)
        _ = try await conflicts.resolve(auto.id, Resolution(decision: .keepCurrent, note: "省统计口径"), by: reviewer)
        #expect(try await service.record(uscc, for: reviewer).document["employees"] == 999)
    }
}

@Suite struct TokenFormTests {
    @Test func aSelectorIsReadOnlyFromAWellFormedToken() {
        let token = "esync_" + String(repeating: "ab12", count: 16)
        #expect(TokenStore.selector(of: token) == "ab12ab12ab12ab12")
        #expect(TokenStore.selector(of: "esync_" + String(repeating: "X", count: 64)) == nil)
        #expect(TokenStore.selector(of: "Bearer nonsense") == nil)
        #expect(TokenStore.selector(of: token + "0") == nil)
    }

    @Test func hashesCompareByEveryByte() {
        #expect(TokenStore.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!TokenStore.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!TokenStore.constantTimeEqual(Array("abc".utf8), Array("ab".utf8)))
    }
}
