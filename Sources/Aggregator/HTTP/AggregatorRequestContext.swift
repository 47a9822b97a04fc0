import Hummingbird
import NIOCore
import NIOSSL

/// The request context of the aggregator's router: Hummingbird's basic one plus the client's
/// address, which the login throttles are keyed by, the connection, whose TLS client
/// certificate can stand in for a bureau's token, and the authenticated caller.
public struct AggregatorRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let channel: any Channel
    /// The caller, once `AuthenticationMiddleware` has checked its credentials.
    var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The authenticated caller; a handler of a route without `AuthenticationMiddleware` that
    /// asks for it is a mistake of ours (500), never the caller's.
    func caller() throws -> Principal {
        guard let principal else { throw ServiceError.internalError("the route was reached without authentication") }
        return principal
    }

    /// The client certificate the TLS handshake verified against `tls.clientCA`; nil on plain
    /// HTTP and when the client presented none.
    func peerCertificate() async -> NIOSSLCertificate? {
        // No TLS handler in the pipeline (plain HTTP) fails the lookup: no certificate either.
        try? await channel.nioSSL_peerCertificate().get()
    }
}
