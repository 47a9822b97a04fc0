#if canImport(Glibc)
import Glibc
#endif
@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Synchronization
import Testing

/// A systemd-style notify socket: the datagrams `esync-agent run` sends to $NOTIFY_SOCKET.
final class NotifyListener {
    let path: String
    let fd: Int32
    private(set) var messages: [String] = []
    /// When each message arrived (read while `wait` runs).
    private(set) var arrivals: [(at: Date, message: String)] = []

    init(folder: String) throws {
        path = folder + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind \(path): \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Reads datagrams until one satisfies `predicate` or `seconds` pass.
    @discardableResult
    func wait(seconds: Double, for predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let message = String(decoding: buffer[..<n], as: UTF8.self)
            messages.append(message)
            arrivals.append((Date(), message))
            if predicate(message) { return message }
        }
        return nil
    }
}

@Suite(.serialized) struct DaemonTests {
    func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    @Test func theDaemonSyncsByItselfSurvivesAnOutageAndStopsCleanly() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "daemon")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(5, seed: 30)
        let notify = try NotifyListener(folder: zz.folder)

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Binaries.agent)
        daemon.arguments = ["run", "--config", zz.configPath]
        daemon.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ESYNC_") }.merging([
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000",
            "ESYNC_SYNC_INTERVAL_SECONDS": "1", "ESYNC_SYNC_JITTER_SECONDS": "0", "ESYNC_SYNC_MAX_BACKOFF_SECONDS": "1",
        ]) { $1 }
        _ = FileManager.default.createFile(atPath: zz.folder + "/daemon.log", contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: zz.folder + "/daemon.log"))
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }
        let log = { (try? String(contentsOfFile: zz.folder + "/daemon.log", encoding: .utf8)) ?? "" }

        #expect(notify.wait(seconds: 15) { $0.contains("READY=1") } != nil, "\(log())")
        // The first sync at start sends the store's records, and says so in STATUS.
        #expect(notify.wait(seconds: 15) { $0.contains("STATUS=last sync") && $0.contains("ok") && $0.contains("5 records sent") } != nil, "\(notify.messages)")
        for uscc in codes { #expect(try province.record(uscc).revision == 1) }
        #expect(notify.messages.filter { $0.contains("WATCHDOG=1") }.count >= 1)

        // An edit reaches the province by itself.
        try zz.edit(codes[0], ["employees": 4321])
        #expect(waitUntil(15) { try province.record(codes[0]).document["employees"] == 4321 }, "\(log())")

        // The province goes down: the daemon reports it and keeps trying; it comes back: healed.
        province.stop()
        try zz.edit(codes[1], ["employees": 1234])
        #expect(notify.wait(seconds: 15) { $0.contains("FAILED") } != nil, "\(notify.messages.suffix(3))")
        try province.restart()
        #expect(waitUntil(20) { try province.record(codes[1]).document["employees"] == 1234 }, "\(log())")
        #expect(notify.messages.filter { $0.contains("WATCHDOG=1") }.count >= 3)

        // SIGHUP with a broken config: reported, the old one kept, the daemon goes on.
        let good = try String(contentsOfFile: zz.configPath, encoding: .utf8)
        try "region: [broken\n".write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        #expect(notify.wait(seconds: 10) { $0.contains("RELOADING=1") } != nil)
        #expect(waitUntil(10) { log().contains("the old configuration stays") }, "\(log())")
        try good.write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        try zz.edit(codes[2], ["employees": 2222])
        #expect(waitUntil(15) { try province.record(codes[2]).document["employees"] == 2222 }, "\(log())")
        #expect(daemon.isRunning)

        // SIGTERM: STOPPING=1 and exit 0, promptly.
        kill(daemon.processIdentifier, SIGTERM)
        #expect(notify.wait(seconds: 10) { $0.contains("STOPPING=1") } != nil)
        #expect(waitUntil(10) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
        #expect(log().contains("stopped"))
    }

    @Test func theWatchdogKeepsItsPeriodSIGHUPTakesANewIntervalAndSIGTERMMidPushLosesNothing() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "daemon-signals")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(3000, seed: 35)
        let notify = try NotifyListener(folder: zz.folder)
        let (daemon, log) = try startDaemon(zz, environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
            "ESYNC_SYNC_INTERVAL_SECONDS": "3600", "ESYNC_SYNC_JITTER_SECONDS": "0", "ESYNC_SYNC_MAX_RECORDS_PER_CHANGE_SET": "50",
        ])
        defer { if daemon.isRunning { daemon.terminate() } }
        #expect(notify.wait(seconds: 20) { $0.contains("READY=1") } != nil, "\(log())")

        // SIGTERM while the first sync pushes 60 change sets: STOPPING=1, exit 0, and what was
        // not sent waits in the outbox.
        #expect(waitUntil(30) { log().contains("acknowledged") }, "\(log())")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(notify.wait(seconds: 15) { $0.contains("STOPPING=1") } != nil, "\(log())")
        #expect(waitUntil(15) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
        let sent = try province.cli(["regions", "--json"])
        #expect(sent.status == 0)
        let after = try zz.agent(["sync"])
        #expect(after.status == 0, "\(after)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").isEmpty)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
        for uscc in [codes.first!, codes[1500], codes.last!] { #expect(try province.record(uscc).revision == 1) }
        let held = try province.sql("SELECT COUNT(*) FROM records WHERE region = '410100'")
        #expect(held == "3000", "nothing lost, nothing twice: \(held)")

        // Again, with an hour's interval in the config file: the watchdog keeps half of WATCHDOG_USEC.
        let config = try String(contentsOfFile: zz.configPath, encoding: .utf8)
        try (config + "\nsync:\n  intervalSeconds: 3600\n  jitterSeconds: 0\n").write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        let (second, log2) = try startDaemon(zz, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { if second.isRunning { second.terminate() } }
        #expect(notify.wait(seconds: 20) { $0.contains("STATUS=last sync") } != nil, "\(log2())")
        let from = notify.arrivals.count
        notify.wait(seconds: 3) { _ in false }
        let beats = notify.arrivals[from...].filter { $0.message.contains("WATCHDOG=1") }.map(\.at)
        let gaps = zip(beats.dropFirst(), beats).map { $0.timeIntervalSince($1) }.sorted()
        #expect(beats.count >= 8, "about 15 keep-alives in 3 s at 200 ms, got \(beats.count)")
        #expect(!gaps.isEmpty && gaps[gaps.count / 2] > 0.1 && gaps[gaps.count / 2] < 0.35, "median gap \(gaps)")

        // SIGHUP after the interval changed to 1 s: an edit goes out without waiting an hour.
        try (config + "\nsync:\n  intervalSeconds: 1\n  jitterSeconds: 0\n").write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        kill(second.processIdentifier, SIGHUP)
        #expect(waitUntil(10) { log2().contains("reload: configuration read again") }, "\(log2())")
        Thread.sleep(forTimeInterval: 1)  // the sync the reload itself starts is done
        try zz.edit(codes[7], ["employees": 7777])
        #expect(waitUntil(15) { try province.record(codes[7]).document["employees"] == 7777 }, "\(log2())")
        kill(second.processIdentifier, SIGTERM)
        #expect(waitUntil(15) { !second.isRunning })
        #expect(second.terminationStatus == 0)
    }

    /// `esync-agent run` as a process with its stderr in `folder/daemon.log`.
    func startDaemon(_ agent: AgentHandle, environment: [String: String], arguments: [String] = []) throws -> (Process, () -> String) {
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Binaries.agent)
        daemon.arguments = ["run", "--config", agent.configPath] + arguments
        daemon.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ESYNC_") && $0.key != "JOURNAL_STREAM" && $0.key != "NOTIFY_SOCKET" }
            .merging(environment) { $1 }
        let logPath = agent.folder + "/daemon.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        return (daemon, { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" })
    }

    /// A province that answers 503 with `Retry-After: 3` (its database failing over, say) is
    /// asked again no sooner than that, not after the usual first backoff of a second; every
    /// failed sync's log line says what the province asked.
    @Test func theDaemonWaitsAsLongAsTheProvincesRetryAfterAsks() throws {
        final class Arrivals: Sendable { let times = Mutex<[Date]>([]) }
        let arrivals = Arrivals()
        let province = try LoopbackServer { _ in
            arrivals.times.withLock { $0.append(Date()) }
            return .respond(status: 503, headers: [("Retry-After", "3"), ("Content-Type", "application/json")],
                            body: Array(#"{"error":"register_unavailable","message":"the register cannot be reached now"}"#.utf8))
        }
        defer { province.stop() }
        let temporary = TemporaryFolder("e2e-retry-after")
        let zz = try AgentHandle(region: "410100", url: province.url(""), folder: temporary.path + "/bureau", token: "esync_t_fake")
        let (daemon, log) = try startDaemon(zz, environment: [
            "ESYNC_SYNC_INTERVAL_SECONDS": "60", "ESYNC_SYNC_JITTER_SECONDS": "0", "ESYNC_SYNC_MAX_BACKOFF_SECONDS": "60",
        ])
        defer { if daemon.isRunning { daemon.terminate() } }
        #expect(waitUntil(15) { log().components(separatedBy: "sync failed").count > 3 }, "\(log())")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitUntil(10) { !daemon.isRunning })
        // One request a sync (the first one fails), so the gaps are the waits between syncs.
        let times = arrivals.times.withLock { $0 }
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        #expect(gaps.count >= 2 && gaps.allSatisfy { $0 >= 2.9 }, "gaps between attempts: \(gaps); \(log())")
        #expect(log().contains("it asks to be asked again in 3 s"), "\(log())")
    }

    /// The daemon warns about a token file others can read when it starts and on every reload,
    /// where an operator's fix (chmod, then `systemctl reload`) shows at once.
    @Test func theDaemonWarnsAboutALooseTokenFileAtStartAndOnEveryReload() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "daemon-warn")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        #expect(chmod(zz.tokenPath, 0o644) == 0)
        let (daemon, log) = try startDaemon(zz, environment: ["ESYNC_SYNC_INTERVAL_SECONDS": "3600", "ESYNC_SYNC_JITTER_SECONDS": "0"])
        defer { if daemon.isRunning { daemon.terminate() } }
        let warning = "server.tokenFile \(zz.tokenPath) is readable by group or others (mode 0644)"
        func warnings() -> Int { log().components(separatedBy: warning).count - 1 }
        #expect(waitUntil(20) { warnings() == 1 }, "at start: \(log())")

        #expect(chmod(zz.tokenPath, 0o600) == 0)
        kill(daemon.processIdentifier, SIGHUP)
        #expect(waitUntil(10) { log().contains("reload: configuration read again") }, "\(log())")
        #expect(warnings() == 1, "nothing to warn about after the fix: \(log())")

        #expect(chmod(zz.tokenPath, 0o644) == 0)
        kill(daemon.processIdentifier, SIGHUP)
        #expect(waitUntil(10) { warnings() == 2 }, "on reload: \(log())")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitUntil(15) { !daemon.isRunning })
    }

    func syncs(_ log: String) -> Int { log.split(separator: "\n").filter { $0.contains("sync ok") }.count }

    @Test func withSyncWatchAnEditReachesTheProvinceWithinSecondsAndABurstGivesOneSync() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "watch")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(5, seed: 31)
        let (daemon, log) = try startDaemon(zz, environment: [
            "ESYNC_SYNC_INTERVAL_SECONDS": "3600", "ESYNC_SYNC_JITTER_SECONDS": "0",
            "ESYNC_SYNC_WATCH": "true", "ESYNC_SYNC_SETTLE_SECONDS": "1",
        ])
        defer { if daemon.isRunning { daemon.terminate() } }
        #expect(waitUntil(15) { syncs(log()) == 1 }, "\(log())")
        #expect(log().contains("watching "), "\(log())")
        // The first sync's own writes (pull) do not trigger another one.
        Thread.sleep(forTimeInterval: 2.5)
        #expect(syncs(log()) == 1, "\(log())")

        // One save: at the province a little after the settle time, with no interval due.
        let written = Date()
        try zz.edit(codes[0], ["employees": 4242])
        #expect(waitUntil(8) { try province.record(codes[0]).document["employees"] == 4242 }, "\(log())")
        let latency = Date().timeIntervalSince(written)
        print("sync.watch: a saved record reached the province after \(String(format: "%.2f", latency)) s (settle 1 s)")
        #expect(latency < 6)
        #expect(waitUntil(5) { syncs(log()) == 2 }, "\(log())")

        // Editor and temporary files do not count.
        for name in [".\(codes[1]).json.swp", "\(codes[1]).json~", "notes.txt"] {
            try "x".write(toFile: zz.storePath + "/records/" + name, atomically: false, encoding: .utf8)
        }
        Thread.sleep(forTimeInterval: 2.5)
        #expect(syncs(log()) == 2, "\(log())")

        // A burst of 50 saves settles into one sync (two at most, if the burst straddles one).
        for n in 1...50 {
            try zz.edit(codes[1], ["employees": .int(Int64(n))])
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(waitUntil(10) { try province.record(codes[1]).document["employees"] == 50 }, "\(log())")
        Thread.sleep(forTimeInterval: 2.5)
        let afterBurst = syncs(log()) - 2
        print("sync.watch: 50 saves in a burst gave \(afterBurst) sync(s)")
        #expect(afterBurst >= 1 && afterBurst <= 2, "\(log())")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitUntil(10) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
        #expect(log().contains("stopped"))
    }

    /// Parses the Prometheus text format strictly enough to catch mistakes: every sample line is
    /// `name{labels} value` with a number, and its metric has a TYPE line before it.
    func parsePrometheus(_ text: String) throws -> [String: Double] {
        var typed: [String: String] = [:]
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge"].contains(parts[3]) else { throw HarnessError("bad TYPE line: \(line)") }
                typed[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("#") { throw HarnessError("stray comment: \(line)") }
            guard let match = line.wholeMatch(of: /([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (\S+)/),
                  let value = Double(match.output.4) else { throw HarnessError("not a sample line: \(line)") }
            let name = String(match.output.1)
            guard typed[name] != nil else { throw HarnessError("\(name) has no TYPE line before it") }
            samples[name + (match.output.2.map(String.init) ?? "")] = value
        }
        return samples
    }

    @Test func theDaemonVerifiesAfterASyncAndReportsTheOutcomeInStatusAndMetrics() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "daemon-verify")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(5, seed: 34)
        let notify = try NotifyListener(folder: zz.folder)
        let metricsPath = zz.folder + "/esync.prom"
        let (daemon, log) = try startDaemon(zz, environment: [
            "NOTIFY_SOCKET": notify.path, "ESYNC_SYNC_INTERVAL_SECONDS": "1", "ESYNC_SYNC_JITTER_SECONDS": "0",
            "ESYNC_SYNC_VERIFY_INTERVAL_SECONDS": "2",
        ], arguments: ["--metrics-file", metricsPath])
        defer { if daemon.isRunning { daemon.terminate() } }
        let metrics = { try self.parsePrometheus(String(contentsOfFile: metricsPath, encoding: .utf8)) }

        // The first sync is followed by a verify: STATUS= and the metrics say the two agree.
        #expect(notify.wait(seconds: 20) { $0.contains("STATUS=last sync") && $0.contains("verify") && $0.contains("agree: 5 records") } != nil,
                "\(notify.messages.suffix(3)) \(log())")
        #expect(waitUntil(10) { try metrics()["esync_agent_verifies_total{result=\"agree\"}"] ?? 0 >= 1 }, "\(log())")
        var m = try metrics()
        #expect(m["esync_agent_verify_differing_records"] == 0)
        #expect(m["esync_agent_verify_last_success_timestamp_seconds"] ?? 0 > 0)

        // A document changed in SQL behind the merge's back (no new revision, so no pull heals it):
        // the next verify names it in STATUS, the log and the metrics.
        try province.tamperEmployees(codes[0], 7)
        #expect(notify.wait(seconds: 20) { $0.contains("STATUS=last sync") && $0.contains("1 record DIFFERS") } != nil,
                "\(notify.messages.suffix(3)) \(log())")
        #expect(waitUntil(10) { try metrics()["esync_agent_verify_differing_records"] == 1 }, "\(log())")
        m = try metrics()
        #expect(m["esync_agent_verifies_total{result=\"differ\"}"] ?? 0 >= 1)
        #expect(log().contains("verify: 1 record DIFFERS"), "\(log())")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitUntil(10) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
    }

    @Test func theDaemonOfAStoreTheProvinceRefusesSaysSoInStatusAndGoesOnOnceItIsReconciled() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "daemon-refused")
        defer { province.stop() }
        let old = try AgentHandle(region: "410100", aggregator: province)
        let codes = try old.generate(3, seed: 36)
        #expect(try old.agent(["sync"]).status == 0)
        // A store made anew with a record of its own: the province knows another one.
        let fresh = try AgentHandle(region: "410100", aggregator: province, folderName: "bureau-410100-new")
        let added = try #require(Set(try fresh.generate(1, seed: 37)).subtracting(codes).first)
        let notify = try NotifyListener(folder: fresh.folder)
        let (daemon, log) = try startDaemon(fresh, environment: [
            "NOTIFY_SOCKET": notify.path, "ESYNC_SYNC_INTERVAL_SECONDS": "1", "ESYNC_SYNC_JITTER_SECONDS": "0",
        ])
        defer { if daemon.isRunning { daemon.terminate() } }
        #expect(notify.wait(seconds: 20) { $0.contains("REFUSED") && $0.contains("store_recreated") && $0.contains("esync-agent reconcile") } != nil,
                "\(notify.messages.suffix(3)) \(log())")
        #expect(log().contains("sync refused: "), "\(log())")
        #expect(daemon.isRunning)

        // The operator reconciles between two syncs; the daemon goes on with the new epoch.
        #expect(try fresh.agent(["reconcile", "--apply"]).status == 0)
        #expect(waitUntil(20) { try province.record(added).revision == 1 }, "\(log())")
        #expect(notify.wait(seconds: 20) { $0.contains("STATUS=last sync") && $0.contains(" ok: ") } != nil, "\(notify.messages.suffix(3))")
        for uscc in codes { #expect(FileManager.default.fileExists(atPath: fresh.recordPath(uscc))) }

        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitUntil(10) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
    }

    @Test func theMetricsFileIsPrometheusTextWithTheRightValues() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "metrics")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(5, seed: 32)
        let metricsPath = zz.folder + "/esync.prom"
        let (daemon, log) = try startDaemon(zz, environment: [
            "ESYNC_SYNC_INTERVAL_SECONDS": "1", "ESYNC_SYNC_JITTER_SECONDS": "0",
        ], arguments: ["--metrics-file", metricsPath])
        defer { if daemon.isRunning { daemon.terminate() } }
        let metrics = { try self.parsePrometheus(String(contentsOfFile: metricsPath, encoding: .utf8)) }
        let started = Date().timeIntervalSince1970
        #expect(waitUntil(15) { try metrics()["esync_agent_syncs_total{result=\"ok\"}"] ?? 0 >= 1 }, "\(log())")
        var m = try metrics()
        #expect(m["esync_agent_syncs_total{result=\"failed\"}"] == 0)
        #expect(m["esync_agent_records_pushed_total"] == 5)
        #expect(m["esync_agent_conflicts_total"] == 0)
        #expect(m["esync_agent_outbox_change_sets"] == 0)
        #expect(m["esync_agent_waiting_for_review"] == 0)
        #expect(m["esync_agent_invalid_files"] == 0)
        #expect(m["esync_agent_records_pulled_total"] != nil)
        let last = try #require(m["esync_agent_last_success_timestamp_seconds"])
        #expect(last >= started - 1 && last <= Date().timeIntervalSince1970 + 1)
        #expect(m["esync_agent_last_sync_timestamp_seconds"] ?? 0 >= last)

        // The log line of a sync: time, level, message, then sorted key=value metadata.
        let line = try #require(log().split(separator: "\n").first { $0.contains("sync ok in") })
        #expect(line.contains(" INFO sync ok in "), "\(line)")
        #expect(line.contains(#/\sconflicts=0 duration=[0-9.]+ pulled=[0-9]+ pushed=5$/#), "\(line)")

        // An edit and a broken file: counted on a later sync.
        try zz.edit(codes[0], ["employees": 99])
        try "{ not json".write(toFile: zz.storePath + "/records/broken.json", atomically: false, encoding: .utf8)
        #expect(waitUntil(15) { let m = try metrics(); return m["esync_agent_records_pushed_total"] == 6 && m["esync_agent_invalid_files"] == 1 },
                "\((try? String(contentsOfFile: metricsPath, encoding: .utf8)) ?? "")")
        m = try metrics()
        #expect(m["esync_agent_syncs_total{result=\"ok\"}"] ?? 0 >= 2)
        // No temporary file left beside it (the collector reads only *.prom, but still).
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: zz.folder).filter { $0.hasPrefix("esync.prom.") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // The province goes away: failures are counted, the last success stays.
        province.stop()
        #expect(waitUntil(15) { try metrics()["esync_agent_syncs_total{result=\"failed\"}"] ?? 0 >= 1 }, "\(log())")
        m = try metrics()
        #expect(m["esync_agent_last_sync_timestamp_seconds"] ?? 0 > m["esync_agent_last_success_timestamp_seconds"] ?? 0)
        #expect(log().contains(" ERROR sync failed ("), "\(log())")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitUntil(10) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
    }
}
