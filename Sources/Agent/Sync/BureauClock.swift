import Foundation
import SyncCore

/// The bureau's hybrid logical clock: stamps each sealed change set, and moves past the
/// province's clock on every answer, so an edit sealed after a pull is later than what came.
/// Its state is `AgentState.clock` (saved with the state); this type only steps it, reading the
/// wall clock it was given.
///
/// For example, a test that tries out a bureau whose clock is an hour behind:
///
///     let clock = BureauClock(node: "410100", wallMilliseconds: { HybridClock.wallMilliseconds() - 3_600_000 })
public struct BureauClock: Sendable {
    public let node: String
    /// Milliseconds since the epoch, as the bureau's machine says.
    public let wallMilliseconds: @Sendable () -> Int64

    public init(node: String, wallMilliseconds: @escaping @Sendable () -> Int64) {
        self.node = node
        self.wallMilliseconds = wallMilliseconds
    }

    /// The machine's clock, shifted by `ESYNC_CLOCK_SKEW_SECONDS` when the environment sets it
    /// (read once, here): the tests try out a bureau whose clock is wrong that way (libfaketime
    /// cannot, it hides a Swift program's arguments).
    public static func system(node: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> BureauClock {
        let skewMilliseconds = (environment["ESYNC_CLOCK_SKEW_SECONDS"].flatMap(Int64.init) ?? 0) * 1000
        return BureauClock(node: node, wallMilliseconds: { HybridClock.wallMilliseconds() + skewMilliseconds })
    }

    /// The clock one step on from `last`, which becomes the new reading.
    public func tick(_ last: inout HybridTimestamp?) -> HybridTimestamp {
        var clock = HybridClock(node: node, last: last)
        let now = clock.tick(wall: wallMilliseconds())
        last = clock.last
        return now
    }

    /// Moves `last` past the province's clock. The province's clock is trusted however far ahead
    /// it is (the bureau's wall clock is the one more likely wrong).
    public func hear(_ province: HybridTimestamp?, _ last: inout HybridTimestamp?) {
        guard let province else { return }
        var clock = HybridClock(node: node, last: last, maximumDriftMilliseconds: 10 * 366 * 86_400_000)
        clock.receive(province, wall: wallMilliseconds())
        last = clock.last
    }
}
