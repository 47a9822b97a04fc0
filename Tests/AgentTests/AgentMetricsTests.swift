@testable import Agent
import Foundation
import Testing

@Suite struct AgentMetricsTests {
    @Test func metricsTextHasHelpAndTypeBeforeEverySample() {
        var metrics = AgentMetrics()
        metrics.recordSuccess(at: Date(timeIntervalSince1970: 1_700_000_000.5), pushed: 3, pulled: 2, conflicts: 1,
                              gauges: .init(outboxChangeSets: 0, waitingForReview: 1, invalidFiles: 2))
        metrics.recordFailure(at: Date(timeIntervalSince1970: 1_700_000_100))
        let text = metrics.text
        #expect(text.contains("esync_agent_syncs_total{result=\"ok\"} 1\n"))
        #expect(text.contains("esync_agent_syncs_total{result=\"failed\"} 1\n"))
        #expect(text.contains("esync_agent_last_success_timestamp_seconds 1700000000.500\n"))
        #expect(text.contains("esync_agent_last_sync_timestamp_seconds 1700000100.000\n"))
        #expect(text.contains("# TYPE esync_agent_invalid_files gauge\nesync_agent_invalid_files 2\n"))
    }
}
