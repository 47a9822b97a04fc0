import Foundation
import SyncCore

extension ConflictService {
    /// Decides every open conflict the filter selects (see `resolveEach`); returns them with
    /// what became of each.
    public func resolveAll(_ filter: Filter, _ resolution: Resolution, by principal: Principal) async throws -> [(conflict: ConflictView, outcome: BulkOutcome)] {
        let selected = try await openConflicts(filter, for: principal)
        let outcomes = try await resolveEach(selected.map(\.id), resolution, by: principal)
        return Array(zip(selected, outcomes))
    }

    /// Sets a typed value (`conflicts resolve --value` over filters) on every open conflict the
    /// filter selects, read for each conflict's own field (see `TypedValue`): one whose field
    /// does not take it is reported, and the others go on.
    public func resolveAll(_ filter: Filter, typedValue typed: String, note: String?, by principal: Principal) async throws
        -> [(conflict: ConflictView, outcome: BulkOutcome)] {
        var results: [(conflict: ConflictView, outcome: BulkOutcome)] = []
        for conflict in try await openConflicts(filter, for: principal) {
            do {
                let resolution = Resolution(decision: .value, value: try TypedValue.read(typed, for: conflict), note: note)
                results += try await resolveEach([conflict.id], resolution, by: principal).map { (conflict, $0) }
            } catch let error as TypedValueError {
                results.append((conflict, BulkOutcome(id: conflict.id, failure: error.description)))
            }
        }
        return results
    }

    func openConflicts(_ filter: Filter, for principal: Principal) async throws -> [ConflictView] {
        var filter = filter
        filter.status = "open"
        return try await list(filter, for: principal)
    }
}
