import Hummingbird
import NIOCore
import NIOSSL

/// The request context of the aggregator's router: Hummingbird's basic one plus the client's
/// address, which the login throttles are keyed by, and the connection, whose TLS client
/// certificate can stand in for a bureau's token.
public struct AggregatorRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The client certificate the TLS handshake verified against `tls.clientCA`; nil on plain
    /// HTTP and when the client presented none.
    func peerCertificate() async -> NIOSSLCertificate? {
        // No TLS handler in the pipeline (plain HTTP) fails the lookup: no certificate either.
        try? await channel.nioSSL_peerCertificate().get()
    }
}
