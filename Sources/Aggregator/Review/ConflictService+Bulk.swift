import Foundation
import SyncCore

extension ConflictService {
    /// The outcome of one conflict of a bulk decision.
    public struct BulkOutcome: Sendable {
        public var conflict: ConflictView
        /// The decided conflict, or why this one was not decided (it changed meanwhile, the
        /// decision does not fit its kind…).
        public var result: Result<ConflictView, ServiceError>
    }

    /// Decides every open conflict the filter selects, one by one, each in its own transaction:
    /// one that cannot take the decision is reported and the others go on.
    public func resolveAll(_ filter: Filter, _ resolution: Resolution, by principal: Principal) async throws -> [BulkOutcome] {
        var filter = filter
        filter.status = "open"
        var outcomes: [BulkOutcome] = []
        for conflict in try await list(filter, for: principal) {
            do {
                outcomes.append(BulkOutcome(conflict: conflict, result: .success(try await resolve(conflict.id, resolution, by: principal))))
            } catch let error as ServiceError {
                outcomes.append(BulkOutcome(conflict: conflict, result: .failure(error)))
            }
        }
        return outcomes
    }
}
