import EnterpriseModel
import Foundation
import Hummingbird
import Logging
import SyncCore

/// The queue page and its bulk decision.
extension ReviewPages {
    func queuePage(_ request: Request, _ session: ReviewSessions.Session) async throws -> Response {
        let query = request.uri.queryParameters
        let filters = QueueFilters { query.get($0) }
        let principal = session.principal
        let counts = try await conflicts.openCounts(for: principal)
        let page = try await conflicts.queue(filters.query, for: principal)
        let now = Date()

        let regionCounts = counts.byRegion.sorted { $0.key < $1.key }.map { code, count in
            ReviewPageModels.CountLink(label: Regions.region(code: code)?.name ?? code, code: code,
                                       href: QueueFilters(region: code).href(), count: count, active: filters.region == code)
        }
        let kindCounts = QueueFilters.kinds.map { kind in
            ReviewPageModels.CountLink(label: ReviewText.kindLabel(kind), code: kind, href: QueueFilters(kind: kind).href(),
                                       count: counts.byKind[kind] ?? 0, active: filters.kind == kind)
        }
        let fieldCounts = counts.byField.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(8).map { field, count in
            ReviewPageModels.CountLink(label: ReviewText.fieldLabel(field), code: field, href: QueueFilters(field: field).href(),
                                       count: count, active: filters.field == field)
        }

        func options(_ values: [(String, String)], selected: String?) -> [ReviewPageModels.Option] {
            values.map { ReviewPageModels.Option(value: $0.0, label: $0.1, selected: $0.0 == (selected ?? "")) }
        }
        var fields = Set(counts.byField.keys)
        if let field = filters.field { fields.insert(field) }
        let statusOptions = options(QueueFilters.statuses.map { ($0, $0 == "all" ? "全部 all" : "\(ReviewText.statusLabel($0)) \($0)") }, selected: filters.status)
        let regionOptions = options([("", "全部地区")] + Regions.all.map { ($0.code, "\($0.name) \($0.code)") }, selected: filters.region)
        let fieldOptions = options([("", "全部字段")] + fields.sorted().map { ($0, "\(ReviewText.fieldLabel($0)) \($0)") }, selected: filters.field)
        let kindOptions = options([("", "全部类型")] + QueueFilters.kinds.map { ($0, "\(ReviewText.kindLabel($0)) \($0)") }, selected: filters.kind)
        let ageOptions = options([("", "不限")] + QueueFilters.ages.map { ("\($0)", "\($0) 天以上") }, selected: filters.minAgeDays.map(String.init))

        let rows = page.entries.map { entry in
            let c = entry.conflict
            let sides = ReviewText.sides(c)
            return ReviewPageModels.QueueRow(
                id: c.id, uscc: c.uscc, enterpriseName: entry.enterpriseName ?? "—", regionLabel: ReviewText.regionLabel(c.region),
                field: c.field, fieldLabel: ReviewText.fieldLabel(c.field), kind: c.kind, kindLabel: ReviewText.kindLabel(c.kind),
                current: ReviewText.cut(sides.current), incoming: ReviewText.cut(sides.incoming), sourceLabel: ReviewText.sourceLabel(c.source),
                createdAt: ReviewText.time(c.createdAt), age: ReviewText.age(c.createdAt, now: now), checked: filters.selectAll,
                decisionLabel: c.isOpen ? "待审核" : c.status == "withdrawn" ? ReviewText.statusLabel(c.status)
                    : (c.status == "auto" ? "规则：" : "") + ReviewText.decisionLabel(c.decision, kind: c.kind)
                    + (c.note.map { "（\($0)）" } ?? ""))
        }
        let first = (filters.page - 1) * QueueFilters.pageSize
        var heading = "审核队列"
        if filters.status != "open" { heading += " · " + (filters.status == "all" ? "全部" : ReviewText.statusLabel(filters.status)) }
        let model = ReviewPageModels.Queue(
            nav: nav(session, queue: true), flash: Self.flash(session), csrf: session.csrf, openTotal: counts.total,
            regionCounts: regionCounts, kindCounts: kindCounts, fieldCounts: Array(fieldCounts),
            regionOptions: regionOptions, fieldOptions: fieldOptions, kindOptions: kindOptions, ageOptions: ageOptions, statusOptions: statusOptions,
            heading: heading, rows: rows, hasRows: !rows.isEmpty, total: page.total, shownFrom: first + 1, shownTo: first + rows.count,
            previousHref: filters.page > 1 ? filters.href(page: filters.page - 1) : nil,
            nextHref: first + rows.count < page.total ? filters.href(page: filters.page + 1) : nil,
            selectAllHref: filters.href(page: filters.page, selectAll: true), selectNoneHref: filters.href(page: filters.page),
            filters: filters.pairs.map { ReviewPageModels.Hidden(name: $0.name, value: $0.value) } + [.init(name: "page", value: String(filters.page))],
            canBulk: filters.status == "open" && !rows.isEmpty, showDecision: filters.status != "open")
        return Self.render(model, template: "queue")
    }

    func bulkResolve(_ form: FormData, _ session: ReviewSessions.Session, _ context: AggregatorRequestContext) async throws -> Response {
        let filters = QueueFilters { form[$0] }
        let back = filters.href(page: filters.page)
        let ids = form.all("id").compactMap(Int64.init).filter { $0 > 0 }
        guard let decision = form["decision"].flatMap(ConflictView.Decision.init), decision != .value else {
            return try await flashAndRedirect(session, .init(["请选择“保留省厅现值”或“采用区局提交值”。"], isError: true), to: back)
        }
        guard !ids.isEmpty else {
            return try await flashAndRedirect(session, .init(["没有选中任何冲突。请先勾选要处理的冲突。"], isError: true), to: back)
        }
        let note = ReviewText.note(form["note"])
        let outcomes = try await conflicts.resolveEach(Array(Set(ids)).sorted(), Resolution(decision: decision, note: note), by: session.principal)
        let done = outcomes.filter { $0.decided != nil }
        let failed = outcomes.filter { $0.failure != nil }
        context.logger.info("conflicts decided in bulk", metadata: ["decision": "\(decision.rawValue)", "by": "\(session.principal.source)",
                                                                   "decided": "\(done.map(\.id))", "failed": "\(failed.map(\.id))"])
        var lines = ["已批量处理 \(done.count) 条冲突（\(ReviewText.decisionLabel(decision, kind: "field"))）" + (done.isEmpty ? "。" : "：" + done.map { "#\($0.id)" }.joined(separator: " "))]
        lines += failed.map { "#\($0.id) 未处理：\($0.failure ?? "")" }
        return try await flashAndRedirect(session, .init(lines, isError: !failed.isEmpty), to: back)
    }
}
