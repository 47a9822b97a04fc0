@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The progress report over a known register built through real pushes and province imports:
/// new designations, a designation revoked and granted again, a renewal (not new), a record
/// moved between regions. Every figure of the JSON report and of the CSV tables is checked
/// against counts computed here from the register itself (its CSV export).
@Suite(.serialized) struct ReportTests {
    static let year: Int = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar.component(.year, from: Date())
    }()

    func list(_ codes: [String], in folder: String, named name: String) throws -> String {
        let path = folder + "/\(name).csv"
        try (["uscc"] + codes).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func everyFigureOfTheReportMatchesTheKnownRegister() throws {
        let province = try AggregatorProcess(regions: ["410100", "410200"], name: "report")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let kf = try AgentHandle(region: "410200", aggregator: province)
        _ = try zz.generate(80, seed: 70)
        _ = try kf.generate(50, seed: 71)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try kf.agent(["sync"]).status == 0)
        let y = Self.year

        // Codes without any designation yet, so that what is "new" is known.
        func bare(_ agent: AgentHandle) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: agent.storePath + "/records").sorted().compactMap { file in
                let doc = try agent.readRecord(String(file.dropLast(5)))
                return doc["srdi"] == nil && doc["littleGiant"] == nil && doc["aboveDesignatedSize"] == nil ? doc["uscc"]!.stringValue : nil
            }
        }
        let zzBare = try bare(zz), kfBare = try bare(kf)
        try #require(zzBare.count >= 10 && kfBare.count >= 6)
        let revoked = zzBare[0], moved = zzBare[1], renewed = zzBare[2]
        let srdiZZ = Array(zzBare[0..<6]), srdiKF = Array(kfBare[0..<3])
        let giants = [zzBare[6], zzBare[7]]
        let above = [zzBare[8], zzBare[9], kfBare[4], kfBare[5]]

        // A renewal: designated in 2023, renewed this year; not new.
        #expect(try province.cli(["records", "set", renewed, #"srdi={"year":2023,"batch":1}"#]).status == 0)
        let folder = province.folder
        #expect(try province.cli(["designations", "import", "--kind", "srdi", "--year", "\(y)", "--batch", "1", try list(srdiZZ + srdiKF, in: folder, named: "srdi")]).status == 0)
        #expect(try province.cli(["designations", "import", "--kind", "littleGiant", "--year", "\(y)", "--batch", "7", try list(giants, in: folder, named: "lg")]).status == 0)
        #expect(try province.cli(["designations", "import", "--kind", "aboveDesignatedSize", "--year", "\(y)", "--month", "3", try list(above, in: folder, named: "above")]).status == 0)
        // Revoked, then granted again: one new designation, not two.
        #expect(try province.cli(["records", "set", revoked, "srdi=null"]).status == 0)
        #expect(try province.cli(["designations", "import", "--kind", "srdi", "--year", "\(y)", "--batch", "2", try list([revoked], in: folder, named: "again")]).status == 0)
        // Moved from Zhengzhou to Kaifeng with its new designation: counted in Kaifeng.
        #expect(try zz.agent(["sync"]).status == 0)
        try zz.edit(moved, ["region": "410200", "county": "410202"])
        #expect(try zz.agent(["sync"]).status == 0)
        let transfer = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--kind", "transfer", "--json"]).stdout.utf8)).conflicts
        try #require(transfer.count == 1)
        #expect(try province.cli(["conflicts", "resolve", "\(transfer[0].id)", "--take-incoming"]).status == 0)
        #expect(try province.record(moved).region == "410200")

        // A support measure added by a bureau, and a record deleted: the totals follow.
        var funded: String?
        for file in try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/records").sorted() where funded == nil {
            let code = String(file.dropLast(5))
            if try zz.readRecord(code)["supportMeasures"]?.arrayValue?.isEmpty == false { funded = code }
        }
        let fundedCode = try #require(funded)
        var measures = try #require(try zz.readRecord(fundedCode)["supportMeasures"]?.arrayValue)
        var extra = measures[0]
        FieldPath.set(&extra, path: "date", to: .string("\(y)-05-20"))
        FieldPath.set(&extra, path: "amountYuan", to: .int(1_234_567))
        measures.append(extra)
        try zz.edit(fundedCode, ["supportMeasures": .array(measures)])
        // Employees and revenue moved (facts updated in place; the warnings may move with them).
        try zz.edit(zzBare[4], ["employees": 420, "revenueYuan": 31_000_000])
        let gone = try #require(try FileManager.default.contentsOfDirectory(atPath: kf.storePath + "/records").sorted()
            .map { String($0.dropLast(5)) }.first { !kfBare.prefix(6).contains($0) })
        try FileManager.default.removeItem(atPath: kf.recordPath(gone))
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try kf.agent(["sync"]).status == 0)
        let deletion = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--kind", "delete", "--json"]).stdout.utf8)).conflicts
        try #require(deletion.count == 1)
        #expect(try province.cli(["conflicts", "resolve", "\(deletion[0].id)", "--take-incoming"]).status == 0)

        // The totals the writer kept equal the same figures counted from scratch (in each
        // backend's SQL: SQLite's JSON functions, PostgreSQL's jsonb).
        let postgres = province.isPostgres
        for check in postgres ? [
            """
            SELECT region, coalesce(size_class, ''), coalesce(status, ''), COUNT(*), COUNT(above_since), COUNT(srdi_year), COUNT(little_giant_year),
                   SUM(CASE WHEN revenue_warning THEN 1 ELSE 0 END), SUM(CASE WHEN size_warning THEN 1 ELSE 0 END) FROM record_facts WHERE NOT deleted GROUP BY 1, 2, 3
            """,
            """
            SELECT f.region, coalesce(m ->> 'measure', ''), coalesce(substr(m ->> 'date', 1, 4), ''),
                   COUNT(*), SUM(coalesce(CAST(m ->> 'amountYuan' AS numeric), 0)) FROM record_facts f, jsonb_array_elements(CAST(f.measures AS jsonb)) m
            WHERE NOT f.deleted GROUP BY 1, 2, 3
            """,
        ] : [
            """
            SELECT region, coalesce(size_class, ''), coalesce(status, ''), COUNT(*), COUNT(above_since), COUNT(srdi_year), COUNT(little_giant_year),
                   SUM(revenue_warning), SUM(size_warning) FROM record_facts WHERE deleted = 0 GROUP BY 1, 2, 3
            """,
            """
            SELECT f.region, coalesce(json_extract(m.value, '$.measure'), ''), coalesce(substr(json_extract(m.value, '$.date'), 1, 4), ''),
                   COUNT(*), SUM(coalesce(json_extract(m.value, '$.amountYuan'), 0)) FROM record_facts f, json_each(f.measures) m WHERE f.deleted = 0 GROUP BY 1, 2, 3
            """,
        ] {
            let table = check.contains("json_each") || check.contains("jsonb_array_elements") ? "measure_totals" : "report_totals"
            let kept = "SELECT * FROM \(table) WHERE \(table == "report_totals" ? "records" : "count") <> 0"
            let drift = try province.sql("""
                SELECT (SELECT COUNT(*) FROM (\(kept) EXCEPT \(check)) a) + (SELECT COUNT(*) FROM (\(check) EXCEPT \(kept)) b)
                """)
            #expect(drift == "0", "\(table) drifted: \(drift)")
        }

        // Each record's facts are its document's, whether written whole or updated in place.
        let stale = try province.sql(postgres ? """
            SELECT COUNT(*) FROM records r JOIN record_facts f USING (uscc), LATERAL (SELECT CAST(r.doc AS jsonb) AS d) j
            WHERE f.region IS DISTINCT FROM r.region OR f.deleted IS DISTINCT FROM r.deleted OR f.name IS DISTINCT FROM d ->> 'name'
               OR f.size_class IS DISTINCT FROM d ->> 'sizeClass' OR f.industry IS DISTINCT FROM d ->> 'industry'
               OR f.employees IS DISTINCT FROM CAST(d ->> 'employees' AS bigint) OR f.revenue_yuan IS DISTINCT FROM CAST(d ->> 'revenueYuan' AS bigint)
               OR f.srdi_year IS DISTINCT FROM CAST(d -> 'srdi' ->> 'year' AS bigint) OR f.little_giant_year IS DISTINCT FROM CAST(d -> 'littleGiant' ->> 'year' AS bigint)
               OR f.above_since IS DISTINCT FROM d -> 'aboveDesignatedSize' ->> 'since'
               OR f.revenue_warning IS DISTINCT FROM (coalesce(CAST(d ->> 'revenueYuan' AS bigint) >= 20000000, false)
                                                      AND coalesce(substr(d ->> 'industry', 1, 1) IN ('B', 'C', 'D'), false)
                                                      AND d -> 'aboveDesignatedSize' ->> 'since' IS NULL)
            """ : """
            SELECT COUNT(*) FROM records r JOIN record_facts f USING (uscc)
            WHERE f.region IS NOT r.region OR f.deleted IS NOT r.deleted OR f.name IS NOT json_extract(r.doc, '$.name')
               OR f.size_class IS NOT json_extract(r.doc, '$.sizeClass') OR f.industry IS NOT json_extract(r.doc, '$.industry')
               OR f.employees IS NOT json_extract(r.doc, '$.employees') OR f.revenue_yuan IS NOT json_extract(r.doc, '$.revenueYuan')
               OR f.srdi_year IS NOT json_extract(r.doc, '$.srdi.year') OR f.little_giant_year IS NOT json_extract(r.doc, '$.littleGiant.year')
               OR f.above_since IS NOT json_extract(r.doc, '$.aboveDesignatedSize.since')
               OR f.revenue_warning IS NOT (coalesce(json_extract(r.doc, '$.revenueYuan') >= 20000000, 0) AND substr(json_extract(r.doc, '$.industry'), 1, 1) IN ('B', 'C', 'D')
                                           AND json_extract(r.doc, '$.aboveDesignatedSize.since') IS NULL)
            """)
        #expect(stale == "0", "facts that are not their document's: \(stale)")
        let missing = try province.sql("SELECT COUNT(*) FROM records WHERE uscc NOT IN (SELECT uscc FROM record_facts)")
        #expect(missing == "0", "records without facts: \(missing)")
        let edited = try province.sql("SELECT COUNT(*) FROM history WHERE op = 'update' AND (changes LIKE '%\"employees\"%' OR changes LIKE '%\"revenueYuan\"%')")
        #expect((Int(edited) ?? 0) > 0, "the scenario edits the report's fields: \(edited)")

        // The register as the province holds it, through the streaming export (to standard
        // output without -o).
        let exported = try province.cli(["records", "export"])
        #expect(exported.status == 0, "\(exported)")
        let documents = try RecordCSV.parse(exported.stdout).map { try $0.get().document }
        #expect(documents.count == 129)

        // Expected figures, per region, computed from the documents.
        struct Figures: Equatable {
            var records = 0, micro = 0, small = 0, medium = 0, large = 0, active = 0, closed = 0, relocated = 0
            var aboveScale = 0, srdi = 0, littleGiant = 0, measures = 0, amount: Int64 = 0, revenueWarnings = 0, sizeWarnings = 0
        }
        var expected: [String: Figures] = [:]
        for doc in documents {
            let region = doc["region"]!.stringValue!
            var f = expected[region] ?? Figures()
            f.records += 1
            switch doc["sizeClass"]?.stringValue { case "micro": f.micro += 1; case "small": f.small += 1; case "medium": f.medium += 1; case "large": f.large += 1; default: break }
            switch doc["status"]?.stringValue ?? "active" { case "active": f.active += 1; case "closed": f.closed += 1; default: f.relocated += 1 }
            if doc["aboveDesignatedSize"] != nil { f.aboveScale += 1 }
            if doc["srdi"] != nil { f.srdi += 1 }
            if doc["littleGiant"] != nil { f.littleGiant += 1 }
            for m in doc["supportMeasures"]?.arrayValue ?? [] {
                f.measures += 1
                if case .int(let amount)? = m["amountYuan"] { f.amount += amount }
            }
            let warnings = RecordValidator.issues(in: doc).filter { $0.severity == .warning }
            if warnings.contains(where: { $0.field == "aboveDesignatedSize" }) { f.revenueWarnings += 1 }
            if warnings.contains(where: { $0.field == "sizeClass" }) { f.sizeWarnings += 1 }
            expected[region] = f
        }
        // New this year: srdi 6 + 3 listed, less the renewal; the move takes one to Kaifeng.
        let added: [String: (above: Int, srdi: Int, giant: Int)] = ["410100": (2, 4, 2), "410200": (2, 4, 0)]

        // JSON, over HTTP as a reviewer.
        let response = try province.request(.get, "/v1/report?year=\(y)", token: province.reviewerToken)
        try #require(response.status == 200, "\(response.bodyString)")
        let report = try JSONValue.parse(response.bodyString)
        let regions = report["regions"]!.arrayValue!
        #expect(regions.count == 18)
        func int(_ v: JSONValue?) -> Int { if case .int(let i)? = v { return Int(i) }; return -1 }
        for code in ["410100", "410200"] {
            let r = try #require(regions.first { $0["region"] == .string(code) })
            let e = expected[code]!
            let got = Figures(records: int(r["records"]), micro: int(r["sizeClasses"]?["micro"]), small: int(r["sizeClasses"]?["small"]),
                              medium: int(r["sizeClasses"]?["medium"]), large: int(r["sizeClasses"]?["large"]),
                              active: int(r["statuses"]?["active"]), closed: int(r["statuses"]?["closed"]), relocated: int(r["statuses"]?["relocated"]),
                              aboveScale: int(r["holders"]?["aboveScale"]), srdi: int(r["holders"]?["srdi"]), littleGiant: int(r["holders"]?["littleGiant"]),
                              measures: int(r["supportMeasures"]), amount: Int64(int(r["supportAmountYuan"])),
                              revenueWarnings: int(r["warnings"]?["revenueWithoutAboveScale"]), sizeWarnings: int(r["warnings"]?["sizeClassMismatch"]))
            #expect(got == e, "region \(code)")
            #expect(int(r["added"]?["aboveScale"]) == added[code]!.above, "\(code) above")
            #expect(int(r["added"]?["srdi"]) == added[code]!.srdi, "\(code) srdi")
            #expect(int(r["added"]?["littleGiant"]) == added[code]!.giant, "\(code) giant")
            #expect(r["lastPushAt"]?.stringValue != nil && r["lastPullAt"]?.stringValue != nil)
        }
        let p = report["province"]!
        #expect(int(p["records"]) == 129)
        #expect(int(p["added"]?["srdi"]) == 8 && int(p["added"]?["aboveScale"]) == 4 && int(p["added"]?["littleGiant"]) == 2)
        #expect(int(report["targets"]?["aboveScale"]) == 2500 && int(report["targets"]?["srdi"]) == 1000 && int(report["targets"]?["littleGiant"]) == 100)
        // Default shares follow the register: Zhengzhou holds 79 of the 129 records.
        let zzTargets = regions.first { $0["region"] == "410100" }!["targets"]!
        #expect(int(zzTargets["srdi"]) == Int((1000.0 * 79 / 129).rounded()))
        let march = report["months"]!.arrayValue!.first { $0["month"] == .string(String(format: "%04d-03", y)) }!
        #expect(int(march["added"]?["aboveScale"]) == 4)
        let measureTotal = report["measures"]!.arrayValue!.reduce(0) { $0 + int($1["count"]) }
        #expect(measureTotal == expected.values.reduce(0) { $0 + $1.measures })
        let warningRows = try province.cli(["report", "--year", "\(y)", "--csv", "--table", "warnings"])
        #expect(warningRows.stdout.split(separator: "\r\n").count - 1
                == expected.values.reduce(0) { $0 + $1.revenueWarnings + $1.sizeWarnings })

        // CSV: the regions table from the command line, the same figures.
        let csv = try province.cli(["report", "--year", "\(y)", "--csv", "--table", "regions"])
        #expect(csv.status == 0, "\(csv)")
        let lines = csv.stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        func cell(_ region: String, _ key: String) -> Int {
            guard let row = lines.first(where: { $0.first == region }), let i = header.firstIndex(of: key) else { return -1 }
            return Int(row[i]) ?? -1
        }
        for code in ["410100", "410200"] {
            let e = expected[code]!
            #expect(cell(code, "records") == e.records && cell(code, "aboveScale") == e.aboveScale && cell(code, "srdi") == e.srdi
                    && cell(code, "littleGiant") == e.littleGiant && cell(code, "supportMeasures") == e.measures
                    && cell(code, "supportAmountYuan") == Int(e.amount) && cell(code, "revenueWithoutAboveScale") == e.revenueWarnings
                    && cell(code, "sizeClassMismatch") == e.sizeWarnings, "csv \(code)")
            #expect(cell(code, "srdiAdded") == added[code]!.srdi && cell(code, "aboveScaleAdded") == added[code]!.above
                    && cell(code, "littleGiantAdded") == added[code]!.giant, "csv added \(code)")
        }
        #expect(cell("410000", "srdiAdded") == 8 && cell("410000", "records") == 129)
        let sizes = try province.cli(["report", "--year", "\(y)", "--csv", "--table", "sizes"]).stdout
        let zzSizes = sizes.split(separator: "\r\n").first { $0.hasPrefix("410100,") }.map(String.init)
        let e = expected["410100"]!
        #expect(zzSizes == "410100,郑州市,\(e.micro),\(e.small),\(e.medium),\(e.large),0,\(e.active),\(e.closed),\(e.relocated)")

        // One region only; and a bureau cannot read the report.
        let one = try JSONValue.parse(try province.cli(["report", "--year", "\(y)", "--region", "410200", "--json"]).stdout)
        #expect(one["regions"]?.arrayValue?.count == 1 && int(one["province"]?["records"]) == 129)
        #expect(try province.request(.get, "/v1/report", token: province.bureauTokens["410100"]).status == 403)

        // The export can be imported by a bureau's agent.
        let kfExport = try province.cli(["records", "export", "--region", "410200", "-o", folder + "/kf.csv"])
        #expect(kfExport.status == 0, "\(kfExport)")
        #expect(try String(contentsOfFile: folder + "/kf.csv", encoding: .utf8).split(separator: "\r\n").count == 1 + expected["410200"]!.records)
    }

    /// The report page in Chromium: valid SVG charts, a CSV download per table, a screenshot kept.
    @Test(.disabled(if: BrowserTest.skipped, BrowserTest.skipReason))
    func theReportPageInABrowserHasItsChartsAndDownloads() throws {
        let province = try AggregatorProcess(regions: ["410100", "410200"], name: "report-browser")
        defer { province.stop() }
        let browser = try BrowserTest.environment(temporary: province.folder)
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(20, seed: 72)
        #expect(try zz.agent(["sync"]).status == 0)
        let srdi = try list(Array(codes.prefix(3)), in: province.folder, named: "srdi")
        #expect(try province.cli(["designations", "import", "--kind", "srdi", "--year", "\(Self.year)", "--batch", "1", srdi]).status == 0)
        let page = try run("/usr/bin/env", [
            "python3", BrowserTest.packageRoot + "/Tests/Browser/report_test.py", "--url", province.url, "--reviewer", "wang",
            "--reviewer-token", province.reviewerToken, "--year", "\(Self.year)", "--artefacts", BrowserTest.packageRoot + "/test-artifacts",
        ], environment: browser, in: province.folder)
        #expect(page.status == 0, "\(page)")
    }
}
