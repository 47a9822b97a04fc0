import Foundation
import SyncCore

extension ConflictService {
    /// Decides every open conflict the filter selects (see `resolveEach`); returns them with
    /// what became of each.
    public func resolveAll(_ filter: Filter, _ resolution: Resolution, by principal: Principal) async throws -> [(conflict: ConflictView, outcome: BulkOutcome)] {
        var filter = filter
        filter.status = "open"
        let selected = try await list(filter, for: principal)
        let outcomes = try await resolveEach(selected.map(\.id), resolution, by: principal)
        return Array(zip(selected, outcomes))
    }
}
