import EnterpriseModel
import Foundation
import SyncCore

/// The province's published lists (provincial SRDI SMEs, national little giants, enterprises
/// above designated size): every listed credit code gets the designation, in one transaction,
/// with provenance, and reaches the owning bureau on its next pull.
public struct DesignationImport: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case srdi, littleGiant, aboveDesignatedSize
    }

    public struct Summary: Sendable {
        public var designated: [String] = []
        public var unchanged: [String] = []
        /// `line: code: reason` for every line not applied.
        public var refused: [String] = []
    }

    public let database: ProvinceDatabase

    public init(database: ProvinceDatabase) { self.database = database }

    /// The designation's value: `{year, batch, validUntil}` (valid three calendar years unless
    /// given), or `{since: "YYYY-MM"}` for above designated size.
    public static func value(kind: Kind, year: Int, batch: Int?, validUntil: String?, month: Int?) -> JSONValue {
        switch kind {
        case .aboveDesignatedSize:
            return ["since": .string(String(format: "%04d-%02d", year, month ?? 1))]
        case .srdi, .littleGiant:
            var members: JSONObject = ["year": .int(Int64(year)), "validUntil": .string(validUntil ?? "\(year + 2)-12-31")]
            if let batch { members["batch"] = .int(Int64(batch)) }
            return .object(members)
        }
    }

    /// Credit codes from a list: the first cell of each line; a header line, blank lines and
    /// lines starting with `#` are skipped. Returns (line number, code as written).
    public static func codes(in text: String) -> [(line: Int, code: String)] {
        var result: [(Int, String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if n == 0, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cell = String(line.split(separator: ",", maxSplits: 1).first ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\" \t"))
            if n == 0 && ["uscc", "credit code", "统一社会信用代码", "信用代码"].contains(cell.lowercased()) { continue }
            result.append((n + 1, cell))
        }
        return result
    }

    public func run(kind: Kind, value: JSONValue, list: [(line: Int, code: String)], source file: String,
                    by principal: Principal) async throws -> Summary {
        guard principal.isProvince else { throw ServiceError.forbidden("only the province imports designation lists") }
        return try await database.write { register in
            var summary = Summary()
            var refused: [(line: Int, reason: String)] = []
            // The listed records first, locked in credit-code order as a merge locks them, and
            // only then the clock: every writer takes records before the province-wide rows, so
            // that an import and a bureau's merge never wait for each other in a cycle.
            var listed: [(line: Int, code: String)] = []
            var seen = Set<String>()
            for (line, written) in list {
                let code: String
                do { code = try USCC(written).rawValue } catch {
                    refused.append((line, "\(file):\(line): \(error)"))
                    continue
                }
                guard seen.insert(code).inserted else {
                    refused.append((line, "\(file):\(line): \(code) is listed twice"))
                    continue
                }
                listed.append((line, code))
            }
            let rows = try register.recordsForMerge(listed.map(\.code))
            let context = WriteContext(source: principal.source,
                                                    changeSet: "designations-\(kind.rawValue)-\(value["year"]?.intValue.map(String.init) ?? value["since"]?.stringValue ?? "")-\(UUID().uuidString.prefix(8).lowercased())",
                                                    at: MergeService.now(), clock: try ProvinceClock.tick(register))
            for (line, code) in listed {
                guard let row = rows[code], !row.deleted else {
                    refused.append((line, "\(file):\(line): \(code) is not in the register"))
                    continue
                }
                if row.document[kind.rawValue] == value {
                    summary.unchanged.append(code)
                    continue
                }
                // An older list never replaces a newer designation.
                let held = row.document[kind.rawValue]
                if let newer = held?["year"]?.intValue, let listed = value["year"]?.intValue, newer > listed {
                    refused.append((line, "\(file):\(line): \(code) already holds the \(newer) designation; the \(listed) list does not replace it"))
                    continue
                }
                if let newer = held?["since"]?.stringValue, let listed = value["since"]?.stringValue, newer > listed {
                    refused.append((line, "\(file):\(line): \(code) is above designated size since \(newer); the list says \(listed)"))
                    continue
                }
                var document = row.document
                FieldPath.set(&document, path: kind.rawValue, to: value)
                let errors = RecordValidator.issues(in: document).filter { $0.severity == .error }
                if !errors.isEmpty {
                    refused.append((line, "\(file):\(line): \(code): " + errors.map(\.description).joined(separator: "; ")))
                    continue
                }
                let changed = RecordDiff.fields(from: row.document, to: document).keys.sorted()
                try register.write([WritePlan.Revision(kind: .update, uscc: code, region: row.region, previous: row, document: document, changedFields: changed)],
                                   context: context)
                summary.designated.append(code)
            }
            summary.refused = refused.sorted { $0.line < $1.line }.map(\.reason)
            return summary
        }
    }
}
