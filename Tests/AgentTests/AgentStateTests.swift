@testable import Agent
import Foundation
import Testing

@Suite struct AgentStateTests {
    /// A store left by an earlier agent version opens after an upgrade.
    @Test func aStateWithoutTheNewerMembersStillLoads() throws {
        let path = NSTemporaryDirectory() + "esync-state-\(UUID().uuidString).json"
        try #"{"format": 1, "region": "410100", "cursor": 42, "outboxSequence": 3}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let state = try AgentState.load(from: path)
        #expect(state.cursor == 42 && state.outboxSequence == 3 && state.parked.isEmpty && state.heldChangeSets.isEmpty)
        var changed = state
        changed.heldChangeSets["x"] = ["91410100556930377C"]
        try changed.save(to: path)
        #expect(try AgentState.load(from: path) == changed)
    }
}
