import EnterpriseModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/report?year=YYYY&region=CODE[&format=csv&table=NAME]`: the progress report for
/// reviewers (a bureau token gets 403).
extension AggregatorServer {
    func report(_ request: Request, principal: Principal) async throws -> Response {
        guard principal.role == .reviewer else { throw ServiceError.forbidden("the progress report is for reviewers") }
        let query = ReportQuery(request.uri.queryParameters.get)
        let report = try await ProgressReport.build(year: try query.year(), region: try query.region(), targets: config.report, database: database)
        guard query.get("format") == "csv" else { return try Self.json(report) }
        return try await Self.csv(try query.table(report, database: database))
    }

    static func csv(_ table: ReportTable) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"report-\(table.name).csv\""
        headers[.cacheControl] = "no-store"
        // A byte order mark so that spreadsheet programs read the Chinese as UTF-8.
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "\u{FEFF}" + table.csv)))
    }
}

/// The report's query parameters, checked the same way for the API and the page.
struct ReportQuery {
    let get: (String) -> String?

    init(_ get: @escaping (String) -> String?) { self.get = get }

    func year() throws -> Int {
        guard let text = get("year"), !text.isEmpty else { return ProgressReport.currentYear() }
        guard let year = Int(text), (2000...2100).contains(year) else { throw ServiceError.badRequest("year must be a year such as 2025") }
        return year
    }

    func region() throws -> String? {
        guard let code = get("region"), !code.isEmpty else { return nil }
        guard Regions.region(code: code) != nil else { throw ServiceError.badRequest("\(code) is not one of the 18 regions") }
        return code
    }

    func table(_ report: ProgressReport, database: ProvinceDatabase) async throws -> ReportTable {
        let name = get("table") ?? "regions"
        guard let table = try await ReportTable.named(name, report: report, database: database) else {
            throw ServiceError.badRequest("table must be one of \(ReportTable.names.joined(separator: ", "))")
        }
        return table
    }
}
