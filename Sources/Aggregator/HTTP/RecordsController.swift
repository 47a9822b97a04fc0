import Foundation
import Hummingbird
import SyncCore

/// `GET /v1/records/{uscc}` (a record with its provenance) and `PATCH /v1/records/{uscc}` (a
/// province edit).
struct RecordsController: Sendable {
    let merge: MergeService
    let request: APIRequest

    func register(on group: RouterGroup<AggregatorRequestContext>) {
        group.get("records/:uscc", use: show)
        group.patch("records/:uscc", use: edit)
    }

    @Sendable func show(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        try APIAnswer.json(try await merge.record(try APIRequest.uscc(context), for: try context.caller()))
    }

    @Sendable func edit(_ request: Request, context: AggregatorRequestContext) async throws -> Response {
        let principal = try context.caller()
        let uscc = try APIRequest.uscc(context)
        let body = try await self.request.body(request)
        let patch: RecordPatch
        do { patch = try JSONDecoder().decode(RecordPatch.self, from: Data(body)) } catch {
            throw ServiceError.badRequest("the body is not a record patch {\"set\": {FIELD: VALUE}, \"remove\": [FIELD]}: \(APIAnswer.describe(error))")
        }
        let view = try await merge.patch(uscc, patch, by: principal)
        context.logger.info("record edited", metadata: ["uscc": "\(uscc)", "by": "\(principal.source)", "revision": "\(view.revision)"])
        return try APIAnswer.json(view)
    }
}
