import CoreMetrics
import EnterpriseModel
import Foundation
import Hummingbird
import Prometheus
import SyncCore

/// The aggregator's metrics for Prometheus (`GET /metrics`), through swift-metrics with
/// swift-prometheus as its backend, on a registry of this server's own (not the process-wide
/// one, so that tests and several servers in one process stay apart).
///
/// Counted as they happen: change sets and record changes by result, request latency by route.
/// Read from the database at each scrape: open conflicts per region, seconds since each
/// region's last push and pull.
public final class AggregatorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                                   .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]
        self.factory = factory
    }

    /// One change set received: `applied`, `replayed`, `held` or `refused`, and its records by outcome.
    func changeSet(_ result: String, records: [RecordResult] = []) {
        CoreMetrics.Counter(label: "esync_changesets_total", dimensions: [("result", result)], factory: factory).increment()
        var outcomes: [String: Int] = [:]
        for record in records { outcomes[record.outcome.rawValue, default: 0] += 1 }
        for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) {
            CoreMetrics.Counter(label: "esync_record_changes_total", dimensions: [("result", outcome)], factory: factory).increment(by: count)
        }
    }

    /// A change set's body read, by its `Content-Encoding` (`esync_changesets_received_total`:
    /// `zstd` from agents that heard this province takes it, `gzip` from older ones).
    func received(encoding: String?) {
        let known = ["gzip", "zstd", "identity"]
        let name = encoding.map { $0.lowercased() }.flatMap { known.contains($0) ? $0 : nil } ?? "identity"
        CoreMetrics.Counter(label: "esync_changesets_received_total", dimensions: [("encoding", name)], factory: factory).increment()
    }

    /// A change set sent after another of its store before that one's answer came (`ESync-After`).
    func pipelined() {
        CoreMetrics.Counter(label: "esync_changesets_pipelined_total", factory: factory).increment()
    }

    /// A change set's transaction: how long it held the writer (and its CPU time), and the fields it applied
    /// (`esync_field_changes_total`; with the duration's sum, the province's merge rate).
    /// `planned`: how long it was merged ahead of the writer, from a read snapshot
    /// (`esync_merge_plan_seconds`, see `MergeService.prepare`); `plannedAgain`: its records had
    /// moved by the time the writer took it, which merged it again (`esync_merge_planned_again_total`:
    /// many of them mean many writers on the same records).
    /// `sent`: the change set, whose records sent whole and created as sent count their leaves
    /// (their answer lists no field).
    func merged(_ result: ChangeSetResult, sent: ChangeSet, transaction: Duration, cpu: Duration, planned: Duration = .zero, plannedAgain: Bool = false) {
        func nanoseconds(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }
        CoreMetrics.Timer(label: "esync_merge_duration_seconds", factory: factory).recordNanoseconds(nanoseconds(transaction))
        CoreMetrics.Timer(label: "esync_merge_cpu_seconds", factory: factory).recordNanoseconds(nanoseconds(cpu))
        CoreMetrics.Timer(label: "esync_merge_plan_seconds", factory: factory).recordNanoseconds(nanoseconds(planned))
        if plannedAgain { CoreMetrics.Counter(label: "esync_merge_planned_again_total", factory: factory).increment() }
        guard !result.replayed else { return }
        // The answer lists the records in the order sent; by code only if it does not.
        var byCode: [String: JSONValue]?
        func document(_ n: Int, _ uscc: String) -> JSONValue? {
            if n < sent.records.count, sent.records[n].uscc == uscc { return sent.records[n].document }
            if byCode == nil { byCode = Dictionary(sent.records.compactMap { r in r.document.map { (r.uscc, $0) } }, uniquingKeysWith: { $1 }) }
            return byCode?[uscc]
        }
        var fields = 0
        for (n, record) in result.records.enumerated() {
            let whole = record.outcome == .applied && record.applied.isEmpty ? document(n, record.uscc) : nil
            fields += whole.map(FieldPath.leafCount) ?? record.applied.count
        }
        CoreMetrics.Counter(label: "esync_field_changes_total", factory: factory).increment(by: fields)
    }

    func request(route: String, method: String, status: Int, seconds: Double) {
        CoreMetrics.Timer(label: "esync_http_request_duration_seconds",
                          dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The Prometheus text, with the per-region gauges read from the database now.
    func scrape(database: ProvinceDatabase, now: Date = Date()) async throws -> String {
        let rows = try await database.read { register -> [(String, Int, String?, String?)] in
            let open = try register.openConflictsByRegion()
            let activity = try register.activities()
            return Regions.all.map { ($0.code, open[$0.code] ?? 0, activity[$0.code]?.lastPushAt, activity[$0.code]?.lastPullAt) }
        }
        let parse = Date.ISO8601FormatStyle()
        for (region, open, push, pull) in rows {
            registry.makeGauge(descriptor: .init(metricName: "esync_open_conflicts", unitName: "", helpText: "Conflicts waiting for a reviewer, by region"),
                               labels: [("region", region)]).set(Double(open))
            for (name, at) in [("esync_seconds_since_last_push", push), ("esync_seconds_since_last_pull", pull)] {
                // A region never heard from has no sample (Prometheus: absent, not a huge number).
                guard let at, let date = try? parse.parse(at) else { continue }
                registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: "Seconds since the region's bureau last \(name.hasSuffix("push") ? "pushed" : "pulled")"),
                                   labels: [("region", region)])
                    .set(now.timeIntervalSince(date))
            }
        }
        return registry.emitToString()
    }
}

/// Times every request (the outermost middleware, so refused ones count too) by its route
/// pattern, never by its raw path: `/v1/records/{uscc}` is one series, not one per enterprise.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: AggregatorMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func record(_ status: Int) {
            let elapsed = ContinuousClock.now - start
            metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status,
                            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        do {
            let response = try await next(request, context)
            record(Int(response.status.code))
            return response
        } catch {
            record((error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500)
            throw error
        }
    }
}
