import CPosix
import CurlHTTP
import Foundation
import SyncCore

/// Sends the change sets a push seals while it seals the next ones: the province merges one
/// while the agent reads, diffs, signs and writes the next, instead of each waiting for the
/// other (a first upload of 100,000 records took the sum of both). Each change set in flight has
/// a connection of its own.
///
/// One change set is in flight at a time until an answer says the province takes them in turn
/// (`ProvinceAccepts.pipelined`); then `sync.changeSetsInFlight` (two by default): the next is
/// sent before the answer to the one before has come, naming it (`ESync-After`), and the
/// province plans it while it writes that one and writes it only once that one is accepted
/// (`ChangeSetAfter`). Answers are taken in the order sent.
///
/// Only answers are pipelined: an error (a refusal, a change set too large, the province down,
/// one sent after a refused one) stops the pipeline; the change sets still in flight are
/// cancelled and their answers dropped, and the push's `Outbox.send` then deals with what is
/// left in the outbox exactly as it would have, one at a time (one the province had applied is
/// answered again as a replay). A change set the province holds stays in the outbox, as there.
/// Nothing leaves the outbox before its answer has been merged, as without the pipeline.
final class PushPipeline {
    /// A connection and the sending thread's result; only that thread uses the connection while
    /// a send is in flight.
    private final class Flight: @unchecked Sendable {
        let client: ProvinceClient
        var result: Result<(result: ChangeSetResult, refused: [RefusedRecord]), AgentError>?
        let done = DispatchSemaphore(value: 0)
        init(client: ProvinceClient) { self.client = client }
    }

    private typealias Answered = (sent: Outbox.SealedChangeSet, answer: (result: ChangeSetResult, refused: [RefusedRecord]))

    private let config: AgentConfig
    private var flights: [Flight] = []
    /// Sent and not yet answered, oldest first.
    private var inFlight: [(sent: Outbox.SealedChangeSet, flight: Flight)] = []
    /// Something other than an answer came back (an error): the rest goes through `Outbox.send`.
    private var stopped = false
    /// Whether the province said it takes a change set before the answer to the one before.
    private var pipelined = false
    /// How the province said it takes a change set's body (gzip until it says zstd).
    private var coding = ContentCoding.gzip
    /// Answers taken in since free memory was last given back (`answersPerTrim`).
    private var answersSinceTrim = 0
    static let answersPerTrim = 8
    /// Change sets the province holds (mass-change guard), answered already in this push.
    private(set) var held = Set<String>()

    init(config: AgentConfig) throws(AgentError) {
        self.config = config
        flights = [Flight(client: try ProvinceClient(config: config))]
    }

    /// How many change sets may be in flight at once (`sync.changeSetsInFlight`).
    private var limit: Int { pipelined ? config.changeSetsInFlight : 1 }

    /// Sends `next`, once fewer than `limit` change sets are in flight (taking in the answers
    /// that makes room for, while the province works on what is in flight).
    func send(_ next: Outbox.SealedChangeSet, engine: SyncEngine, session: inout PushSession) throws(AgentError) {
        // Compressed here, while the province still merges what is in flight: on the sending
        // thread it would sit between one answer and the next request. In zstd once the
        // province said it takes it (its answers, like `pipelined`).
        let coding = self.coding
        let compressed = stopped ? nil : (try? CurlClient.compress(next.bytes, as: coding)).map { (bytes: $0, coding: coding) }
        var answered: [Answered] = []
        while !stopped, inFlight.count >= limit {
            if let answer = try awaitOldest(engine: engine) { answered.append(answer) }
        }
        if !stopped { try start(next, compressed: compressed, engine: engine) }
        // The earlier answers are merged while the province works on this one.
        for answer in answered { try take(answer, engine: engine, session: &session) }
    }

    /// Waits for every change set in flight and takes their answers in (after an answer that
    /// could not be taken in, only waits: the ones after it stay in the outbox too, and are
    /// answered again, in order, when `Outbox.send` sends them again).
    func finish(engine: SyncEngine, session: inout PushSession) throws(AgentError) {
        while !inFlight.isEmpty {
            guard !stopped else { return drain() }
            guard let answered = try awaitOldest(engine: engine) else { continue }
            do { try take(answered, engine: engine, session: &session) } catch {
                drain()  // (nothing left running after the push has thrown)
                throw error
            }
        }
    }

    /// Ends what is in flight, its answers dropped: each transfer is cancelled (libcurl notices
    /// within a second) rather than waited for, since the province holds one sent after a change
    /// set it did not apply for up to `ChangeSetAfter.waitSeconds` before refusing it. Whatever
    /// the province made of them, `Outbox.send` sends them again, in turn (one it applied is
    /// answered as a replay).
    private func drain() {
        for (_, flight) in inFlight { flight.client.curl?.cancel() }
        for (_, flight) in inFlight {
            flight.done.wait()
            flight.client.curl?.resetCancellation()
        }
        inFlight.removeAll()
    }

    private func start(_ next: Outbox.SealedChangeSet, compressed: (bytes: [UInt8], coding: ContentCoding)?, engine: SyncEngine) throws(AgentError) {
        let busy = inFlight.map { ObjectIdentifier($0.flight) }
        let flight: Flight
        if let free = flights.first(where: { !busy.contains(ObjectIdentifier($0)) }) {
            flight = free
        } else {
            flight = Flight(client: try ProvinceClient(config: config))
            flights.append(flight)
        }
        let identity = engine.outbox.identity(sending: next.name)
        let after = inFlight.last?.sent.changeSet.id
        let body = next.bytes
        let sent = next.changeSet
        inFlight.append((next, flight))
        flight.result = nil
        let thread = Thread {
            do throws(AgentError) {
                flight.result = .success(try flight.client.push(body, compressed: compressed, sent: sent, identity: identity, after: after))
            } catch { flight.result = .failure(error) }
            flight.done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The oldest change set in flight with the province's answer, once it has come; nil when its
    /// answer stops the pipeline (the others in flight are then cancelled, their answers dropped:
    /// `drain`). What the province said of itself goes to the engine's `ProvinceLink`: the change
    /// sets sealed from then on follow it.
    private func awaitOldest(engine: SyncEngine) throws(AgentError) -> Answered? {
        guard !inFlight.isEmpty else { return nil }
        let (sent, flight) = inFlight.removeFirst()
        flight.done.wait()
        // (A connection that never had the province's own answer says nothing of it.)
        if flight.client.registerStamp != nil { engine.outbox.province.heard(from: flight.client) }
        guard case .success(let answer)? = flight.result else {
            stopped = true  // left in the outbox for `Outbox.send`, which also reports the error
            drain()
            return nil
        }
        pipelined = flight.client.acceptsPipelining
        coding = flight.client.bodyCoding
        return (sent, answer)
    }

    /// Takes an answer in; one that cannot be taken in stops the pipeline: the later ones are
    /// not taken before it.
    private func take(_ answered: Answered, engine: SyncEngine, session: inout PushSession) throws(AgentError) {
        do { try takeIn(answered, engine: engine, session: &session) } catch {
            stopped = true
            throw error
        }
    }

    private func takeIn(_ answered: Answered, engine: SyncEngine, session: inout PushSession) throws(AgentError) {
        let (sent, (result, refused)) = answered
        RefusedRecord.note(log: engine.log, refused, into: &session.summary.refusedFromProvince)
        if result.held {
            held.insert(sent.name)
            try engine.outbox.noteHeld(result, sent: sent.changeSet, into: &session.summary)
        } else {
            try engine.outbox.acknowledged(result, sent: sent.changeSet, path: engine.store.outboxPath + "/" + sent.name, session: &session)
        }
        // A change set's documents are many small allocations, freed by now: give the pages
        // back, or a long upload keeps the high-water mark of every change set it made. Every
        // eighth answer: after each one, the pages given back were taken again by the next
        // (a first upload of 100,000 records: 49,000 page faults instead of 132,000, the peak
        // 92–93 MB as with each; never: 98 MB).
        answersSinceTrim += 1
        if answersSinceTrim >= Self.answersPerTrim {
            answersSinceTrim = 0
            esync_release_free_memory()
        }
    }
}
