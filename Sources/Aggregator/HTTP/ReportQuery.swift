import EnterpriseModel
import Foundation

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
