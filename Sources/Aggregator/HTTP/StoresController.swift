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
struct StoresController: Sendable {
    let stores: StoreEpochs
    let database: ProvinceDatabase
    let request: APIRequest

    func register(on group: RouterGroup<AggregatorRequestContext>) {
        group.get("store-epoch", use: registration)
        group.post("store-epoch", use: takeOver)
        group.get("digests", use: digests)
    }

    @Sendable func registration(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let region = try APIRequest.region(for: try context.caller(), request.uri.queryParameters.get("region"), example: "/v1/store-epoch?region=410100")
        guard let registration = try await stores.registration(region: region) else {
            throw ServiceError.notFound("the province knows no store for region \(region) yet")
        }
        return try APIAnswer.json(registration)
    }

    @Sendable func takeOver(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        guard principal.role == .bureau, let region = principal.region else { throw ServiceError.forbidden("only a bureau registers its store") }
        let body = try await self.request.body(request)
        let registration: StoreRegistrationRequest
        do { registration = try JSONDecoder().decode(StoreRegistrationRequest.self, from: Data(body)) } catch {
            throw ServiceError.badRequest("the body is not a store registration {\"epoch\", \"replaces\", \"cursor\", \"sequence\"}: \(APIAnswer.describe(error))")
        }
        try APIRequest.refuseForeignStore(claiming: registration.region, principal: principal)
        var stored = try await stores.register(registration, region: region)
        stored.chainHead = try await ChangeSetChain.head(of: principal, database: database)
        context.logger.notice("store registered", metadata: ["region": "\(region)", "epoch": "\(stored.epoch)", "replaced": "\(stored.replaced ?? "-")"])
        return try APIAnswer.json(stored)
    }

    @Sendable func digests(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let region = try APIRequest.region(for: try context.caller(), query.get("region"), example: "/v1/digests?region=410100")
        guard let text = query.get("bucket") else { return try APIAnswer.json(try await RegionAudit.summary(region: region, database: database)) }
        guard let bucket = Int(text), (0..<BucketDigest.bucketCount).contains(bucket) else {
            throw ServiceError.badRequest("bucket must be 0 to \(BucketDigest.bucketCount - 1)")
        }
        return try APIAnswer.json(try await RegionAudit.bucket(bucket, region: region, database: database))
    }
}

/// `GET /v1/report?year=YYYY&region=CODE[&format=csv&table=NAME]`: the progress report for
/// reviewers (a bureau token gets 403).
struct ReportController: Sendable {
    let database: ProvinceDatabase
    let targets: ReportTargets

    func register(on group: RouterGroup<AggregatorRequestContext>) {
        group.get("report", use: report)
    }

    @Sendable func report(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        guard try context.caller().role == .reviewer else { throw ServiceError.forbidden("the progress report is for reviewers") }
        let query = ReportQuery(request.uri.queryParameters.get)
        let report = try await ProgressReport.build(year: try query.year(), region: try query.region(), targets: targets, database: database)
        guard query.get("format") == "csv" else { return try APIAnswer.json(report) }
        return APIAnswer.csv(try await query.table(report, database: database))
    }
}
