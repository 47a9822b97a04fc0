import Foundation
import HTTPTypes
import Hummingbird

/// The address a request comes from, as the login throttles key on it.
///
/// | the connection's peer | `X-Forwarded-For` | the client is |
/// |---|---|---|
/// | not in `listen.trustedProxies` | anything | the peer (a header anyone can write is ignored) |
/// | a trusted proxy | `a, b, c` | the rightmost address that is not itself a trusted proxy |
/// | a trusted proxy | absent or only proxies | the peer |
///
/// So behind nginx one person's typos slow down that person, not every reviewer behind the
/// proxy, and nobody else can pick the address they are throttled under.
enum ClientAddress {
    static func of(_ request: Request, _ context: AggregatorRequestContext, trustedProxies: Set<String>) -> String {
        resolve(peer: context.remoteAddress?.ipAddress, forwardedFor: forwardedFor.flatMap { request.headers[$0] }, trustedProxies: trustedProxies)
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")

    static func resolve(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        guard let peer else { return "unknown" }
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return hops.reversed().first { !$0.isEmpty && !trustedProxies.contains($0) && isIPAddress($0) } ?? peer
    }

    /// An IPv4 or IPv6 address in text form (what `listen.trustedProxies` and the header hold).
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
