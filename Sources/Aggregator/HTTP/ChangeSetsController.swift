import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SyncCore

/// `POST /v1/changesets`: a bureau pushes a change set. The store's identity is judged, the
/// change set merged and what the store reported remembered in one transaction, so that a
/// change set refused for any reason leaves no trace of the store. One sent after another
/// (`ESync-After`) waits for that one's turn (`MergeService.applyTimed`).
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
        metrics.received(encoding: request.headers[.contentEncoding])
        let changeSet: ChangeSet
        let seal: ChangeSetSeal
        do {
            let received = try ChangeSet.decodeReceived(body)
            changeSet = received.value
            seal = ChangeSetSeal(received: body, json: received.json)
        } catch {
            throw ServiceError.badRequest("the body is not a change set: \(error)")
        }
        // Its turn taken before anything else can refuse it (one sent after it learns at once),
        // and only by the region's own bureau.
        let ownBureau = principal.role == .bureau && principal.region == changeSet.region
        let turn = ownBureau ? merge.turns.begin(ChangeSetTurns.key(changeSet.id, region: changeSet.region)) : nil
        defer { turn?.finish(accepted: false) }  // (a no-op once the merge has finished it)
        let identity = try APIRequest.storeIdentity(request, principal)
        guard changeSet.records.count <= maxRecords else {
            throw ServiceError.tooLarge("change set has \(changeSet.records.count) records; the limit is \(maxRecords)")
        }
        let answer = AnswerForm(header: HTTPField.Name(AnswerForm.header).flatMap { request.headers[$0] })
        let after = HTTPField.Name(ChangeSetAfter.header).flatMap { request.headers[$0] }
        if let after, after.isEmpty || after.count > 100 || after == changeSet.id {
            throw ServiceError.badRequest("header \(ChangeSetAfter.header) must name another change set, by an id of 1 to 100 characters")
        }
        if after != nil { metrics.pipelined() }
        let store = identity.flatMap { identity in principal.region.map { (identity, $0) } }
        let result: ChangeSetResult
        do {
            let timed = try await merge.applyTimed(changeSet, seal: seal, from: principal, answer: answer, after: after, turn: turn,
                                                   before: { register in
                                                       // Judged, and remembered in the same transaction: a
                                                       // merge that fails takes both back.
                                                       if let (identity, region) = store {
                                                           try StoreEpochs.admit(identity, region: region, changeSet: changeSet.id, register: register)
                                                       }
                                                   })
            result = timed.result
            metrics.merged(result, sent: changeSet, transaction: timed.transaction, cpu: timed.cpu, planned: timed.planned, plannedAgain: timed.plannedAgain)
        } catch let conflict as StoreIdentityConflict {
            metrics.changeSet("refused")
            conflict.log(region: changeSet.region, to: context.logger)
            throw conflict
        } catch let mismatch as RegisterMismatch {
            metrics.changeSet("refused")
            mismatch.log(region: changeSet.region, to: context.logger)
            throw mismatch
        } catch let error as PostgresRegisterError where error.unavailable {
            // Not the change set's fault: the register could not be reached (503).
            metrics.changeSet("unavailable")
            throw error
        } catch ServiceError.outOfOrder(let message) {
            metrics.changeSet("out_of_order")
            throw ServiceError.outOfOrder(message)
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

extension StoreIdentityConflict {
    /// Logs a store refused: which region, why, its epoch and the one the province knows.
    func log(region: String, to logger: Logger) {
        logger.warning("store refused", metadata: ["region": "\(region)", "reason": "\(reason.rawValue)", "epoch": "\(store.epoch)",
                                                   "known": "\(province.epoch)"])
    }
}

extension RegisterMismatch {
    /// Logs a store that synced with another generation or register.
    func log(region: String, to logger: Logger) {
        logger.warning("store synced with another register", metadata: ["region": "\(region)", "reason": "\(reason.rawValue)",
                                                                        "store": "\(store?.description ?? "none")", "cursor": "\(cursor)",
                                                                        "register": "\(province)", "lastSequence": "\(lastSequence)"])
    }
}
