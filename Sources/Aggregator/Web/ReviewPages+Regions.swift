import Foundation
import Hummingbird

/// The province's view of its bureaus (the same rows as `esync-aggregator regions`).
extension ReviewPages {
    func regionsPage(_ request: Request, _ session: ReviewSessions.Session) async throws -> Response {
        var hours = staleAfterHours
        if let asked = request.uri.queryParameters.get("staleAfterHours").flatMap(Double.init), asked > 0, asked <= 24 * 365 { hours = asked }
        let rows = try await RegionActivity.all(staleAfterHours: hours, database: sessions.database)
        let model = ReviewPageModels.Regions(
            nav: nav(session, regions: true), flash: Self.flash(session),
            staleAfterHours: hours == hours.rounded() ? String(Int(hours)) : String(hours), staleCount: rows.filter(\.stale).count,
            rows: rows.map { r in
                ReviewPageModels.RegionRow(
                    code: r.region, name: r.name, records: r.records, lastPush: ReviewText.time(r.lastPushAt),
                    lastPushRecords: r.lastPushRecords.map { "\($0) 条" } ?? "", lastPull: ReviewText.time(r.lastPullAt),
                    lastPullCursor: r.lastPullCursor.map { "游标 \($0)" } ?? "", agent: r.agent ?? "—",
                    openConflicts: r.openConflicts, openHref: QueueFilters(region: r.region).href(), decidedConflicts: r.decidedConflicts,
                    heldChangeSets: r.heldChangeSets, stale: r.stale)
            })
        return Self.render(model, template: "regions")
    }
}
