import Foundation

/// The daemon's counters and gauges in the Prometheus text format, written after every sync to
/// `metrics.file` / `--metrics-file` for node_exporter's textfile collector (point
/// `--collector.textfile.directory` at its folder and name the file `*.prom`).
///
/// The file is replaced atomically (a temporary file `NAME.tmp-PID`, which the collector ignores,
/// renamed over it), so a scrape never reads half a file. Counters start at 0 when the daemon
/// starts, as Prometheus counters may.
public struct AgentMetrics: Sendable, Equatable {
    public var syncsOK = 0
    public var syncsFailed = 0
    public var recordsPushed = 0
    public var recordsPulled = 0
    public var conflicts = 0
    public var lastSync: Date?
    public var lastSuccess: Date?
    public var outboxChangeSets = 0
    public var waitingForReview = 0
    public var invalidFiles = 0
    public var verifiesAgree = 0
    public var verifiesDiffer = 0
    public var verifiesFailed = 0
    /// When the last `verify` completed (whatever it found), and how many records differed then.
    public var lastVerify: Date?
    public var verifyDiffering = 0

    public init() {}

    /// The state of the store after a sync, for the gauges.
    public struct StoreGauges: Sendable, Equatable {
        public var outboxChangeSets: Int
        public var waitingForReview: Int
        public var invalidFiles: Int
    }

    public mutating func recordSuccess(at date: Date, pushed: Int, pulled: Int, conflicts: Int, gauges: StoreGauges) {
        syncsOK += 1
        recordsPushed += pushed
        recordsPulled += pulled
        self.conflicts += conflicts
        lastSync = date
        lastSuccess = date
        outboxChangeSets = gauges.outboxChangeSets
        waitingForReview = gauges.waitingForReview
        invalidFiles = gauges.invalidFiles
    }

    public mutating func recordFailure(at date: Date) {
        syncsFailed += 1
        lastSync = date
    }

    /// A completed `verify`; `counted: false` for one the daemon found in the state at start.
    public mutating func recordVerify(at date: Date, differing: Int, counted: Bool = true) {
        if counted {
            if differing == 0 { verifiesAgree += 1 } else { verifiesDiffer += 1 }
        }
        lastVerify = date
        verifyDiffering = differing
    }

    /// The Prometheus text exposition format (version 0.0.4): HELP and TYPE before each metric.
    public var text: String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        func seconds(_ date: Date?) -> String {
            guard let date else { return "0" }
            return String(format: "%.3f", date.timeIntervalSince1970)
        }
        metric("esync_agent_syncs_total", "counter", "Syncs (push, then pull) run by the daemon since it started, by result.",
               [("{result=\"ok\"}", "\(syncsOK)"), ("{result=\"failed\"}", "\(syncsFailed)")])
        metric("esync_agent_records_pushed_total", "counter", "Records sent to the province.", [("", "\(recordsPushed)")])
        metric("esync_agent_records_pulled_total", "counter", "Records received from the province.", [("", "\(recordsPulled)")])
        metric("esync_agent_conflicts_total", "counter", "Fields the province sent for review when they were pushed.", [("", "\(conflicts)")])
        metric("esync_agent_last_sync_timestamp_seconds", "gauge", "When the last sync ended (Unix time; 0 before the first).", [("", seconds(lastSync))])
        metric("esync_agent_last_success_timestamp_seconds", "gauge", "When the last successful sync ended (Unix time; 0 before the first).", [("", seconds(lastSuccess))])
        metric("esync_agent_outbox_change_sets", "gauge", "Sealed change sets not yet acknowledged by the province.", [("", "\(outboxChangeSets)")])
        metric("esync_agent_waiting_for_review", "gauge", "Fields of this bureau waiting for the province's review.", [("", "\(waitingForReview)")])
        metric("esync_agent_invalid_files", "gauge", "Record files that are invalid and not synced.", [("", "\(invalidFiles)")])
        metric("esync_agent_verifies_total", "counter", "Audits of agreement with the province (verify) run by the daemon since it started, by result.",
               [("{result=\"agree\"}", "\(verifiesAgree)"), ("{result=\"differ\"}", "\(verifiesDiffer)"), ("{result=\"failed\"}", "\(verifiesFailed)")])
        metric("esync_agent_verify_last_success_timestamp_seconds", "gauge", "When the last verify completed, whatever it found (Unix time; 0 before the first).",
               [("", seconds(lastVerify))])
        metric("esync_agent_verify_differing_records", "gauge", "Records that differed from the province's at the last verify.", [("", "\(verifyDiffering)")])
        return lines.joined(separator: "\n") + "\n"
    }

    /// Replaces `path` atomically with ``text``.
    public func write(to path: String) throws(AgentError) {
        try FileSystem.writeAtomically(path, Array(text.utf8))
    }
}
