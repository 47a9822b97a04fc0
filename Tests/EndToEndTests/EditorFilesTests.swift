@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Issue 20: record files and CSV lists as a bureau's tools save them on Windows desktops (GBK,
/// CRLF, a byte order mark), and a list that holds another region's rows. Each is read right or
/// named with what to do, and nothing the operator wrote is lost or silently rewritten.
@Suite(.serialized) struct EditorFilesTests {
    /// GB18030 (GBK's superset), as Notepad's "ANSI" and Excel's "CSV" write on a Chinese Windows.
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    static func gbk(_ text: String) throws -> Data {
        try #require(text.data(using: gb18030), "cannot encode as GB18030: \(text)")
    }

    static func crlf(_ bytes: Data) -> Data {
        Data(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    /// A record file saved as GBK used to be "not valid JSON: … string is not valid UTF-8".
    @Test func aRecordFileSavedAsGBKIsNamedWithTheFixAndNothingIsLost() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "gbk-record")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(2, seed: 91)
        #expect(try zz.agent(["sync"]).status == 0)
        // The province edits the record too: its pull must not merge into the unreadable file.
        #expect(try province.cli(["records", "set", codes[0], "employees=4321"]).status == 0)
        let before = try province.record(codes[0])

        try zz.edit(codes[0], ["name": "郑州市新材料有限公司"])
        let utf8 = try Data(contentsOf: URL(fileURLWithPath: zz.recordPath(codes[0])))
        let gbk = try Self.gbk(String(decoding: utf8, as: UTF8.self))
        try gbk.write(to: URL(fileURLWithPath: zz.recordPath(codes[0])))
        let hint = "not UTF-8; it looks like GBK/GB18030 (saved by a Windows editor?): save it as UTF-8"
        let file = "records/\(codes[0]).json"

        let status = try zz.agent(["status"])
        #expect(status.status == 3 && status.stdout.contains("\(file): \(hint)"), "\(status)")
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 3 && sync.stdout.contains(file) && sync.stdout.contains(hint), "\(sync)")
        let validate = try zz.agent(["record", "validate"])
        #expect(validate.status == 3 && validate.stdout.contains("\(file): \(hint)"), "\(validate)")
        let outside = zz.folder + "/saved-by-notepad.json"
        try gbk.write(to: URL(fileURLWithPath: outside))
        let put = try zz.agent(["record", "put", outside])
        #expect(put.status == 3 && put.stderr.contains("\(outside): \(hint)"), "\(put)")

        // Nothing was sent, deleted or overwritten: the file is as saved, the province as before.
        #expect(try Data(contentsOf: URL(fileURLWithPath: zz.recordPath(codes[0]))) == gbk)
        let after = try province.record(codes[0])
        #expect(after.deleted == false && after.revision == before.revision && after.document == before.document)

        // Saved again as UTF-8, the edit goes out and the province's comes in.
        try utf8.write(to: URL(fileURLWithPath: zz.recordPath(codes[0])))
        let again = try zz.agent(["sync"])
        #expect(again.status == 0, "\(again)")
        #expect(try province.record(codes[0]).document["name"] == "郑州市新材料有限公司")
        #expect(try zz.readRecord(codes[0])["employees"] == 4321)
    }

    /// A CSV saved as GBK used to be refused row by row ("cell 2 is not valid UTF-8"); Excel's
    /// "CSV UTF-8" starts with a byte order mark.
    @Test func aCSVInGBKOrWithAByteOrderMarkImportsItsRecords() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "gbk-csv")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(3, seed: 92)
        let originals = try codes.map(zz.readRecord)
        let exported = zz.folder + "/list.csv"
        #expect(try zz.agent(["record", "export", "-o", exported]).status == 0)
        let text = try String(contentsOfFile: exported, encoding: .utf8)
        #expect(text.unicodeScalars.contains { $0.value > 0x7F }, "the list has Chinese text: \(text)")

        func importFresh(_ bytes: Data, _ options: [String] = []) throws -> ProcessResult {
            for code in codes { try? FileManager.default.removeItem(atPath: zz.recordPath(code)) }
            let file = zz.folder + "/saved.csv"
            try bytes.write(to: URL(fileURLWithPath: file))
            return try zz.agent(["record", "import"] + options + [file])
        }
        let gbk = try Self.gbk(text)
        let detected = try importFresh(gbk)
        #expect(detected.status == 0 && detected.stderr.contains("saved.csv is not UTF-8; read as GBK/GB18030"), "\(detected)")
        #expect(detected.stdout.contains("3 records written"), "\(detected)")
        #expect(try codes.map(zz.readRecord) == originals)

        for name in ["gbk", "gb18030", "GBK"] {
            let named = try importFresh(gbk, ["--encoding", name])
            #expect(named.status == 0 && named.stdout.contains("3 records written") && !named.stderr.contains("not UTF-8"), "\(name): \(named)")
            #expect(try codes.map(zz.readRecord) == originals, "\(name)")
        }
        // Told it is UTF-8, the agent believes it and names each row it cannot read.
        let forced = try importFresh(gbk, ["--encoding", "utf-8"])
        #expect(forced.status == 3 && forced.stdout.contains("saved.csv:2: cell 2 is not valid UTF-8"), "\(forced)")
        // Told it is GBK, with a line that is not (Latin-1 "café"): that line, and nothing written.
        let latin1 = gbk + Data("9141010055693037XX,caf".utf8) + Data([0xE9, 0xFF, 0x0A])
        let wrong = try importFresh(latin1, ["--encoding", "gbk"])
        #expect(wrong.status == 3 && wrong.stderr.contains("saved.csv:\(text.split(separator: "\n").count + 1): not GBK/GB18030 text"), "\(wrong)")
        #expect(!FileManager.default.fileExists(atPath: zz.recordPath(codes[0])))
        let unknown = try importFresh(gbk, ["--encoding", "big5"])
        #expect(unknown.status == 2 && unknown.stderr.contains("big5"), "\(unknown)")

        let bom = try importFresh(Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8))
        #expect(bom.status == 0 && bom.stdout.contains("3 records written"), "\(bom)")
        #expect(try codes.map(zz.readRecord) == originals)
    }

    /// A row of another region used to be blamed on its county ("410102 does not belong to
    /// region 410300"), or named without the reason; a record file gets the region and the reason.
    @Test func aCSVRowOfAnotherRegionIsNamedByLineWithTheRecordFilesReason() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "csv-region")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let known = try zz.generate(1, seed: 93)[0]
        #expect(try zz.agent(["sync"]).status == 0)

        var generator = SampleGenerator(seed: 94)
        let zhengzhou = Regions.region(code: "410100")!, luoyang = Regions.region(code: "410300")!
        var typo = generator.next(region: zhengzhou).json  // region retyped, county still Zhengzhou's
        FieldPath.set(&typo, path: "region", to: "410300")
        let luoyangs = generator.next(region: luoyang).json
        let fine = generator.next(region: zhengzhou).json
        var moved = try zz.readRecord(known)
        FieldPath.set(&moved, path: "region", to: "410300")
        FieldPath.set(&moved, path: "county", to: .string(luoyang.counties[0].code))
        let file = zz.folder + "/list.csv"
        try RecordCSV.text(for: [typo, luoyangs, fine, moved]).write(toFile: file, atomically: true, encoding: .utf8)

        let result = try zz.agent(["record", "import", file])
        #expect(result.status == 3, "\(result)")
        let reason = "field region: 410300 (洛阳市) is not this bureau's region 410100; a new record belongs to the bureau that registers it"
        #expect(result.stdout.contains("refused: \(file):2: \(reason)"), "\(result)")
        #expect(result.stdout.contains("refused: \(file):3: \(reason)"), "\(result)")
        #expect(result.stdout.contains("refused: \(file):5: field region: 410300 (洛阳市) is not this bureau's region 410100; to move the record there"), "\(result)")
        #expect(!result.stdout.contains("field county"), "\(result)")
        #expect(result.stdout.contains("1 record written"), "\(result)")
        // The same reason as a record file of another region gets from a push.
        try zz.writeRecord(luoyangs)
        let sync = try zz.agent(["sync"])
        #expect(sync.stdout.contains(reason), "\(sync)")
    }

    /// The agent used to write every merged file with LF and without the byte order mark an
    /// editor on Windows put there: each rewrite showed the whole file changed.
    @Test func aPullKeepsEachFilesLineEndingsAndByteOrderMark() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "crlf")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(3, seed: 95)
        #expect(try zz.agent(["sync"]).status == 0)
        let (crlfFile, bomFile, lfFile) = (zz.recordPath(codes[0]), zz.recordPath(codes[1]), zz.recordPath(codes[2]))
        let lf = try Data(contentsOf: URL(fileURLWithPath: crlfFile))
        try Self.crlf(lf).write(to: URL(fileURLWithPath: crlfFile))
        let bomLF = try Data(contentsOf: URL(fileURLWithPath: bomFile))
        try (Data([0xEF, 0xBB, 0xBF]) + Self.crlf(bomLF)).write(to: URL(fileURLWithPath: bomFile))
        // Saving with other line endings is no edit.
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))

        for code in codes {
            #expect(try province.cli(["records", "set", code, #"name="省厅更正名称有限公司""#]).status == 0)
        }
        let pull = try zz.agent(["pull"])
        #expect(pull.status == 0, "\(pull)")
        for code in codes { #expect(try zz.readRecord(code)["name"] == "省厅更正名称有限公司") }

        let crlf = try [UInt8](Data(contentsOf: URL(fileURLWithPath: crlfFile)))
        #expect(Self.lineEndings(crlf).lf == 0 && Self.lineEndings(crlf).crlf > 10, "\(String(decoding: crlf, as: UTF8.self))")
        let bom = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bomFile)))
        #expect(bom.starts(with: [0xEF, 0xBB, 0xBF]) && Self.lineEndings(bom).lf == 0 && Self.lineEndings(bom).crlf > 10)
        let plain = try [UInt8](Data(contentsOf: URL(fileURLWithPath: lfFile)))
        #expect(plain.first == UInt8(ascii: "{") && Self.lineEndings(plain).crlf == 0 && Self.lineEndings(plain).lf > 10)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))

        // `record put` over a CRLF file keeps it CRLF too.
        var edited = try zz.readRecord(codes[0])
        FieldPath.set(&edited, path: "employees", to: 77)
        let input = zz.folder + "/edited.json"
        try Data(edited.prettyBytes()).write(to: URL(fileURLWithPath: input))
        #expect(try zz.agent(["record", "put", input]).status == 0)
        let put = try [UInt8](Data(contentsOf: URL(fileURLWithPath: crlfFile)))
        #expect(Self.lineEndings(put).lf == 0 && Self.lineEndings(put).crlf > 10)
    }

    /// Line breaks by kind: CRLF pairs, and LFs without a CR before them.
    static func lineEndings(_ bytes: [UInt8]) -> (crlf: Int, lf: Int) {
        var crlf = 0, lf = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if i > 0 && bytes[i - 1] == 0x0D { crlf += 1 } else { lf += 1 }
        }
        return (crlf, lf)
    }
}
