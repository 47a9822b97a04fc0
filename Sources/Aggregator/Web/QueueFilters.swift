import EnterpriseModel
import Foundation

/// The queue page's filters, read from its query string (or carried through the bulk form), and
/// the links that keep them. Anything unknown is ignored rather than refused: a filter is only
/// ever a narrower view, and a stale bookmark should still open the queue.
struct QueueFilters: Sendable, Equatable {
    static let statuses = ["open", "resolved", "auto", "withdrawn", "all"]
    static let kinds = ["field", "delete", "transfer", "recovered"]
    static let ages = [1, 7, 30]
    static let pageSize = 50

    var status = "open"
    var region: String?
    var field: String?
    var kind: String?
    var minAgeDays: Int?
    var page = 1
    var selectAll = false

    init(status: String = "open", region: String? = nil, field: String? = nil, kind: String? = nil, minAgeDays: Int? = nil, page: Int = 1) {
        self.status = status
        self.region = region
        self.field = field
        self.kind = kind
        self.minAgeDays = minAgeDays
        self.page = page
    }

    /// From `name → value` pairs: a query string's or a form's.
    init(_ value: (String) -> String?) {
        if let status = value("status"), Self.statuses.contains(status) { self.status = status }
        if let region = value("region"), Regions.region(code: region) != nil { self.region = region }
        if let field = value("field"), !field.isEmpty, field.count <= 200 { self.field = field }
        if let kind = value("kind"), Self.kinds.contains(kind) { self.kind = kind }
        if let age = value("age").flatMap(Int.init), Self.ages.contains(age) { minAgeDays = age }
        if let page = value("page").flatMap(Int.init), page >= 1, page <= 100_000 { self.page = page }
        selectAll = value("select") == "all"
    }

    var query: ConflictService.QueueQuery {
        ConflictService.QueueQuery(status: status == "all" ? nil : status, region: region, field: field, kind: kind, minAgeDays: minAgeDays,
                                   offset: (page - 1) * Self.pageSize, limit: Self.pageSize)
    }

    /// The filters as name-value pairs, without defaults.
    var pairs: [(name: String, value: String)] {
        var pairs: [(String, String)] = []
        if status != "open" { pairs.append(("status", status)) }
        if let region { pairs.append(("region", region)) }
        if let field { pairs.append(("field", field)) }
        if let kind { pairs.append(("kind", kind)) }
        if let minAgeDays { pairs.append(("age", String(minAgeDays))) }
        return pairs
    }

    /// The queue with these filters (and optionally another page, a changed filter, or every
    /// box of the page ticked).
    func href(page: Int = 1, selectAll: Bool = false, changing change: (inout QueueFilters) -> Void = { _ in }) -> String {
        var filters = self
        change(&filters)
        var pairs = filters.pairs
        if page > 1 { pairs.append(("page", String(page))) }
        if selectAll { pairs.append(("select", "all")) }
        guard !pairs.isEmpty else { return "/review" }
        return "/review?" + pairs.map { "\($0.name)=\(Self.encode($0.value))" }.joined(separator: "&")
    }

    /// RFC 3986's unreserved characters (ASCII only: `.alphanumerics` would let Chinese through).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
