#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// SIGTERM, SIGINT and SIGHUP as events a daemon loop can `await`.
///
/// A C signal handler may only call async-signal-safe functions: no allocation, no locks, no
/// Swift runtime, no logging. Rather than installing one (and sharing a global flag with it), the
/// signals are received through `DispatchSource.makeSignalSource`: libdispatch notices the signal
/// (on Linux via a `signalfd` read by its manager thread) and runs our handler as ordinary code on
/// a dispatch queue, which forwards it into ``events`` and ``terminationSignal``.
///
/// The default action of these signals would kill the process before dispatch sees them, so
/// ``start()`` first sets their disposition to `SIG_IGN` (only where it is still `SIG_DFL`: on
/// Linux libdispatch replaces it with a small forwarding handler of its own when a source is first
/// registered, which must not be overwritten afterwards), then waits until the sources are
/// registered, so a signal arriving after `start()` returns is never lost nor fatal.
///
/// Meant to compose with the daemon loop like this:
/// ```swift
/// let signals = SignalEvents()
/// signals.start()
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await runSyncLoop() }          // checks Task.isCancelled between steps
///     for await signal in signals.events {
///         switch signal {
///         case .reload: reloadConfiguration()             // SIGHUP
///         case .terminate: group.cancelAll(); return       // SIGTERM / SIGINT: stop the step
///         }
///     }
/// }
/// ```
/// Blocking code that cannot observe task cancellation (a libcurl transfer, through its progress
/// callback) polls ``terminationRequested`` instead.
///
/// Once started, the process keeps receiving these signals through dispatch for its whole life:
/// ``stop()`` ends the stream and cancels the sources but does not restore the default action.
public final class SignalEvents: Sendable {
    /// What a received signal asks of the daemon.
    public enum Signal: Sendable, Equatable {
        /// SIGTERM or SIGINT (the signal number): finish or abandon the current step and exit.
        case terminate(Int32)
        /// SIGHUP: reload the configuration.
        case reload
    }

    /// The signals handled: SIGTERM and SIGINT terminate, SIGHUP reloads.
    public static let handledSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Every received signal, in order, buffered until read. Finishes on ``stop()``. Single consumer.
    public let events: AsyncStream<Signal>

    private struct State {
        var sources: [any DispatchSourceSignal] = []
        var started = false
        var stopped = false
    }

    private let queue: DispatchQueue
    private let continuation: AsyncStream<Signal>.Continuation
    private let termination: Termination
    private let state = Mutex(State())

    /// Serialises the `SIG_DFL` → `SIG_IGN` check-and-set across instances.
    private static let dispositionLock = Mutex(())

    /// Holds the first terminating signal; shared with the dispatch handlers (not `self`, so the
    /// sources do not keep the instance alive).
    private final class Termination: Sendable {
        let signal = Atomic<Int32>(0)
    }

    /// - Parameter queue: where the dispatch handlers run (they only forward the event).
    public init(queue: DispatchQueue = DispatchQueue(label: "esync.signal-events")) {
        self.queue = queue
        self.termination = Termination()
        (events, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .unbounded)
    }

    deinit {
        stop()
    }

    /// The first SIGTERM/SIGINT received, or nil.
    public var terminationSignal: Int32? {
        let value = termination.signal.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// Whether SIGTERM or SIGINT has been received. Cheap; safe to poll from any thread.
    public var terminationRequested: Bool { terminationSignal != nil }

    /// Installs the handlers. Idempotent. Returns once the dispatch sources are registered (at most
    /// `timeout` later; false if that did not happen in time or after ``stop()``).
    @discardableResult
    public func start(timeout: Duration = .seconds(5)) -> Bool {
        let registered = DispatchGroup()
        let begun = state.withLock { state -> Bool in
            guard !state.started, !state.stopped else { return false }
            state.started = true
            Self.dispositionLock.withLock { _ in
                for signo in Self.handledSignals {
                    var current = sigaction()
                    if sigaction(signo, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {
                        _ = signal(signo, SIG_IGN)
                    }
                }
            }
            for signo in Self.handledSignals {
                let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
                let continuation = self.continuation
                let termination = self.termination
                source.setEventHandler {
                    if signo == SIGHUP {
                        continuation.yield(.reload)
                    } else {
                        _ = termination.signal.compareExchange(
                            expected: 0, desired: signo, ordering: .acquiringAndReleasing)
                        continuation.yield(.terminate(signo))
                    }
                }
                registered.enter()
                source.setRegistrationHandler { registered.leave() }
                state.sources.append(source)
                source.resume()
            }
            return true
        }
        guard begun else { return state.withLock { $0.started && !$0.stopped } }
        let (seconds, attoseconds) = timeout.components
        let nanos = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        return registered.wait(timeout: .now() + .nanoseconds(Int(min(nanos, 1e15)))) == .success
    }

    /// Cancels the sources and finishes ``events``. Idempotent; the instance cannot be restarted.
    public func stop() {
        let sources = state.withLock { state -> [any DispatchSourceSignal] in
            state.stopped = true
            defer { state.sources = [] }
            return state.sources
        }
        for source in sources { source.cancel() }
        continuation.finish()
    }
}
