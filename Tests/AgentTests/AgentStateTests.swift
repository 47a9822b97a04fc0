@testable import Agent
import Foundation
import SyncCore
import Testing

@Suite struct AgentStateTests {
    /// A store left by an earlier agent version opens after an upgrade.
    @Test func aStateWithoutTheNewerMembersStillLoads() throws {
        let path = NSTemporaryDirectory() + "esync-state-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"format": 1, "region": "410100", "cursor": 42, "outboxSequence": 3}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let state = try AgentState.load(from: path)
        #expect(state.cursor == 42 && state.outboxSequence == 3 && state.parked.isEmpty && state.heldChangeSets.isEmpty)
        // No epoch yet (given on the next push or pull); the cursor reached counts as the highest.
        #expect(state.epoch == nil && state.identity == nil && state.highestCursor == 42)
        var changed = state
        changed.heldChangeSets["x"] = ["91410100556930377C"]
        try changed.save(to: path)
        #expect(try AgentState.load(from: path) == changed)
    }

    /// `pull --full` sets the cursor back; what the store tells the province does not go back.
    @Test func theHighestCursorNeverGoesBackAndAnEpochIs128RandomBitsInHex() {
        var state = AgentState(region: "410100")
        state.epoch = AgentState.makeEpoch()
        state.cursor = 90
        state.cursor = 0
        #expect(state.identity?.cursor == 90)
        let epochs = (0..<100).map { _ in AgentState.makeEpoch() }
        #expect(Set(epochs).count == 100 && epochs.allSatisfy(StoreIdentity.isValidEpoch))
    }
}
