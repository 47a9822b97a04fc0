import Foundation
import HTTPTypes
import Hummingbird
import SyncCore

/// Who is calling: the bearer token, else the client certificate of the connection (when
/// `tls.clientCA` is set), where a registered, unrevoked certificate is its region's bureau.
/// An address that keeps presenting wrong credentials is slowed down: past a few failures each
/// of its attempts waits (doubling, up to 5 s) before it is even checked, so guessing costs
/// time while a bureau that mistyped loses little.
struct Authenticator: Sendable {
    let tokens: TokenStore
    let certificates: ClientCertificateStore
    let clientCA: Bool
    let trustedProxies: Set<String>
    let throttle = LoginThrottle(freeFailures: 5, window: 900, maxWait: 5, failurePause: .zero)

    func authenticate(_ request: Request, _ context: AggregatorRequestContext) async throws -> Principal {
        let address = ClientAddress.of(request, context, trustedProxies: trustedProxies)
        let wait = await throttle.wait(for: address)
        if wait > 0 { try? await Task.sleep(for: .seconds(min(wait, 5))) }
        let presented: Principal?
        do {
            presented = try await credentials(request, context)
        } catch let error as ServiceError {
            await throttle.failed(address)
            context.logger.notice("authentication failed", metadata: ["address": "\(address)", "path": "\(request.uri.path)", "why": "\(error)"])
            throw error
        }
        guard let principal = presented else {
            throw ServiceError.unauthorized(!clientCA
                ? "no bearer token: send Authorization: Bearer TOKEN (created with `esync-aggregator token add`)"
                : "no bearer token and no client certificate: send Authorization: Bearer TOKEN, or connect with a certificate registered by `esync-aggregator cert add`")
        }
        await throttle.succeeded(address)
        // An agent (it names its store) signed in with a reviewer's or editor's token was told
        // to add `?region=`: say what is wrong instead.
        if principal.role != .bureau, HTTPField.Name(StoreIdentity.epochHeader).flatMap({ request.headers[$0] }) != nil {
            throw ServiceError.forbidden("this is the token of \(principal.role.rawValue) \(principal.name), not a bureau's: esync-agent needs its bureau's token (`esync-aggregator token add --region CODE` at the province)")
        }
        return principal
    }

    /// A bearer token when one is sent (it decides, whatever certificate the connection has),
    /// else the connection's verified client certificate; nil when neither is there.
    func credentials(_ request: Request, _ context: AggregatorRequestContext) async throws -> Principal? {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw ServiceError.unauthorized("the Authorization header is not a bearer token: send Authorization: Bearer TOKEN")
            }
            guard let principal = try await tokens.authenticate(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
                throw ServiceError.unauthorized("unknown or revoked token")
            }
            return principal
        }
        guard clientCA, let certificate = await context.peerCertificate() else { return nil }
        return try await certificates.authenticate(certificate)
    }
}

/// Authenticates every request of the API it is added to and puts the caller on the context
/// (`context.principal`), so that a handler never runs for a caller nobody checked.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await authenticator.authenticate(request, context)
        return try await next(request, context)
    }
}
