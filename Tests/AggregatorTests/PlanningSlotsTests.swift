@testable import Aggregator
import Testing

@Suite struct PlanningSlotsTests {
    actor Arrivals {
        var order: [Int] = []
        func note(_ n: Int) { order.append(n) }
    }

    /// Beyond the limit a caller waits, and the waiting are let in in the order they came.
    @Test func callersBeyondTheLimitWaitAndComeInInOrder() async throws {
        let slots = PlanningSlots(limit: 2)
        await slots.acquire()
        await slots.acquire()
        let arrivals = Arrivals()
        var waiting: [Task<Void, Never>] = []
        for n in 1...3 {
            waiting.append(Task {
                await slots.acquire()
                await arrivals.note(n)
            })
            // Each asks before the next does.
            for _ in 0..<2000 where slots.waiting < n { try await Task.sleep(for: .milliseconds(5)) }
            try #require(slots.waiting == n, "caller \(n) got a slot while both were held")
        }
        #expect(await arrivals.order.isEmpty)
        slots.release()
        await waiting[0].value
        #expect(await arrivals.order == [1] && slots.waiting == 2)
        slots.release()
        slots.release()
        for task in waiting { await task.value }
        #expect(await arrivals.order == [1, 2, 3])
    }

    /// A change set is planned in halves only when its merge is the only one (`MergeService.prepare`).
    @Test func aHolderKnowsWhenItIsAlone() async {
        let slots = PlanningSlots(limit: 2)
        #expect(!slots.heldByOneAlone, "nobody holds one")
        await slots.acquire()
        #expect(slots.heldByOneAlone)
        await slots.acquire()
        #expect(!slots.heldByOneAlone, "two hold one")
        slots.release()
        #expect(slots.heldByOneAlone)
        slots.release()
    }
}
