import Foundation
import Hummingbird
import SyncCore

/// The review queue over the API: list and show conflicts, decide one, and a bureau's
/// withdrawal of its own delete request.
struct ConflictsController: Sendable {
    let conflicts: ConflictService
    let request: APIRequest

    func register(on group: RouterGroup<AggregatorRequestContext>) {
        group.get("conflicts", use: list)
        group.get("conflicts/:id", use: show)
        group.post("conflicts/:id/resolution", use: resolve)
        group.post("conflicts/:id/withdrawal", use: withdraw)
    }

    @Sendable func list(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        let query = request.uri.queryParameters
        let (status, kind, region) = try ConflictService.Filter.checked(status: query.get("status") ?? "open", kind: query.get("kind"),
                                                                       region: query.get("region"))
        let filter = ConflictService.Filter(status: status == "all" ? nil : status, region: region, field: query.get("field"),
                                            kind: kind, uscc: query.get("uscc"),
                                            createdBefore: try query.get("olderThan").map { age throws(ServiceError) in try ConflictService.Filter.createdBefore(age: age) },
                                            limit: try ConflictService.Filter.limit(query.get("limit")))
        return APIAnswer.wire(ConflictList(conflicts: try await conflicts.list(filter, for: principal)))
    }

    @Sendable func show(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        APIAnswer.wire(try await conflicts.show(try APIRequest.conflictID(context), for: try context.caller()))
    }

    @Sendable func resolve(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        let id = try APIRequest.conflictID(context)
        let resolution: Resolution
        do { resolution = try Resolution.decode(try await self.request.body(request)) } catch let error as WireError {
            throw ServiceError.badRequest("the body is not a resolution {\"decision\": \"keep-current|take-incoming|value\", \"value\": …, \"note\": …}: \(error)")
        }
        let view = try await conflicts.resolve(id, resolution, by: principal)
        context.logger.info("conflict decided", metadata: ["id": "\(id)", "decision": "\(resolution.decision.rawValue)", "by": "\(principal.source)"])
        return APIAnswer.wire(view)
    }

    @Sendable func withdraw(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        let id = try APIRequest.conflictID(context)
        let view = try await conflicts.withdraw(id, by: principal)
        context.logger.info("delete request withdrawn", metadata: ["id": "\(id)", "uscc": "\(view.uscc)", "by": "\(principal.source)"])
        return APIAnswer.wire(view)
    }
}
