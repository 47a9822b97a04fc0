import CurlHTTP
import Foundation
import Logging
import Synchronization

/// `esync-agent run`: a sync at start, then on the configured interval with jitter; exponential
/// backoff (capped) while the province is unreachable — the outbox keeps everything and a resend
/// applies nothing twice; the systemd notify protocol when `$NOTIFY_SOCKET` is set; SIGTERM or
/// SIGINT abandon the step in flight safely (a transfer is cancelled; sealed change sets stay in
/// the outbox) and exit 0; SIGHUP reloads the configuration, keeping the old one if the new one
/// is bad. The store's lock is held only during a sync, so manual commands can run between.
public final class Daemon: Sendable {
    let configPath: String
    let initialConfig: AgentConfig
    let log: Logger
    /// `--metrics-file`: overrides `metrics.file` of the config (also after a reload).
    let metricsFile: String?
    let control = Control()

    public init(configPath: String, config: AgentConfig, logger: Logger, metricsFile: String? = nil) {
        self.configPath = configPath
        self.initialConfig = config
        self.log = logger
        self.metricsFile = metricsFile
    }

    /// What one sync did, for the log, STATUS= and the metrics.
    struct StepResult: Sendable {
        var line: String
        var pushed = 0
        var pulled = 0
        var conflicts = 0
        var gauges: AgentMetrics.StoreGauges?
        var verify: VerifyStep?
    }

    /// A `verify` run after a sync (`sync.verifyIntervalSeconds`).
    enum VerifyStep: Sendable {
        case done(at: Date, differing: Int, line: String)
        case failed(String)
    }

    /// What the signal handlers and the loop share.
    final class Control: Sendable {
        private struct State {
            var stopping = false
            var reload = false
            var transfer: CurlClient?
        }
        private let state = Mutex(State())

        var stopping: Bool { state.withLock { $0.stopping } }

        func stop() {
            let transfer = state.withLock { s -> CurlClient? in
                s.stopping = true
                return s.transfer
            }
            transfer?.cancel()  // a push or pull in flight ends now; nothing acknowledged is lost
        }

        func requestReload() { state.withLock { $0.reload = true } }
        func takeReload() -> Bool { state.withLock { s in defer { s.reload = false }; return s.reload } }
        func track(_ client: CurlClient?) { state.withLock { $0.transfer = client } }
        var wakeUp: Bool { state.withLock { $0.stopping || $0.reload } }
    }

    /// Runs until SIGTERM or SIGINT (nil), or until the store cannot be opened at start: that
    /// error, logged already, for the command line's exit code.
    public func run() async -> (any Error)? {
        let notifier = SystemdNotifier()
        let signals = SignalEvents()
        signals.start()
        var config = initialConfig
        // Opening checks the store and rebuilds a missing index, which takes a while on a large
        // one: systemd is told to wait longer, in steps, instead of killing a slow start.
        let extending = Task { [notifier] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                if !Task.isCancelled, notifier.isEnabled { try? notifier.extendTimeout(seconds: 30) }
            }
        }
        var metrics = AgentMetrics()
        /// The last verify, for STATUS= (kept in the state across restarts).
        var verifyLine: String?
        do {
            let checked = config
            let last = try await Blocking.run { try SyncEngine(config: checked, store: try Store.open(checked.storePath)).state.lastVerify }
            if let last {
                metrics.recordVerify(at: (try? Date(last.at, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0), differing: last.differing, counted: false)
                verifyLine = "verify \(last.at): \(last.summary)"
            }
            extending.cancel()
        } catch {
            extending.cancel()
            log.error("cannot open the store: \(error)")
            return error
        }
        let watchdog = Task { [notifier] in
            guard let period = notifier.watchdogInterval else { return }
            while !Task.isCancelled {
                try? notifier.watchdog()
                try? await Task.sleep(for: period)
            }
        }
        let listener = Task { [control, log] in
            for await signal in signals.events {
                switch signal {
                case .terminate(let number):
                    log.notice("signal \(number): stopping")
                    control.stop()
                case .reload:
                    log.notice("SIGHUP: reloading \(self.configPath)")
                    control.requestReload()
                }
            }
        }
        notify(notifier) { try $0.ready() }
        notify(notifier) { try $0.status("started; first sync running") }
        log.info("started: store=\(config.storePath) region=\(config.region) server=\(config.serverURL ?? "-") interval=\(Int(config.syncIntervalSeconds))s")
        for warning in config.securityWarnings() { log.warning("\(warning)") }

        var watch = openWatch(config)
        var failures = 0
        /// What the province's last refusal asked for (`Retry-After`), for the wait after it.
        var retryAfter: Double?
        while !control.stopping {
            if control.takeReload() {
                notify(notifier) { try $0.reloading() }
                do {
                    let fresh = try await AgentConfig.load(path: configPath)
                    if fresh.storePath != config.storePath || fresh.region != config.region {
                        log.error("reload: store and region cannot change while running (restart the service); the old configuration stays")
                    } else {
                        let rewatch = fresh.syncWatch != config.syncWatch || fresh.settleSeconds != config.settleSeconds
                        config = fresh
                        log.notice("reload: configuration read again")
                        for warning in config.securityWarnings() { log.warning("\(warning)") }
                        if rewatch { watch = openWatch(config) }
                    }
                } catch {
                    log.error("reload: \(error); the old configuration stays")
                }
                notify(notifier) { try $0.ready() }
            }
            // What the watch saw so far is in this sync; what it sees from now on is for the next.
            do { try watch?.reset() } catch {
                log.warning("watch: \(error); syncing every \(Int(config.syncIntervalSeconds)) s only")
                watch = nil
            }
            let started = Date()
            let outcome = await step(config)
            retryAfter = nil
            let at = started.formatted(.iso8601)
            let duration = String(format: "%.2f", Date().timeIntervalSince(started))
            switch outcome {
            case .success(let result):
                failures = 0
                log.info("sync ok in \(duration) s: \(result.line)", metadata: [
                    "duration": "\(duration)", "pushed": "\(result.pushed)", "pulled": "\(result.pulled)", "conflicts": "\(result.conflicts)",
                ])
                switch result.verify {
                case .done(let when, let differing, let line)?:
                    metrics.recordVerify(at: when, differing: differing)
                    verifyLine = "verify \(when.formatted(.iso8601)): \(line)"
                    if differing == 0 {
                        log.info("verify: \(line)")
                    } else {
                        log.warning("verify: \(line); `esync-agent verify` names them", metadata: ["differing": "\(differing)"])
                    }
                case .failed(let reason)?:
                    metrics.verifiesFailed += 1
                    verifyLine = "verify FAILED: \(reason)"
                    log.warning("verify failed: \(reason)")
                case nil:
                    break
                }
                notify(notifier) { try $0.status("last sync \(at) ok: \(result.line)" + (verifyLine.map { "; " + $0 } ?? "")) }
                if let gauges = result.gauges {
                    metrics.recordSuccess(at: Date(), pushed: result.pushed, pulled: result.pulled, conflicts: result.conflicts, gauges: gauges)
                    writeMetrics(metrics, config)
                }
            case .failure(let error):
                if control.stopping {
                    log.notice("sync cut short by the stop: \(error)")
                    notify(notifier) { try $0.status("stopping; sync cut short: \(error)") }
                    break
                }
                if case .storeIdentity(let conflict, _) = error {
                    // Not an outage: retrying sooner helps nothing until someone reconciles the store.
                    failures = 0
                    log.error("sync refused: \(error)", metadata: ["reason": "\(conflict.reason.rawValue)"])
                    notify(notifier) { try $0.status("last sync \(at) REFUSED: the province does not recognise this store (\(conflict.error)); run `esync-agent reconcile`") }
                } else {
                    failures += 1
                    if case .server(let refusal) = error { retryAfter = refusal.retryAfterSeconds }
                    log.error("sync failed (\(failures) in a row): \(error)", metadata: ["duration": "\(duration)"])
                    notify(notifier) { try $0.status("last sync \(at) FAILED: \(error)") }
                }
                metrics.recordFailure(at: Date())
                writeMetrics(metrics, config)
            }
            if control.stopping { break }
            let wait = delay(config, failures: failures, retryAfter: retryAfter)
            // What the province asked for holds even when records are saved meanwhile: the sync
            // they call for waits until then (a signal still wakes the daemon at once).
            let notBefore = retryAfter.map { _ in Date().addingTimeInterval(wait) }
            switch await sleep(wait, watch: watch) {
            case .watchFailed(let error):
                log.warning("watch: \(error); syncing every \(Int(config.syncIntervalSeconds)) s only")
                watch = nil
            case .recordsChanged:
                if let notBefore, notBefore > Date() {
                    log.info("records changed: syncing once the province's Retry-After has passed")
                    _ = await sleep(notBefore.timeIntervalSinceNow, watch: nil)  // a stop or a reload ends it
                }
                log.info("records changed: syncing")
            case .elapsed, .woken:
                break
            }
        }
        notify(notifier) { try $0.stopping() }
        watchdog.cancel()
        signals.stop()
        listener.cancel()
        log.notice("stopped")
        return nil
    }

    /// After a success: the interval plus up to the jitter; after failures: 1, 2, 4 … seconds,
    /// capped at the interval (and at `sync.maxBackoffSeconds`), but never sooner than the
    /// province asked (`retryAfter`, its `Retry-After`), up to `sync.maxBackoffSeconds`: a
    /// province failing over or overloaded is not asked again by every bureau each second.
    func delay(_ config: AgentConfig, failures: Int, retryAfter: Double? = nil) -> Double {
        if failures == 0 { return config.syncIntervalSeconds + Double.random(in: 0...max(config.syncJitterSeconds, 0)) }
        let backoff = pow(2, Double(min(failures - 1, 20)))
        let wait = min(backoff, config.maxBackoffSeconds, max(config.syncIntervalSeconds, 1))
        guard let retryAfter else { return wait }
        return max(wait, min(retryAfter, config.maxBackoffSeconds))
    }

    enum Wake {
        case elapsed, woken, recordsChanged
        case watchFailed(RecordWatch.Failure)
    }

    /// Waits `seconds`, or until a signal asks for something, or until the watched records
    /// changed and settled. Wakes every 100 ms to look (the watch is read without blocking).
    func sleep(_ seconds: Double, watch: RecordWatch?) async -> Wake {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if control.wakeUp { return .woken }
            do {
                if try watch?.poll() == true { return .recordsChanged }
            } catch {
                return .watchFailed(error)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return .elapsed
    }

    /// The inotify watch of `records/` when `sync.watch` is on; nil (interval only) when it is
    /// off or cannot be set up (e.g. the inotify limits are reached).
    func openWatch(_ config: AgentConfig) -> RecordWatch? {
        guard config.syncWatch else { return nil }
        let folder = config.storePath + "/records"
        do {
            let watch = try RecordWatch(directory: folder, settleSeconds: config.settleSeconds)
            log.info("watching \(folder): a sync starts \(config.settleSeconds) s after the last change")
            return watch
        } catch {
            log.warning("watch: \(error); syncing every \(Int(config.syncIntervalSeconds)) s only")
            return nil
        }
    }

    /// One sync (push, then pull) under the store's lock, on a thread of its own.
    func step(_ config: AgentConfig) async -> Result<StepResult, AgentError> {
        do {
            let summary = try await Blocking.run { [control, log] () throws -> StepResult in
                let store = try Store.open(config.storePath)
                let lock = FileLock(path: store.lockPath)
                try lock.lock(holder: "esync-agent run (daemon)", timeoutSeconds: 120) { control.stopping }
                defer { lock.unlock() }
                store.removeStaleTemporaries()
                try store.moveBaseFilesIntoLog()
                let client = try ProvinceClient(config: config)
                control.track(client.curl)
                defer { control.track(nil) }
                if control.stopping { return StepResult(line: "not started: stopping") }
                let engine = try SyncEngine(config: config, store: store, client: client)
                engine.log = { log.info("\($0)") }
                engine.shouldStop = { control.stopping }
                let push = try engine.push()
                let pull = try engine.pull()
                let gauges = AgentMetrics.StoreGauges(
                    outboxChangeSets: (try? engine.outboxFiles().count) ?? 0,
                    waitingForReview: engine.state.parked.values.reduce(0) { $0 + $1.count },
                    invalidFiles: push.invalid.count)
                var result = StepResult(line: "push: \(push.line); pull: \(pull.line)", pushed: push.recordsSent, pulled: pull.received,
                                        conflicts: push.conflicts.count, gauges: gauges)
                if Self.verifyDue(engine.state.lastVerify, every: config.verifyIntervalSeconds), !control.stopping {
                    do {
                        let report = try engine.verify()
                        result.verify = .done(at: Date(), differing: report.differences.count, line: report.line)
                    } catch {
                        result.verify = .failed("\(error)")
                    }
                }
                return result
            }
            return .success(summary)
        } catch let error as AgentError {
            return .failure(error)
        } catch {
            return .failure(.protocolError(url: config.serverURL ?? "-", reason: "\(type(of: error)): \(error)"))
        }
    }

    /// Whether a sync should be followed by `verify`: never verified, or the last one is
    /// `interval` seconds old (0: never).
    static func verifyDue(_ last: AgentState.Verification?, every interval: Double, now: Date = Date()) -> Bool {
        guard interval > 0 else { return false }
        guard let last, let at = try? Date(last.at, strategy: .iso8601) else { return true }
        return now.timeIntervalSince(at) >= interval
    }

    /// `--metrics-file`, else `metrics.file`; a failure to write is logged, never fatal.
    func writeMetrics(_ metrics: AgentMetrics, _ config: AgentConfig) {
        guard let path = metricsFile ?? config.metricsFile else { return }
        do { try metrics.write(to: path) } catch { log.warning("metrics: \(error)") }
    }

    func notify(_ notifier: SystemdNotifier, _ body: (SystemdNotifier) throws -> Void) {
        guard notifier.isEnabled else { return }
        do { try body(notifier) } catch { log.warning("systemd notify: \(error)") }
    }
}
