import EnterpriseModel
import SyncCore
import Testing

/// The register's stamp on answers and requests, and the recovery members of a change set (see
/// `RegisterStamp`, `ChangeSet.recovers`).
@Suite struct RegisterStampTests {
    @Test func theStampIsReadBackAndAnythingElseIsNotAStamp() {
        let stamp = RegisterStamp(register: "5b0c1fd2e3a4b5c6d7e8f90a1b2c3d4e", generation: "9e41a7b2c3d4e5f6")
        #expect(stamp.description == "5b0c1fd2e3a4b5c6d7e8f90a1b2c3d4e; generation=9e41a7b2c3d4e5f6")
        #expect(RegisterStamp(header: stamp.description) == stamp)
        #expect(RegisterStamp(header: "5b0c;generation=9e41") == RegisterStamp(register: "5b0c", generation: "9e41"))
        for bad in ["", "5b0c", "5b0c; gen=9e41", "5B0C; generation=9e41", "5b0c; generation=", "; generation=9e41", "5b0c; generation=9e41<script>",
                    String(repeating: "a", count: 65) + "; generation=1"] {
            #expect(RegisterStamp(header: bad) == nil, "\(bad)")
        }
    }

    @Test func aStoreSendsTheStampItSyncedWithAndAMalformedOneIsRefused() throws {
        let stamp = RegisterStamp(register: "abc", generation: "def")
        let identity = StoreIdentity(epoch: "0123456789abcdef0123456789abcdef", cursor: 5, sequence: 2, register: stamp)
        let headers = Dictionary(uniqueKeysWithValues: identity.headers.map { ($0.name, $0.value) })
        #expect(headers[RegisterStamp.storeHeader] == "abc; generation=def")
        #expect(try StoreIdentity(header: { headers[$0] }) == identity)
        #expect(throws: WireError.self) {
            try StoreIdentity(header: { $0 == RegisterStamp.storeHeader ? "not a stamp" : headers[$0] })
        }
    }

    @Test func aMismatchSaysWhatHappenedAndWhichCodeItIs() {
        let province = RegisterStamp(register: "abc", generation: "222")
        let restored = RegisterMismatch(reason: .restored, province: province, lastSequence: 10, store: RegisterStamp(register: "abc", generation: "111"), cursor: 14)
        #expect(restored.error == "register_restored" && restored.message.contains("restored from a backup"))
        let ahead = RegisterMismatch(reason: .cursorAhead, province: province, lastSequence: 10, store: nil, cursor: 14)
        #expect(ahead.error == "register_restored" && ahead.message.contains("cursor 14 is past change 10"))
        let other = RegisterMismatch(reason: .otherRegister, province: province, lastSequence: 10, store: RegisterStamp(register: "xyz", generation: "1"), cursor: 3)
        #expect(other.error == "other_register" && other.message.contains("register xyz") && other.message.contains("check server.url"))
    }

    @Test func aRecoveryChangeSetKeepsItsMembersOnTheWireAndRefusesAMarkOnAFieldItDoesNotChange() throws {
        var change = RecordChange(uscc: "91410100MA00000001", op: .update, fields: ["name": FieldChange(expected: "A", value: "B")], baseRevision: 3)
        change.recovered = ["name": "decision value on conflict 12 by reviewer:wang"]
        var changeSet = ChangeSet(id: "c1", region: "410100", createdAt: "2026-12-05T00:00:00Z", records: [change])
        changeSet.recovers = "9e41a7b2c3d4e5f6"
        let decoded = try ChangeSet(json: changeSet.json, path: "")
        #expect(decoded.recovers == "9e41a7b2c3d4e5f6" && decoded.records[0].recovered == change.recovered)
        var json = change.json.objectValue!
        json["recovered"] = ["employees": "decision keep-current on conflict 3"]
        #expect(throws: WireError.self) { try RecordChange(json: .object(json), path: "records[0]") }
    }
}
