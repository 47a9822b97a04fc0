@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// A change set sent after another of its store before that one's answer came (`ESync-After`):
/// the province merges it only after that one, against a real SQLite file.
@Suite struct ChangeSetTurnsTests {
    let temporary = TemporaryFolder("turns")
    let service: MergeService
    let zhengzhou = Principal(role: .bureau, region: "410100", name: "bureau 410100")
    let documents: [JSONValue]

    init() async throws {
        // A predecessor's arrival waited for long enough that a test run starved of threads
        // (the whole suite on PostgreSQL on two cores) cannot trip it; the test of that wait
        // sets its own.
        var service = MergeService(database: try await TestRegister.open(temporary.path + "/province.sqlite"))
        service.predecessorWait = .seconds(120)
        self.service = service
        var generator = SampleGenerator(seed: 31)
        documents = generator.records(count: 4, regions: [Regions.region(code: "410100")!]).map(\.json)
    }

    /// A change set creating `documents[n]`, with a clock (planned ahead, as an agent's are).
    func creating(_ n: Int, id: String) -> ChangeSet {
        var changeSet = ChangeSet(id: id, region: "410100", createdAt: "now",
                                  records: [RecordChange(uscc: documents[n]["uscc"]!.stringValue!, creating: documents[n])])
        changeSet.clock = HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")
        return changeSet
    }

    func known(_ id: String) async throws -> Bool {
        try await service.database.read { try $0.changeSetKnown(id) }
    }

    /// The feed's order of the region's records.
    func feed() async throws -> [String] {
        try await service.changes(region: "410100", since: 0, limit: 100).records.map(\.uscc)
    }

    /// The one sent second arrives first: it waits, and is merged after the first, in the
    /// feed's order too.
    @Test func aChangeSetSentAfterAnotherThatArrivesLaterWaitsForIt() async throws {
        let second = Task { [service, zhengzhou] in
            try await service.applyTimed(creating(1, id: "second"), from: zhengzhou, after: "first").result
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await !known("second"), "merged before the change set it follows")
        let first = try await service.apply(creating(0, id: "first"), from: zhengzhou)
        let after = try await second.value
        #expect(first.records.map(\.outcome) == [.applied] && after.records.map(\.outcome) == [.applied])
        #expect(try await feed() == [0, 1].map { documents[$0]["uscc"]!.stringValue! })
    }

    /// The first is in the writer when the second comes: the second is planned and written
    /// after it, neither refused nor stuck.
    @Test func aChangeSetSentAfterOneBeingMergedIsWrittenAfterIt() async throws {
        let slow = service
        let first = Task { [zhengzhou] in
            try await slow.applyTimed(creating(0, id: "first"), from: zhengzhou, before: { _ in Thread.sleep(forTimeInterval: 0.3) }).result
        }
        while slow.turns.stage(of: ChangeSetTurns.key("first", region: "410100")) == nil { try await Task.sleep(for: .milliseconds(5)) }
        let second = try await slow.applyTimed(creating(1, id: "second"), from: zhengzhou, after: "first").result
        #expect(try await first.value.records.map(\.outcome) == [.applied] && second.records.map(\.outcome) == [.applied])
        #expect(try await feed() == [0, 1].map { documents[$0]["uscc"]!.stringValue! })
    }

    /// The first is refused: the second, waiting for it or arriving after, is refused as out of
    /// order with nothing applied (the agent sends it again in turn).
    @Test func aChangeSetSentAfterOneRefusedIsRefusedAndAppliesNothing() async throws {
        struct Refused: Error {}
        let second = Task { [service, zhengzhou] in
            try await service.applyTimed(creating(1, id: "second"), from: zhengzhou, after: "first").result
        }
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: Refused.self) {
            _ = try await service.applyTimed(creating(0, id: "first"), from: zhengzhou, before: { _ in throw Refused() })
        }
        do {
            _ = try await second.value
            Issue.record("applied after a refused change set")
        } catch ServiceError.outOfOrder(let message) {
            #expect(message.contains("second") && message.contains("first") && message.contains("did not apply"), "\(message)")
        }
        await #expect(throws: ServiceError.self) {
            _ = try await service.applyTimed(creating(2, id: "third"), from: zhengzhou, after: "first")
        }
        #expect(try await feed().isEmpty)
        #expect(try await !known("second"))
        #expect(try await !known("third"))
        // Sent again in turn (no `after`): applied.
        #expect(try await service.apply(creating(1, id: "second"), from: zhengzhou).records.map(\.outcome) == [.applied])
    }

    /// A predecessor that never comes: refused once the wait is over, nothing applied.
    @Test func aChangeSetSentAfterOneThatNeverComesIsRefusedInTime() async throws {
        var impatient = MergeService(database: service.database)
        impatient.predecessorWait = .milliseconds(300)
        let started = ContinuousClock.now
        do {
            _ = try await impatient.applyTimed(creating(1, id: "second"), from: zhengzhou, after: "lost")
            Issue.record("applied without the change set it follows")
        } catch ServiceError.outOfOrder(let message) {
            #expect(message.contains("has not reached the province"), "\(message)")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(try await feed().isEmpty)
        #expect(impatient.planning.available == impatient.planning.limit, "a slot was kept")
    }

    /// A predecessor this instance does not know of but the register has (another instance, or
    /// before a restart): no wait (with none allowed, it still goes on).
    @Test func aChangeSetSentAfterOneTheRegisterHasGoesStraightOn() async throws {
        let other = MergeService(database: service.database)
        _ = try await other.apply(creating(0, id: "first"), from: zhengzhou)
        var impatient = MergeService(database: service.database)
        impatient.predecessorWait = .zero
        let second = try await impatient.applyTimed(creating(1, id: "second"), from: zhengzhou, after: "first").result
        #expect(second.records.map(\.outcome) == [.applied])
    }

    /// Two change sets that each name the other: neither waits for ever, both are refused.
    @Test func changeSetsThatFollowEachOtherRoundAreRefusedInTime() async throws {
        var waiting = service
        waiting.mergeWait = .milliseconds(300)
        let impatient = waiting
        @Sendable func refusal(_ n: Int, id: String, after: String) async -> (any Error)? {
            do {
                _ = try await impatient.applyTimed(creating(n, id: id), from: zhengzhou, after: after)
                return nil
            } catch { return error }
        }
        async let one = refusal(0, id: "one", after: "two")
        async let two = refusal(1, id: "two", after: "one")
        for error in await [one, two] {
            guard case ServiceError.outOfOrder(let message)? = error else {
                Issue.record("not refused as out of order: \(String(describing: error))")
                continue
            }
            #expect(message.contains("still being merged") || message.contains("did not apply"), "\(message)")
        }
        #expect(try await feed().isEmpty)
        #expect(impatient.planning.available == impatient.planning.limit)
    }

    /// The stages: a wait returns at the stage asked for, and a turn dropped unfinished counts as failed.
    @Test func aTurnMovesThroughItsStagesAndWakesWhoWaits() async throws {
        let turns = ChangeSetTurns()
        #expect(await turns.wait(for: "410100/x", until: .planned, timeout: .seconds(5)) == nil)
        var turn = turns.begin("410100/x")
        #expect(turns.begin("410100/x") == nil, "a second delivery while the first is merged")
        let planned = Task { await turns.wait(for: "410100/x", until: .planned, timeout: .seconds(60)) }
        let accepted = Task { await turns.wait(for: "410100/x", until: .accepted, timeout: .seconds(60)) }
        // A wait that times out returns the stage as it is.
        #expect(await turns.wait(for: "410100/x", until: .accepted, timeout: .milliseconds(50)) == .planning)
        try await Task.sleep(for: .milliseconds(50))
        turn?.planned()
        #expect(await planned.value == .planned)
        turn?.finish(accepted: true)
        #expect(await accepted.value == .accepted)
        #expect(turns.stage(of: "410100/x") == .accepted)
        // Sent again later: a new turn; dropped without an end, it failed.
        turn = turns.begin("410100/x")
        #expect(turns.stage(of: "410100/x") == .planning)
        turn = nil
        #expect(turns.stage(of: "410100/x") == .failed)
    }
}
