@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import Testing

/// Issue 14, finding 3: a bureau's text that a spreadsheet would run as a formula is written
/// neutralised by every CSV the project makes, and `record import` reads it back as it was.
@Suite(.serialized) struct SpreadsheetTests {
    @Test func aFormulaInARecordIsNeutralisedInEveryExportAndImportsBackEqual() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "formulas")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let uscc = try zz.generate(3, seed: 21)[0]
        // A size class its figures contradict also puts the record in the report's warnings.
        try zz.edit(uscc, [
            "name": .string("=HYPERLINK(\"http://x\",\"y\")"), "contact.person": "'王", "sizeClass": "large",
            "employees": 3, "revenueYuan": 100_000,
        ])
        let pushed = try zz.agent(["sync"])
        #expect(pushed.status == 0, "\(pushed)")
        let agentFile = zz.folder + "/agent.csv", provinceFile = province.folder + "/province.csv"
        let agentExport = try zz.agent(["record", "export", "-o", agentFile])
        #expect(agentExport.status == 0, "\(agentExport)")
        // FILE without -o, the spelling before both tools took -o, still works and says it is deprecated.
        let provinceExport = try province.cli(["records", "export", provinceFile])
        #expect(provinceExport.status == 0 && provinceExport.stderr.contains("`records export FILE` is deprecated"), "\(provinceExport)")
        let warnings = try province.cli(["report", "--csv", "--table", "warnings"])
        #expect(warnings.status == 0 && warnings.stdout.contains(uscc), "\(warnings)")
        // -o - is standard output, in both tools.
        let agentOut = try zz.agent(["record", "export", "-o", "-"]), provinceOut = try province.cli(["records", "export", "-o", "-"])
        #expect(agentOut.stdout == (try String(contentsOfFile: agentFile, encoding: .utf8)), "\(agentOut)")
        #expect(provinceOut.stdout == (try String(contentsOfFile: provinceFile, encoding: .utf8)), "\(provinceOut)")

        let neutralised = "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        for (what, text) in [
            ("record export", try String(contentsOfFile: agentFile, encoding: .utf8)),
            ("records export", try String(contentsOfFile: provinceFile, encoding: .utf8)), ("report --csv", warnings.stdout),
        ] {
            #expect(text.contains("," + neutralised + ","), "\(what): \(text)")
            #expect(!text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"), "\(what): \(text)")
        }

        // Each export, imported into the bureau's working copy, gives the record back as it was.
        let original = try zz.readRecord(uscc)
        #expect(original == (try province.record(uscc)).document)
        for file in [agentFile, provinceFile] {
            try FileManager.default.removeItem(atPath: zz.recordPath(uscc))
            let imported = try zz.agent(["record", "import", file])
            #expect(imported.status == 0, "\(file): \(imported)")
            #expect(try zz.readRecord(uscc) == original, "\(file)")
        }
    }
}
