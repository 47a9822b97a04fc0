import Hummingbird
import NIOCore

/// The request context of the aggregator's router: Hummingbird's basic one plus the client's
/// address, which the review pages' login throttle is keyed by.
public struct AggregatorRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
