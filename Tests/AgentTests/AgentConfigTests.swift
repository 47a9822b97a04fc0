@testable import Agent
import Testing

/// What `AgentConfig` derives from its values.
@Suite struct AgentConfigTests {
    func config(maxRecords: Int) -> AgentConfig {
        var config = AgentConfig(configPath: "/nonexistent/agent.yaml", region: "410100", storePath: "/nonexistent")
        config.maxRecordsPerChangeSet = maxRecords
        return config
    }

    /// A push's change sets start at 250 records and double up to the most a change set holds.
    @Test func aPushsChangeSetsGrowFrom250ToTheMost() {
        #expect((0..<5).map(config(maxRecords: 500).recordsInChangeSet(after:)) == [250, 500, 500, 500, 500])
        #expect((0..<5).map(config(maxRecords: 5_000).recordsInChangeSet(after:)) == [250, 500, 1_000, 2_000, 4_000])
        #expect(config(maxRecords: 5_000).recordsInChangeSet(after: 1_000) == 5_000, "no overflow however many were sealed")
        #expect((0..<3).map(config(maxRecords: 3).recordsInChangeSet(after:)) == [3, 3, 3])
        #expect(AgentConfig(configPath: "/nonexistent/agent.yaml", region: "410100", storePath: "/nonexistent").maxRecordsPerChangeSet == 1_000)
    }
}
