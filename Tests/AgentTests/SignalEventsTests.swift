@testable import Agent
import Dispatch
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Drains a `SignalEvents` stream in the background so a test can wait for events with a deadline
/// (a missing event fails the test after `timeout` instead of hanging it).
private final class EventLog: Sendable {
    private final class Box: Sendable {
        let state = Mutex<(events: [SignalEvents.Signal], finished: Bool)>(([], false))
    }
    private let box = Box()
    private let reader: Task<Void, Never>

    init(_ stream: AsyncStream<SignalEvents.Signal>) {
        let box = self.box
        reader = Task {
            for await event in stream { box.state.withLock { $0.events.append(event) } }
            box.state.withLock { $0.finished = true }
        }
    }

    deinit { reader.cancel() }

    var events: [SignalEvents.Signal] { box.state.withLock { $0.events } }
    var finished: Bool { box.state.withLock { $0.finished } }

    /// Waits until `condition` holds or `timeout` passes; returns whether it held.
    func wait(timeout: Duration = .seconds(5), until condition: (EventLog) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}

/// `raise(signo)` on a fresh thread that does not block `signo`.
///
/// raise() is directed at the calling thread. Swift's cooperative pool runs on libdispatch worker
/// threads, which block all asynchronous signals, and on Linux a signal pending on such a thread
/// never reaches dispatch's signalfd, so raising from the test task itself would be lost (a signal
/// sent to the process, as systemd and kill(1) do, is not affected).
private func raiseOnUnblockedThread(_ signo: Int32) -> Int32 {
    let result = Mutex<Int32>(-1)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signo)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        let rc = raise(signo)
        result.withLock { $0 = rc }
        done.signal()
    }
    thread.start()
    guard done.wait(timeout: .now() + 5) == .success else { return -1 }
    return result.withLock { $0 }
}

/// Sends real signals to this process. Every signal is raised only after `start()` has returned,
/// i.e. after the dispatch sources are registered, so none can take its default action (which
/// would kill the test runner). Serialized: one SignalEvents at a time.
@Suite(.serialized) struct SignalEventsTests {
    @Test func hangupThenTerminateArriveInOrder() async throws {
        let signals = SignalEvents()
        #expect(signals.start())
        #expect(signals.start())   // idempotent
        #expect(!signals.terminationRequested)
        let log = EventLog(signals.events)

        #expect(raiseOnUnblockedThread(SIGHUP) == 0)
        #expect(await log.wait { $0.events.count >= 1 })
        #expect(log.events == [.reload])
        #expect(!signals.terminationRequested)

        #expect(raiseOnUnblockedThread(SIGTERM) == 0)
        #expect(await log.wait { $0.events.count >= 2 })
        #expect(log.events == [.reload, .terminate(SIGTERM)])
        #expect(signals.terminationRequested)
        #expect(signals.terminationSignal == SIGTERM)

        // Process-directed, as `systemctl stop` / `kill` send it.
        #expect(kill(getpid(), SIGINT) == 0)
        #expect(await log.wait { $0.events.count >= 3 })
        #expect(log.events == [.reload, .terminate(SIGTERM), .terminate(SIGINT)])
        #expect(signals.terminationSignal == SIGTERM)   // the first one is kept

        signals.stop()
        #expect(await log.wait { $0.finished })
        #expect(!signals.start())   // cannot restart after stop
    }

    @Test func aSecondInstanceStillReceives() async throws {
        let signals = SignalEvents()
        #expect(signals.start())
        let log = EventLog(signals.events)
        #expect(kill(getpid(), SIGHUP) == 0)
        #expect(await log.wait { $0.events.count >= 1 })
        #expect(log.events == [.reload])
        #expect(!signals.terminationRequested)
        signals.stop()
    }
}
