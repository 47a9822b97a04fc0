@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import Testing

/// Issue 19: bureaus keep their lists in Excel and WPS. A workbook LibreOffice made from a
/// bureau's CSV (Chinese titles, phone numbers and region codes stored as numbers, dates as
/// serial dates) imports with the real `esync-agent`; the agent's and the province's xlsx
/// exports, opened in LibreOffice again, read back the same values.
@Suite(.serialized) struct SpreadsheetRoundTripTests {
    let temporary = TemporaryFolder("e2e-spreadsheet-round-trip")

    @Test func aWorkbookLibreOfficeMadeImportsAndTheExportReadsBackTheSameInLibreOffice() throws {
        guard let office = try LibreOffice.available(for: "aWorkbookLibreOfficeMadeImportsAndTheExportReadsBackTheSameInLibreOffice", in: temporary) else { return }
        let province = try AggregatorProcess(regions: ["410100"], name: "xlsx-office")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(40, seed: 23)
        // Text a spreadsheet would run must arrive as text, and leave as text.
        try zz.edit(codes[0], ["name": .string("=HYPERLINK(\"http://x\",\"y\")")])
        let originals = try codes.map { try zz.readRecord($0) }
        #expect(originals.contains { $0["srdi"]?["validUntil"] != nil }, "the sample has a date to carry")

        // The bureau's list: the export's columns under the titles the bureau uses, one bad row.
        let csvPath = zz.folder + "/企业名录.csv"
        #expect(try zz.agent(["record", "export", "-o", csvPath]).status == 0)
        var lines = try String(contentsOfFile: csvPath, encoding: .utf8).components(separatedBy: "\n").filter { !$0.isEmpty }
        lines[0] = lines[0].split(separator: ",").map { RecordColumn.named(String($0))?.title ?? String($0) }.joined(separator: ",")
        #expect(lines[0].hasPrefix("统一社会信用代码,企业名称,所属地区,所属县区"), "\(lines[0])")
        let badRow = lines.count + 1
        let badCode = USCC.make(division: "410100", organizationBody: "MA44ABCD").rawValue
        lines.append(badCode + ",郑州很多有限公司,410100,410102,C3484,small,很多" + String(repeating: ",", count: RecordCSV.header.count - 7))
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: csvPath, atomically: true, encoding: .utf8)

        // A bureau formats the credit-code column as text (an all-digit code would otherwise lose
        // digits as a number); every other column LibreOffice types as it sees fit.
        let workbook = try office.convert(csvPath, to: "xlsx", filter: "CSV:44,34,76,1,1/2", in: zz.folder + "/made")
        let sheetXML = try office.sheetXML(workbook)
        let phone = try #require(originals[1]["contact"]?["phone"]?.stringValue)
        #expect(sheetXML.contains("<v>\(phone)</v>") && sheetXML.contains("t=\"n\""), "the phone number is stored as a number")
        let dates = originals.compactMap { $0["srdi"]?["validUntil"]?.stringValue }
        let validUntil = try #require(dates.first)
        let sharedStrings = try office.part("xl/sharedStrings.xml", of: workbook)
        #expect(!sharedStrings.contains(validUntil), "\(validUntil) is stored as a serial date")

        for code in codes { try FileManager.default.removeItem(atPath: zz.recordPath(code)) }
        let imported = try zz.agent(["record", "import", workbook])
        #expect(imported.status == 3, "\(imported)")
        #expect(imported.stdout.contains("import: 40 records written, 0 unchanged, 1 refused"), "\(imported)")
        #expect(imported.stdout.contains("refused: 企业名录!row \(badRow): record \(badCode): field employees"), "\(imported)")
        #expect(try codes.map { try zz.readRecord($0) } == originals)

        // The agent's export, and the province's, back through LibreOffice.
        #expect(try zz.agent(["sync"]).status == 0)
        let agentExport = zz.folder + "/export.xlsx", provinceExport = zz.folder + "/register.xlsx"
        let exported = try zz.agent(["record", "export", "--format", "xlsx", "-o", agentExport])
        #expect(exported.status == 0, "\(exported)")
        let registered = try province.cli(["records", "export", "--format", "xlsx", "-o", provinceExport])
        #expect(registered.status == 0 && registered.stderr.contains("exported 40 records"), "\(registered)")
        for file in [agentExport, provinceExport] {
            #expect(!(try office.sheetXML(file)).contains("<f"), "\(file): no formula")
            let back = try office.convert(file, to: "csv:Text - txt - csv (StarCalc):44,34,76,1", filter: nil, in: zz.folder + "/back-\(UUID().uuidString.prefix(6))")
            let text = try String(contentsOfFile: back, encoding: .utf8)
            for original in originals {
                #expect(text.contains(original["uscc"]!.stringValue!), "credit code intact")
                #expect(text.contains(original["name"]!.stringValue!.replacingOccurrences(of: "\"", with: "\"\"")), "Chinese text intact")
            }
            let documents = try RecordCSV.parse(text).map { try $0.get().document }
            #expect(documents == originals, "\(file) read back by LibreOffice")
        }
    }

    @Test func theWrongSheetOrAnOptionForTheOtherFormatIsACommandLineError() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "xlsx-options")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        _ = try zz.generate(3, seed: 5)
        let workbook = zz.folder + "/list.xlsx", csv = zz.folder + "/list.csv"
        #expect(try zz.agent(["record", "export", "-o", workbook]).status == 0, "the .xlsx name chooses the format")
        #expect(try zz.agent(["record", "export", "-o", csv]).status == 0)
        let unchanged = try zz.agent(["record", "import", "--sheet", "1", workbook])
        #expect(unchanged.status == 0 && unchanged.stdout.contains("0 records written, 3 unchanged"), "\(unchanged)")
        let noSheet = try zz.agent(["record", "import", "--sheet", "Sheet9", workbook])
        #expect(noSheet.status == 2 && noSheet.stderr.contains("has no sheet Sheet9; its sheets: 1 企业名录"), "\(noSheet)")
        let sheetOfCSV = try zz.agent(["record", "import", "--sheet", "1", csv])
        #expect(sheetOfCSV.status == 2 && sheetOfCSV.stderr.contains("--sheet 1 is for xlsx workbooks"), "\(sheetOfCSV)")
        let encodingOfWorkbook = try zz.agent(["record", "import", "--encoding", "gbk", workbook])
        #expect(encodingOfWorkbook.status == 2 && encodingOfWorkbook.stderr.contains("--encoding gbk is for CSV files"), "\(encodingOfWorkbook)")
    }
}

/// LibreOffice in headless mode, each use with a profile of its own so that parallel runs do not
/// share (and lock) one. CI installs Debian's `libreoffice-calc` (.ci/run, `make test`).
struct LibreOffice {
    let soffice: String
    let profile: String

    /// LibreOffice, or nil after saying on standard output why the test is skipped and recording
    /// that as a known issue, so that a machine without it shows the test as not run.
    static func available(for test: String, in folder: TemporaryFolder) throws -> LibreOffice? {
        let found = try run("/usr/bin/env", ["which", "soffice"], in: NSTemporaryDirectory())
        if found.status == 0 {
            return LibreOffice(soffice: found.stdout.trimmingCharacters(in: .whitespacesAndNewlines), profile: try folder.subfolder("lo-profile"))
        }
        let reason = "skipped \(test): soffice is not installed (apt-get install libreoffice-calc)"
        print(reason)
        withKnownIssue(Comment(rawValue: reason)) { Issue.record(Comment(rawValue: reason)) }
        return nil
    }

    /// Converts `file` into `folder` (`xlsx`, or `csv:…` with its filter options); returns the new file.
    func convert(_ file: String, to format: String, filter: String?, in folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let arguments = ["-env:UserInstallation=file://" + profile, "--headless"] + (filter.map { ["--infilter=" + $0] } ?? [])
            + ["--convert-to", format, "--outdir", folder, file]
        let result = try run(soffice, arguments, environment: ["HOME": profile], in: folder, killAfter: 180)
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + "." + (format.split(separator: ":").first.map(String.init) ?? format)
        let output = folder + "/" + name
        guard result.status == 0, FileManager.default.fileExists(atPath: output) else { throw HarnessError("soffice \(arguments): \(result)") }
        return output
    }

    /// The first sheet's XML of a workbook.
    func sheetXML(_ workbook: String) throws -> String {
        try part("xl/worksheets/sheet1.xml", of: workbook)
    }

    /// A part of a workbook (Python's zipfile, as the machine need not have unzip).
    func part(_ path: String, of workbook: String) throws -> String {
        let result = try run("/usr/bin/env", ["python3", "-c", "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())", workbook, path],
                             in: NSTemporaryDirectory())
        guard result.status == 0 else { throw HarnessError("reading \(workbook): \(result)") }
        return result.stdout
    }
}
