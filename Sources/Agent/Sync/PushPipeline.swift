import CPosix
import CurlHTTP
import Foundation
import SyncCore

/// Sends the change sets a push seals while it seals the next ones: the province merges one
/// while the agent reads, diffs, signs and writes the next, instead of each waiting for the
/// other (a first upload of 100,000 records took the sum of both). One change set is in flight
/// at a time, on a connection of its own, so they still arrive in the order of their chain.
///
/// Only answers are pipelined: an error (a refusal, a change set too large, the province down)
/// stops the pipeline, and the push's `Outbox.send` then deals with what is left in the outbox
/// exactly as it would have. A change set the province holds stays in the outbox, as there. Nothing
/// leaves the outbox before its answer has been merged, as without the pipeline.
final class PushPipeline {
    /// The connection of the sending thread; only that thread uses it while a send is in flight.
    private final class Flight: @unchecked Sendable {
        let client: ProvinceClient
        var result: Result<(result: ChangeSetResult, refused: [RefusedRecord]), AgentError>?
        let done = DispatchSemaphore(value: 0)
        init(client: ProvinceClient) { self.client = client }
    }

    private let flight: Flight
    private var inFlight: Outbox.SealedChangeSet?
    /// Something other than an answer came back (an error): the rest goes through `Outbox.send`.
    private var stopped = false
    /// Change sets the province holds (mass-change guard), answered already in this push.
    private(set) var held = Set<String>()

    init(config: AgentConfig) throws(AgentError) {
        flight = Flight(client: try ProvinceClient(config: config))
    }

    /// Takes in the answer to the change set in flight, if any, and sends `next`.
    func send(_ next: Outbox.SealedChangeSet, engine: SyncEngine, session: inout PushSession) throws(AgentError) {
        // Compressed here, while the province still merges the one in flight: on the sending
        // thread it would sit between one answer and the next request.
        let gzipped = stopped ? nil : try? CurlClient.gzip(next.bytes)
        let previous = try awaitAnswer(engine: engine)
        guard !stopped else { return }
        let identity = engine.outbox.identity(sending: next.name)
        let flight = self.flight
        let body = next.bytes
        let sent = next.changeSet
        inFlight = next
        flight.result = nil
        let thread = Thread {
            do throws(AgentError) {
                flight.result = .success(try flight.client.push(body, gzipped: gzipped, sent: sent, identity: identity))
            } catch { flight.result = .failure(error) }
            flight.done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        // The previous answer is merged while the province works on this one.
        if let previous { try take(previous, engine: engine, session: &session) }
    }

    /// Waits for the change set in flight and takes its answer in.
    func finish(engine: SyncEngine, session: inout PushSession) throws(AgentError) {
        if let answered = try awaitAnswer(engine: engine) { try take(answered, engine: engine, session: &session) }
    }

    /// The change set in flight with the province's answer, once it has come; nil when nothing
    /// was in flight or its answer stops the pipeline. What the province said of itself goes to
    /// the engine's `ProvinceLink`: the change sets sealed from then on follow it.
    private func awaitAnswer(engine: SyncEngine) throws(AgentError) -> (Outbox.SealedChangeSet, (result: ChangeSetResult, refused: [RefusedRecord]))? {
        guard let sent = inFlight else { return nil }
        flight.done.wait()
        inFlight = nil
        engine.outbox.province.heard(from: flight.client)
        guard case .success(let answer)? = flight.result else {
            stopped = true  // left in the outbox for `Outbox.send`, which also reports the error
            return nil
        }
        return (sent, answer)
    }

    private func take(_ answered: (Outbox.SealedChangeSet, (result: ChangeSetResult, refused: [RefusedRecord])), engine: SyncEngine,
                      session: inout PushSession) throws(AgentError) {
        let (sent, (result, refused)) = answered
        RefusedRecord.note(log: engine.log, refused, into: &session.summary.refusedFromProvince)
        if result.held {
            held.insert(sent.name)
            try engine.outbox.noteHeld(result, sent: sent.changeSet, into: &session.summary)
        } else {
            try engine.outbox.acknowledged(result, sent: sent.changeSet, path: engine.store.outboxPath + "/" + sent.name, session: &session)
        }
        // A change set's documents are many small allocations, freed by now: give the pages
        // back, or a long upload keeps the high-water mark of every change set it made.
        esync_release_free_memory()
    }
}
