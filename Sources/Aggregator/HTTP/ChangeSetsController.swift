import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SyncCore

/// `POST /v1/changesets`: a bureau pushes a change set. The store's identity is judged, the
/// change set merged and what the store reported remembered in one transaction, so that a
/// change set refused for any reason leaves no trace of the store.
struct ChangeSetsController: Sendable {
    let merge: MergeService
    let metrics: AggregatorMetrics
    let request: APIRequest
    let maxRecords: Int

    func register(on group: RouterGroup<AggregatorRequestContext>) {
        group.post("changesets", use: push)
    }

    @Sendable func push(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        let body = try await self.request.body(request)
        let changeSet: ChangeSet
        let seal: ChangeSetSeal
        do {
            let received = try ChangeSet.decodeKeepingJSON(body)
            changeSet = received.value
            seal = ChangeSetSeal(received: body, json: received.json)
        } catch {
            throw ServiceError.badRequest("the body is not a change set: \(error)")
        }
        let identity = try APIRequest.storeIdentity(request, principal)
        guard changeSet.records.count <= maxRecords else {
            throw ServiceError.tooLarge("change set has \(changeSet.records.count) records; the limit is \(maxRecords)")
        }
        let answer = AnswerForm(header: HTTPField.Name(AnswerForm.header).flatMap { request.headers[$0] })
        let store = identity.flatMap { identity in principal.region.map { (identity, $0) } }
        let result: ChangeSetResult
        do {
            let timed = try await merge.applyTimed(changeSet, seal: seal, from: principal, answer: answer,
                                                   before: { register in
                                                       if let (identity, region) = store {
                                                           try StoreEpochs.judge(identity, region: region, changeSet: changeSet.id, register: register)
                                                       }
                                                   },
                                                   after: { register in
                                                       if let (identity, region) = store {
                                                           try StoreEpochs.record(identity, region: region, changeSet: changeSet.id, register: register)
                                                       }
                                                   })
            result = timed.result
            metrics.merged(result, transaction: timed.transaction, cpu: timed.cpu)
        } catch let conflict as StoreIdentityConflict {
            metrics.changeSet("refused")
            conflict.log(region: changeSet.region, to: context.logger)
            throw conflict
        } catch {
            metrics.changeSet("refused")
            throw error
        }
        metrics.changeSet(result.held ? "held" : result.replayed ? "replayed" : "applied", records: result.replayed ? [] : result.records)
        if result.held { context.logger.warning("change set held", metadata: ["id": "\(changeSet.id)", "region": "\(changeSet.region)", "why": "\(result.message ?? "")"]) }
        context.logger.info("change set applied", metadata: ["id": "\(changeSet.id)", "region": "\(changeSet.region)",
                                                             "records": "\(changeSet.records.count)", "replayed": "\(result.replayed)"])
        return APIAnswer.wire(result, for: request)
    }
}

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
            }
        }
        guard let since = Int64(query.get("since") ?? "0"), since >= 0 else { throw ServiceError.badRequest("since must be a non-negative integer") }
        guard let limit = Int(query.get("limit") ?? "1000"), limit >= 1 else { throw ServiceError.badRequest("limit must be a positive integer") }
        let echoes = HTTPField.Name(EchoForm.header).flatMap { request.headers[$0] }?.lowercased()
        let page = try await merge.changes(region: region, since: since, limit: min(limit, maxPageSize),
                                           requester: principal.role == .bureau && query.get("own") != "1" ? principal.source : nil,
                                           echoHashes: echoes != EchoForm.revisionsOnly)
        if principal.role == .bureau {
            try await RegionActivity.notePull(region: region, cursor: page.cursor, handedTo: store?.epoch, database: database)
        }
        return APIAnswer.wire(page, for: request)
    }
}

extension StoreIdentityConflict {
    /// Logs a store refused: which region, why, its epoch and the one the province knows.
    func log(region: String, to logger: Logger) {
        logger.warning("store refused", metadata: ["region": "\(region)", "reason": "\(reason.rawValue)", "epoch": "\(store.epoch)",
                                                   "known": "\(province.epoch)"])
    }
}
