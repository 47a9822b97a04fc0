@testable import EndToEndSupport
import Foundation
import SyncCore
import Testing

/// A Prometheus text-format reader strict enough to fail on what Prometheus would refuse: every
/// sample is `name{label="value",…} number`, and follows a `# TYPE` line for its family.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var types: [String: String] = [:]
    var samples: [Sample] = []

    init(_ text: String) throws {
        let name = #/[a-zA-Z_:][a-zA-Z0-9_:]*/#
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else { throw HarnessError("line \(n + 1): bad TYPE: \(line)") }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let match = line.wholeMatch(of: #/([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? ([^ ]+)/#) else { throw HarnessError("line \(n + 1): not a sample: \(line)") }
            let metric = String(match.1)
            guard let value = Double(match.3) ?? (match.3 == "+Inf" ? .infinity : nil) else { throw HarnessError("line \(n + 1): value \(match.3)") }
            var labels: [String: String] = [:]
            if let body = match.2?.dropFirst().dropLast(), !body.isEmpty {
                var rest = Substring(body)
                while !rest.isEmpty {
                    guard let m = rest.prefixMatch(of: #/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/#) else { throw HarnessError("line \(n + 1): bad labels \(body)") }
                    labels[String(m.1)] = String(m.2)
                    rest = rest[m.range.upperBound...]
                }
            }
            let family = ["_bucket", "_sum", "_count"].reduce(metric) { $0.hasSuffix($1) && types[$0] == nil ? String($0.dropLast($1.count)) : $0 }
            guard types[family] != nil, metric.wholeMatch(of: name) != nil else { throw HarnessError("line \(n + 1): \(metric) has no TYPE line before it") }
            samples.append(Sample(name: metric, labels: labels, value: value))
        }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}

@Suite(.serialized) struct MetricsTests {
    @Test func metricsParseAsPrometheusTextAndCountWhatHappened() throws {
        let province = try AggregatorProcess(regions: ["410100", "410300"], name: "metrics")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(6, seed: 41)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.cli(["records", "set", codes[0], #"name="省厅名称有限公司""#]).status == 0)
        try zz.edit(codes[0], ["name": "区局名称有限公司"])
        #expect(try zz.agent(["sync"]).status == 0)
        _ = try province.request(.get, "/v1/records/\(codes[1])", token: "wrong")

        let response = try province.request(.get, "/metrics")
        #expect(response.status == 200)
        let metrics = try PrometheusText(response.bodyString)
        #expect(metrics.types["esync_changesets_total"] == "counter")
        #expect(metrics.value("esync_changesets_total", ["result": "applied"]) == 2)
        #expect(metrics.value("esync_record_changes_total", ["result": "applied"]) == 6)
        #expect(metrics.value("esync_record_changes_total", ["result": "conflict"]) == 1)
        #expect(metrics.value("esync_open_conflicts", ["region": "410100"]) == 1)
        #expect(metrics.value("esync_open_conflicts", ["region": "410300"]) == 0)
        #expect(metrics.types["esync_http_request_duration_seconds"] == "histogram")
        #expect(metrics.value("esync_http_request_duration_seconds_count", ["route": "/v1/changesets", "method": "POST", "status": "200"]) == 2)
        #expect(metrics.value("esync_http_request_duration_seconds_count", ["method": "GET", "status": "401"]) == 1)
        let sincePush = try #require(metrics.value("esync_seconds_since_last_push", ["region": "410100"]))
        #expect(sincePush >= 0 && sincePush < 120)
        // A region never heard from has no sample rather than a made-up age.
        #expect(metrics.value("esync_seconds_since_last_push", ["region": "410300"]) == nil)
    }
}
