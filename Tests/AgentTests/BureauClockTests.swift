@testable import Agent
import SyncCore
import Foundation
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
        // One sent after a change set the province did not apply is taken when sent again in turn.
        #expect(Self.refusal(409, code: "conflict").refusesChangeSet && !Self.refusal(409, code: ChangeSetAfter.outOfOrder).refusesChangeSet)
    }

    /// `Retry-After` as seconds or as an HTTP date; anything else is no request at all.
    @Test func retryAfterIsReadAsSecondsOrAsADate() {
        let now = Date(timeIntervalSince1970: 1_765_000_000)  // Sat, 06 Dec 2025 05:46:40 GMT
        #expect(ProvinceRefusal.retryAfter("5", now: now) == 5)
        #expect(ProvinceRefusal.retryAfter(" 120 ", now: now) == 120)
        #expect(ProvinceRefusal.retryAfter("999999", now: now) == 86_400)
        #expect(ProvinceRefusal.retryAfter("Sat, 06 Dec 2025 05:47:10 GMT", now: now) == 30)
        #expect(ProvinceRefusal.retryAfter("Sat, 06 Dec 2025 05:40:00 GMT", now: now) == 0)
        for unreadable in [nil, "", "-3", "soon", "1.5"] { #expect(ProvinceRefusal.retryAfter(unreadable, now: now) == nil) }
        let asked = ProvinceRefusal(status: 503, code: "register_unavailable", message: "m", url: "u", retryAfterSeconds: 5)
        #expect(asked.description.hasSuffix("; it asks to be asked again in 5 s"))
    }
}
