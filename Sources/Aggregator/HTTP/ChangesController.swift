import Foundation
import HTTPTypes
import Hummingbird
import SyncCore

/// `GET /v1/changes`: the change feed of a region, for its bureau or a reviewer.
struct ChangesController: Sendable {
    let merge: MergeService
    let stores: StoreEpochs
    let database: ProvinceDatabase
    let maxPageSize: Int

    func register(on group: RouterGroup<AggregatorRequestContext>) {
        group.get("changes", use: changes)
    }

    @Sendable func changes(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        let query = request.uri.queryParameters
        let region = try APIRequest.region(for: principal, principal.role == .bureau ? nil : query.get("region"), example: "/v1/changes?region=410100&since=0")
        let store = try APIRequest.storeIdentity(request, principal)
        if let store {
            do { try await stores.check(store, region: region) } catch let conflict as StoreIdentityConflict {
                conflict.log(region: region, to: context.logger)
                throw conflict
            } catch let mismatch as RegisterMismatch {
                mismatch.log(region: region, to: context.logger)
                throw mismatch
            }
        }
        guard let since = Int64(query.get("since") ?? "0"), since >= 0 else { throw ServiceError.badRequest("since must be a non-negative integer") }
        guard let limit = Int(query.get("limit") ?? "1000"), limit >= 1 else { throw ServiceError.badRequest("limit must be a positive integer") }
        let echoes = HTTPField.Name(EchoForm.header).flatMap { request.headers[$0] }?.lowercased()
        let page = try await merge.changes(region: region, since: since, limit: min(limit, maxPageSize),
                                           requester: principal.role == .bureau && query.get("own") != "1" ? principal.source : nil,
                                           echoHashes: echoes != EchoForm.revisionsOnly && echoes != EchoForm.none,
                                           leavingOutEchoes: echoes == EchoForm.none)
        if principal.role == .bureau {
            try await RegionActivity.notePull(region: region, cursor: page.cursor, handedTo: store?.epoch, database: database)
        }
        return APIAnswer.wire(page, for: request)
    }
}
