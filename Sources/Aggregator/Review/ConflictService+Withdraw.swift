import Foundation
import SyncCore

/// A bureau takes back its own delete request: the record's file was restored (`record get
/// --base` + `record put`), so the request no longer says what the bureau wants. The queue
/// shows it `withdrawn`, and no reviewer can approve it afterwards.
extension ConflictService {
    public func withdraw(_ id: Int64, by principal: Principal) async throws -> ConflictView {
        guard principal.role == .bureau, let region = principal.region else {
            throw ServiceError.forbidden("only the bureau that asked may withdraw a delete request")
        }
        return try await database.write { register in
            let conflict = try Self.fetch(id, register: register)
            guard conflict.region == region else { throw ServiceError.forbidden("conflict \(id) belongs to region \(conflict.region)") }
            guard conflict.kind == "delete" else {
                throw ServiceError.badRequest("conflict \(id) is a \(conflict.kind) conflict; only a delete request can be withdrawn")
            }
            if conflict.status == "withdrawn" { return conflict }
            guard conflict.isOpen else {
                throw ServiceError.conflict("delete request \(id) was already decided (\(conflict.decision?.rawValue ?? "?") by \(conflict.resolvedBy ?? "?")); it can no longer be withdrawn")
            }
            try register.withdrawConflict(id: id, note: "withdrawn by the bureau: the record's file was restored", by: principal.source, at: MergeService.now())
            return try Self.fetch(id, register: register)
        }
    }
}
