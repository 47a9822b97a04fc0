@testable import Agent
import Foundation
import Testing

@Suite struct AgentMetricsTests {
    /// The Prometheus text format (0.0.4): each metric's HELP, then its TYPE, then its samples,
    /// every metric once; node_exporter's textfile collector refuses the whole file otherwise.
    @Test func metricsTextHasHelpAndTypeBeforeEverySample() {
        var metrics = AgentMetrics()
        metrics.recordSuccess(at: Date(timeIntervalSince1970: 1_700_000_000.5), pushed: 3, pulled: 2, conflicts: 1,
                              gauges: .init(outboxChangeSets: 0, waitingForReview: 1, invalidFiles: 2))
        metrics.recordVerify(at: Date(timeIntervalSince1970: 1_700_000_050), differing: 1)
        let text = metrics.text
        #expect(text.hasSuffix("\n") && !text.contains("\n\n"))
        var helped: [String] = [], typed: [String] = [], sampled: Set<String> = []
        var previous = ""
        for line in text.split(separator: "\n").map(String.init) {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if line.hasPrefix("# HELP ") {
                #expect(words.count == 4 && !helped.contains(words[2]), "\(line): a second HELP, or none of its own")
                helped.append(words[2])
            } else if line.hasPrefix("# TYPE ") {
                #expect(words.count == 4 && previous == "# HELP \(words[2])", "\(line): not right after its HELP")
                #expect(["counter", "gauge"].contains(words.last ?? ""), "\(line)")
                typed.append(words[2])
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(typed.last == name, "\(line): a sample not after its own HELP and TYPE")
                #expect(Double(words.last ?? "") != nil, "\(line): the value is not a number")
                sampled.insert(name)
            }
            previous = line.hasPrefix("# HELP ") ? "# HELP \(words[2])" : ""
        }
        #expect(helped == typed && Set(typed) == sampled && typed.count == 12, "\(text)")
    }

    @Test func syncsAreCountedByResultWithTheirTimesAndTheStoreGauges() {
        var metrics = AgentMetrics()
        metrics.recordSuccess(at: Date(timeIntervalSince1970: 1_700_000_000.5), pushed: 3, pulled: 2, conflicts: 1,
                              gauges: .init(outboxChangeSets: 0, waitingForReview: 1, invalidFiles: 2))
        metrics.recordFailure(at: Date(timeIntervalSince1970: 1_700_000_100))
        let text = metrics.text
        #expect(text.contains("esync_agent_syncs_total{result=\"ok\"} 1\n"))
        #expect(text.contains("esync_agent_syncs_total{result=\"failed\"} 1\n"))
        #expect(text.contains("esync_agent_records_pushed_total 3\n"))
        #expect(text.contains("esync_agent_records_pulled_total 2\n"))
        #expect(text.contains("esync_agent_conflicts_total 1\n"))
        #expect(text.contains("esync_agent_last_success_timestamp_seconds 1700000000.500\n"))
        #expect(text.contains("esync_agent_last_sync_timestamp_seconds 1700000100.000\n"))
        #expect(text.contains("esync_agent_outbox_change_sets 0\n"))
        #expect(text.contains("esync_agent_waiting_for_review 1\n"))
        #expect(text.contains("# TYPE esync_agent_invalid_files gauge\nesync_agent_invalid_files 2\n"))
    }

    /// A verify found in the state when the daemon starts sets the gauges but counts no run.
    @Test func verifyOutcomesAreCountedAndTheLastOneIsAGauge() {
        var metrics = AgentMetrics()
        metrics.recordVerify(at: Date(timeIntervalSince1970: 1_700_000_000), differing: 0, counted: false)
        metrics.recordVerify(at: Date(timeIntervalSince1970: 1_700_086_400), differing: 3)
        let text = metrics.text
        #expect(text.contains("esync_agent_verifies_total{result=\"agree\"} 0\n"))
        #expect(text.contains("esync_agent_verifies_total{result=\"differ\"} 1\n"))
        #expect(text.contains("esync_agent_verify_last_success_timestamp_seconds 1700086400.000\n"))
        #expect(text.contains("# TYPE esync_agent_verify_differing_records gauge\nesync_agent_verify_differing_records 3\n"))
    }

    @Test func aVerifyIsDueWhenNeverRunOrAsOldAsTheIntervalAndNeverWithIntervalZero() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let last = AgentState.Verification(at: Date(timeIntervalSince1970: 1_800_000_000 - 3600).formatted(.iso8601), records: 1, differing: 0, summary: "")
        #expect(Daemon.verifyDue(nil, every: 86_400, now: now))
        #expect(!Daemon.verifyDue(last, every: 86_400, now: now))
        #expect(Daemon.verifyDue(last, every: 3600, now: now))
        #expect(!Daemon.verifyDue(nil, every: 0, now: now))
    }
}
