import EnterpriseModel
import Foundation
import HTTPTypes
import Hummingbird
import SyncCore

/// Store identity and the audit of agreement:
///
/// ```
/// GET  /v1/store-epoch[?region=R]          what the province remembers of the region's store
/// POST /v1/store-epoch                     bureau: its store takes over the region (reconcile)
/// GET  /v1/digests[?region=R]              the 256 bucket digests of the region's live records
/// GET  /v1/digests[?region=R]&bucket=N     one bucket's records: credit code, hash, revision
/// ```
///
/// A bureau gets its own region (naming another is 403); a reviewer or editor names one.
extension AggregatorServer {
    func registerAuditRoutes(on router: Router<AggregatorRequestContext>) {
        router.get("/v1/store-epoch") { request, context in
            let principal = try await authenticate(request, context)
            let region = try Self.region(for: principal, request.uri.queryParameters.get("region"), example: "/v1/store-epoch?region=410100")
            guard let registration = try await stores.registration(region: region) else {
                throw ServiceError.notFound("the province knows no store for region \(region) yet")
            }
            return try Self.json(registration)
        }
        router.post("/v1/store-epoch") { request, context in
            let principal = try await authenticate(request, context)
            guard principal.role == .bureau, let region = principal.region else { throw ServiceError.forbidden("only a bureau registers its store") }
            let body = try await readBody(request)
            let registration: StoreRegistrationRequest
            do { registration = try JSONDecoder().decode(StoreRegistrationRequest.self, from: Data(body)) } catch {
                throw ServiceError.badRequest("the body is not a store registration {\"epoch\", \"replaces\", \"cursor\", \"sequence\"}: \(Self.describe(error))")
            }
            try Self.refuseForeignStore(claiming: registration.region, principal: principal)
            var stored = try await stores.register(registration, region: region)
            stored.chainHead = try await ChangeSetChain.head(of: principal, database: database)
            context.logger.notice("store registered", metadata: ["region": "\(region)", "epoch": "\(stored.epoch)", "replaced": "\(stored.replaced ?? "-")"])
            return try Self.json(stored)
        }
        router.get("/v1/digests") { request, context in
            let principal = try await authenticate(request, context)
            let query = request.uri.queryParameters
            let region = try Self.region(for: principal, query.get("region"), example: "/v1/digests?region=410100")
            guard let text = query.get("bucket") else { return try Self.json(try await RegionAudit.summary(region: region, database: database)) }
            guard let bucket = Int(text), (0..<BucketDigest.bucketCount).contains(bucket) else {
                throw ServiceError.badRequest("bucket must be 0 to \(BucketDigest.bucketCount - 1)")
            }
            return try Self.json(try await RegionAudit.bucket(bucket, region: region, database: database))
        }
    }

    /// The region a request is about: a bureau's own (naming another is 403), or the one a
    /// reviewer or editor names.
    static func region(for principal: Principal, _ asked: String?, example: String) throws -> String {
        switch principal.role {
        case .bureau:
            let own = principal.region ?? ""
            if let asked, asked != own { throw ServiceError.forbidden("the bureau of \(own) may not read region \(asked)") }
            return own
        case .reviewer, .editor:
            guard let asked, Regions.region(code: asked) != nil else { throw ServiceError.badRequest("a reviewer must name the region: \(example)") }
            return asked
        }
    }

    /// Checks the identity a bureau's store sends with a push (`changeSet`: its id) or pull
    /// (nothing to check for reviewers, or for an agent that sends none); returns it for the
    /// answer's bookkeeping.
    func checkStore(_ request: Request, _ principal: Principal, _ context: AggregatorRequestContext,
                    changeSet: String? = nil, record: Bool = true) async throws -> StoreIdentity? {
        guard principal.role == .bureau, let region = principal.region else { return nil }
        let identity: StoreIdentity?
        do {
            identity = try StoreIdentity { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
        } catch {
            throw ServiceError.badRequest("store identity header \(error)")
        }
        guard let identity else { return nil }
        try Self.refuseForeignStore(claiming: identity.region, principal: principal)
        do {
            try await stores.check(identity, region: region, changeSet: changeSet, record: record)
        } catch let conflict as StoreIdentityConflict {
            context.logger.warning("store refused", metadata: ["region": "\(region)", "reason": "\(conflict.reason.rawValue)",
                                                                "epoch": "\(identity.epoch)", "known": "\(conflict.province.epoch)"])
            throw conflict
        }
        return identity
    }

    /// A store configured for one region with the credentials of another (a config that kept
    /// the example's region code) is refused before anything is registered or handed out: it
    /// would otherwise take the other bureau's region over and fill a store labelled with the
    /// wrong region.
    static func refuseForeignStore(claiming claimed: String?, principal: Principal) throws {
        guard let claimed, let region = principal.region, claimed != region else { return }
        func named(_ code: String) -> String { "\(code) (\(Regions.region(code: code)?.name ?? "unknown region"))" }
        throw ServiceError.forbidden("this store is configured for region \(named(claimed)), but its credentials (token or client certificate) belong to region \(named(region)): set `region:` in the agent's config to \(region), or use the token of \(claimed); nothing was registered or sent")
    }
}
