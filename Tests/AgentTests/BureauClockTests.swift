@testable import Agent
import SyncCore
import Testing

/// The bureau's clock reads the wall clock it is given: a wrong machine clock is tried out
/// without the environment, and the province's later clock is heard however far ahead it is.
@Suite struct BureauClockTests {
    @Test func aTickFollowsTheGivenWallClockAndNeverGoesBack() {
        let clock = BureauClock(node: "410100", wallMilliseconds: { 1_000 })
        var last: HybridTimestamp?
        let first = clock.tick(&last)
        let second = clock.tick(&last)
        #expect(first == HybridTimestamp(milliseconds: 1_000, counter: 0, node: "410100"))
        #expect(second == HybridTimestamp(milliseconds: 1_000, counter: 1, node: "410100"))
        #expect(last == second)
    }

    @Test func aBureauWhoseClockIsYearsBehindStillSealsAfterWhatItHeard() {
        let clock = BureauClock(node: "410100", wallMilliseconds: { 1_000 })
        var last: HybridTimestamp?
        let province = HybridTimestamp(milliseconds: 5 * 365 * 86_400_000, counter: 3, node: "province")
        clock.hear(province, &last)
        clock.hear(nil, &last)  // no clock in the answer: nothing moves
        #expect(clock.tick(&last) > province)
    }

    @Test func theSystemClockIsShiftedByTheSkewReadOnceFromTheEnvironment() {
        let skewed = BureauClock.system(node: "410100", environment: ["ESYNC_CLOCK_SKEW_SECONDS": "-3600"])
        let plain = BureauClock.system(node: "410100", environment: [:])
        let difference = plain.wallMilliseconds() - skewed.wallMilliseconds()
        #expect(difference >= 3_600_000 && difference < 3_660_000)
    }
}

/// A refusal of the province by what it means, whatever status carried it.
@Suite struct ProvinceRefusalTests {
    static func refusal(_ status: Int, code: String = "x") -> ProvinceRefusal {
        ProvinceRefusal(status: status, code: code, message: "m", url: "https://p/v1/changesets")
    }

    @Test func statusesMapToMeaningsAndMessagesKeepTheStatus() {
        #expect(Self.refusal(413).kind == .tooLarge && Self.refusal(413).refusesChangeSet)
        #expect(Self.refusal(403).isNotVisible && Self.refusal(404).isNotVisible && !Self.refusal(409).isNotVisible)
        #expect(!Self.refusal(404).refusesChangeSet && !Self.refusal(500).refusesChangeSet && Self.refusal(422).refusesChangeSet)
        #expect(Self.refusal(503).kind == .unavailable && Self.refusal(418).kind == .other)
        #expect(AgentError.server(Self.refusal(403, code: "forbidden")).description == "the province answered 403 forbidden for https://p/v1/changesets: m")
        #expect(AgentError.server(Self.refusal(401)).category == .refused)
        #expect(AgentError.server(Self.refusal(502)).category == .unreachable)
        #expect(AgentError.server(Self.refusal(409)).category == .failure)
    }
}
