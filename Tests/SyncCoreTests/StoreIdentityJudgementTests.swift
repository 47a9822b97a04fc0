import SyncCore
import Testing

/// The verdict both ends reach about a store (see `StoreIdentity.judge`).
@Suite struct StoreIdentityJudgementTests {
    static let known = StoreRegistration(region: "410100", epoch: String(repeating: "a", count: 32), cursor: 120, sequence: 9,
                                         handedCursor: 130, registeredAt: "2026-01-01T00:00:00Z")

    func judge(_ epoch: Character, cursor: Int64, sequence: Int64) -> StoreVerdict? {
        StoreIdentity(epoch: String(repeating: epoch, count: 32), cursor: cursor, sequence: sequence).judge(against: Self.known)
    }

    @Test func theStoreTheProvinceKnowsPassesAsLongAsItsNumbersDoNotGoBack() {
        #expect(judge("a", cursor: 120, sequence: 9) == nil)
        #expect(judge("a", cursor: 130, sequence: 12) == nil)
        #expect(StoreIdentity(epoch: String(repeating: "b", count: 32), cursor: 0, sequence: 0).judge(against: nil) == nil,
                "the first store of a region is taken as it comes")
    }

    @Test func aStoreBehindItselfWasRestoredAndAnotherEpochIsAnotherStore() {
        #expect(judge("a", cursor: 80, sequence: 9) == .cursorBehind)
        #expect(judge("a", cursor: 120, sequence: 7) == .sequenceBehind)
        #expect(judge("b", cursor: 0, sequence: 3) == .newStore)
        #expect(judge("b", cursor: 40, sequence: 0) == .otherEpoch)
        #expect(StoreVerdict.newStore.code == "store_recreated" && StoreVerdict.cursorBehind.code == "store_restored")
    }

    @Test func theIdentityTravelsAsThreeHeadersAndABadEpochIsRefused() throws {
        let identity = StoreIdentity(epoch: "0123456789abcdef0123456789abcdef", cursor: 5, sequence: 2)
        let headers = Dictionary(uniqueKeysWithValues: identity.headers.map { ($0.name, $0.value) })
        #expect(try StoreIdentity(header: { headers[$0] }) == identity)
        #expect(try StoreIdentity(header: { _ in nil }) == nil)
        #expect(throws: WireError.self) { try StoreIdentity(header: { $0 == StoreIdentity.epochHeader ? "not-hex" : nil }) }
    }
}
