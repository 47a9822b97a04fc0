import Foundation
import NIOCore

/// Why `serve` could not listen on its address, said for an operator: NIO reports it as
/// `bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`, which names neither the
/// address nor what to do.
public enum ListenFailure {
    /// The reason `error` gives for not listening on `host`:`port`, with what to check; nil for
    /// an error that is not about the address (the caller reports that one as it is).
    public static func reason(_ error: any Error, host: String, port: Int) -> String? {
        if error is SocketAddressError.UnknownHost {
            return "\(host) is not a host name this machine can resolve (listen.host: an address such as 127.0.0.1, or a name in /etc/hosts)"
        }
        guard let error = error as? IOError else { return nil }
        switch error.errnoCode {
        case EADDRINUSE:
            return "the address is in use by another process (another esync-aggregator? `ss -ltnp 'sport = :\(port)'` names it); stop it, or choose another listen.port or --port"
        case EADDRNOTAVAIL:
            return "\(host) is not an address of this machine (listen.host)"
        case EACCES:
            return "permission denied: a port below 1024 needs root or CAP_NET_BIND_SERVICE; choose listen.port 1024 or above, behind a proxy"
        default:
            return String(cString: strerror(error.errnoCode))
        }
    }
}
