@testable import Aggregator
import Testing

/// Whose address the login throttles key on (the decision table of `ClientAddress`).
@Suite struct ClientAddressTests {
    let proxies: Set<String> = ["127.0.0.1", "10.0.0.2"]

    @Test func aHeaderFromAnUntrustedPeerIsIgnored() {
        #expect(ClientAddress.resolve(peer: "198.51.100.7", forwardedFor: "1.2.3.4", trustedProxies: proxies) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "198.51.100.7", forwardedFor: "1.2.3.4", trustedProxies: []) == "198.51.100.7")
    }

    @Test func behindTrustedProxiesTheRightmostOtherAddressCounts() {
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "6.6.6.6, 198.51.100.7, 10.0.0.2", trustedProxies: proxies) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "2001:db8::1", trustedProxies: proxies) == "2001:db8::1")
    }

    @Test func withoutAUsableHeaderThePeerCounts() {
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: nil, trustedProxies: proxies) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "10.0.0.2, not-an-address", trustedProxies: proxies) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: "1.2.3.4", trustedProxies: proxies) == "unknown")
    }
}
