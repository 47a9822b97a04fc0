#if canImport(Glibc)
import Glibc
#endif
@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import Synchronization
import SyncCore
import Testing

/// The real `esync-agent` against a province that is not one: a loopback server answering from
/// a script, with the pages, push answers and record views that a hostile province could send, or
/// anyone on the path over `http://` or with verification off. Whatever comes, the agent writes
/// only inside its store and only files named by credit codes of its region; what is valid in an
/// answer still applies and the rest is refused, named; it never crashes and never loops.
@Suite(.serialized) struct HostileProvinceTests {
    let temporary = TemporaryFolder("e2e-hostile-province")
    static let zhengzhou = "410100"
    static let kaifeng = "410200"
    /// `ESYNC_AGENT_FUZZ_ROUNDS` (default 24, a few seconds) sets the length of the fuzz test;
    /// a soak: `ESYNC_AGENT_FUZZ_ROUNDS=2000 swift test --filter HostileProvinceTests`.
    static let rounds = Int(ProcessInfo.processInfo.environment["ESYNC_AGENT_FUZZ_ROUNDS"] ?? "") ?? 24
    /// The agent's `server.maxAnswerBytes` in these tests: a "huge" answer need not be large.
    static let answerLimit = 1 << 20

    // MARK: - The fake province

    /// What the fake province answers, by request.
    struct Script: Sendable {
        /// `GET /v1/changes?since=N`, by N; any other `since` gets an empty last page.
        var pages: [Int64: Reply] = [:]
        /// `GET /v1/records/CODE`, by CODE as it came in the path.
        var views: [String: Reply] = [:]
        /// `POST /v1/changesets`: the answer to the change set sent.
        var answer: @Sendable (ChangeSet) -> Reply = { _ in error(503, "no answer scripted") }
    }

    final class ScriptedProvince: Sendable {
        private final class Box: Sendable { let script = Mutex(Script()) }
        private let box: Box
        let server: LoopbackServer
        let folder: String

        init(folder: String) throws {
            let box = Box()
            self.box = box
            self.folder = folder
            server = try LoopbackServer { request in Self.answer(request, script: box.script.withLock { $0 }, folder: folder) }
        }

        deinit { server.stop() }

        var url: String { "http://127.0.0.1:\(server.port)" }

        func script(_ change: (inout Script) -> Void) { box.script.withLock { change(&$0) } }

        static func answer(_ request: RecordedRequest, script: Script, folder: String) -> Reply {
            let parts = URLComponents(string: request.path)
            let path = parts?.path ?? request.path
            if request.method == "GET", path == "/v1/changes" {
                let since = parts?.queryItems?.first { $0.name == "since" }?.value.flatMap { Int64($0) } ?? 0
                return script.pages[since] ?? json(ChangePage(cursor: since, more: false, records: []).encoded())
            }
            if request.method == "GET", path.hasPrefix("/v1/records/") {
                return script.views[String(path.dropFirst("/v1/records/".count))] ?? error(404, "no record")
            }
            if request.method == "POST", path == "/v1/changesets" {
                guard let changeSet = try? ChangeSet.decode(gunzip(request.body, folder: folder)) else { return error(400, "unreadable change set") }
                return script.answer(changeSet)
            }
            return error(404, "no route \(request.method) \(request.path)")
        }

        /// The agent sends change sets gzip-compressed.
        static func gunzip(_ body: [UInt8], folder: String) throws -> [UInt8] {
            let file = folder + "/push-\(UUID().uuidString).gz"
            try Data(body).write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let result = try run("/bin/sh", ["-c", "gzip -dc < \"$0\"", file], in: folder)
            return Array(result.stdout.utf8)
        }
    }

    static func json(_ body: [UInt8]) -> Reply { .respond(status: 200, headers: [("Content-Type", "application/json")], body: body) }
    static func json(_ view: RecordView) -> Reply { json(Array((try? JSONEncoder().encode(view)) ?? Data())) }
    static func error(_ status: Int, _ message: String) -> Reply {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: APIErrorBody(error: "fake", message: message).jsonBytes)
    }

    /// A bureau of Zhengzhou whose province is the fake one.
    func setUp(_ name: String) throws -> (province: ScriptedProvince, bureau: AgentHandle, top: String) {
        let top = try temporary.subfolder(name)
        let province = try ScriptedProvince(folder: top)
        let bureau = try AgentHandle(region: Self.zhengzhou, url: province.url, folder: top + "/bureau", token: "not-checked",
                                     server: ["maxAnswerBytes": "\(Self.answerLimit)"])
        return (province, bureau, top)
    }

    static func named(_ document: JSONValue, _ code: String) -> JSONValue {
        var document = document
        FieldPath.set(&document, path: "uscc", to: .string(code))
        return document
    }

    /// The code in full-width characters: the same code once normalised, but not its canonical form.
    static func fullWidth(_ code: String) -> String {
        String(String.UnicodeScalarView(code.unicodeScalars.map { Unicode.Scalar($0.value + 0xFEE0)! }))
    }

    // MARK: - What must hold after every run

    /// Files and folders below `folder`, relative to it.
    static func tree(_ folder: String) -> Set<String> {
        Set(FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? [])
    }

    /// Names at the top of `folder`, without the harness's output files.
    static func listing(_ folder: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".out-") })
    }

    /// What the store and the folders around it look like before the agent runs: after it, nothing
    /// may have appeared outside `records/` and `.esync/`, nor anywhere with `marker` in its name.
    struct Surroundings: Equatable {
        var bureau: Set<String>
        var store: Set<String>
        var top: Set<String>
        var temporary: Set<String>

        init(_ bureau: AgentHandle, top: String, marker: String) {
            self.bureau = listing(bureau.folder)
            store = listing(bureau.storePath)
            self.top = listing(top)
            temporary = listing(NSTemporaryDirectory()).filter { $0.contains(marker) }
        }
    }

    /// Every file in `records/` is `CODE.json` for a valid credit code in canonical form, holding
    /// that record, of the store's region, and so is every base in `.esync/bases`. Returns the problems.
    static func misnamedFiles(_ bureau: AgentHandle) -> [String] {
        var problems: [String] = []
        var held: [(place: String, code: String, document: JSONValue?)] = []
        for name in listing(bureau.storePath + "/records") {
            let code = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
            guard name.hasSuffix(".json") else {
                problems.append("records/\(name): not named by a credit code")
                continue
            }
            held.append(("records/\(name)", code, (try? JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: bureau.storePath + "/records/" + name))))) ?? nil))
        }
        do {
            for (code, base) in try bureau.baseLog.bases() { held.append((".esync/bases \(code)", code, base["document"])) }
        } catch {
            problems.append(".esync/bases: \(error)")
        }
        for (place, code, document) in held {
            guard (try? USCC(code))?.rawValue == code else {
                problems.append("\(place): not named by a credit code")
                continue
            }
            if document?["uscc"]?.stringValue != code || document?["region"]?.stringValue != bureau.region {
                problems.append("\(place): holds uscc \(document?["uscc"]?.stringValue ?? "-") of region \(document?["region"]?.stringValue ?? "-")")
            }
        }
        return problems
    }

    /// The records in `records/`, by credit code.
    static func records(_ bureau: AgentHandle) -> [String: JSONValue] {
        var records: [String: JSONValue] = [:]
        for name in listing(bureau.storePath + "/records") where name.hasSuffix(".json") {
            records[String(name.dropLast(5))] = try? bureau.readRecord(String(name.dropLast(5)))
        }
        return records
    }

    static func cursor(_ bureau: AgentHandle) -> Int64? {
        let state = try? JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: bureau.storePath + "/.esync/state.json"))))
        return state?["cursor"]?.intValue
    }

    /// Runs the agent and checks what must hold whatever the province sent.
    static func agent(_ bureau: AgentHandle, _ command: String, top: String, marker: String,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let before = Surroundings(bureau, top: top, marker: marker)
        let result = try bureau.agent([command], killAfter: 60)
        #expect([0, 1, 3, 5].contains(result.status), "a documented exit code, no signal and no hang: \(result)", sourceLocation: sourceLocation)
        #expect(Surroundings(bureau, top: top, marker: marker) == before, "nothing written outside the store: \(result)", sourceLocation: sourceLocation)
        let escaped = tree(top).filter { $0.contains(marker) }
        #expect(escaped.isEmpty, "files named after a hostile code: \(escaped.sorted())", sourceLocation: sourceLocation)
        let misnamed = misnamedFiles(bureau)
        #expect(misnamed.isEmpty, "\(misnamed)\n\(result)", sourceLocation: sourceLocation)
        return result
    }

    // MARK: - Tests

    @Test func codesInAPulledPageThatAreNotCreditCodesOfTheRegionNameNoFile() throws {
        let (province, bureau, top) = try setUp("hostile-page")
        let marker = "esync-escape-\(UUID().uuidString.prefix(8))"
        var generator = SampleGenerator(seed: 41)
        let good = (0..<2).map { _ in generator.next(region: Regions.region(code: Self.zhengzhou)).json }
        let other = generator.next(region: Regions.region(code: Self.zhengzhou)).json
        let foreign = generator.next(region: Regions.region(code: Self.kaifeng)).json
        let escape = "../../" + marker  // from records/: next to the store
        let wide = Self.fullWidth(other["uscc"]!.stringValue!)
        let page = ChangePage(cursor: 6, more: false, records: [
            ChangedRecord(uscc: good[0]["uscc"]!.stringValue!, revision: 1, seq: 1, document: good[0]),
            ChangedRecord(uscc: escape, revision: 1, seq: 2, document: Self.named(good[0], escape)),
            ChangedRecord(uscc: foreign["uscc"]!.stringValue!, revision: 1, seq: 3, document: foreign),
            ChangedRecord(uscc: wide, revision: 1, seq: 4, document: Self.named(other, wide)),
            ChangedRecord(uscc: other["uscc"]!.stringValue!, revision: 1, seq: 5, document: good[1]),
            ChangedRecord(uscc: good[1]["uscc"]!.stringValue!, revision: 1, seq: 6, document: good[1]),
        ])
        province.script { $0.pages[0] = Self.json(page.encoded()) }

        let pull = try Self.agent(bureau, "pull", top: top, marker: marker)
        // The rest of the page applied; each refused record is named with its reason.
        #expect(pull.status == 3, "\(pull)")
        #expect(Self.records(bureau) == Dictionary(uniqueKeysWithValues: good.map { ($0["uscc"]!.stringValue!, $0) }), "\(pull)")
        #expect(Self.cursor(bureau) == 6)
        let said = pull.stdout + pull.stderr
        #expect(said.contains("\"\(escape)\"") && said.contains("not a credit code"), "\(pull)")
        #expect(said.contains(foreign["uscc"]!.stringValue!) && said.contains("region \(Self.kaifeng)"), "\(pull)")
        #expect(said.contains(wide) && said.contains("canonical"), "\(pull)")
        #expect(said.contains(other["uscc"]!.stringValue!) && said.contains(good[1]["uscc"]!.stringValue!), "\(pull)")
        // Refused once: the cursor has passed them.
        let again = try Self.agent(bureau, "pull", top: top, marker: marker)
        #expect(again.status == 0, "\(again)")
    }

    @Test func codesInAPushAnswerThatWereNotSentNameNoFile() throws {
        let (province, bureau, top) = try setUp("hostile-answer")
        let marker = "esync-escape-\(UUID().uuidString.prefix(8))"
        let sent = try bureau.generate(2, seed: 43)
        var generator = SampleGenerator(seed: 44)
        let unsent = generator.next(region: Regions.region(code: Self.zhengzhou)).json
        let escape = "../../" + marker
        province.script { script in
            script.answer = { changeSet in
                var records = changeSet.records.map { change in
                    RecordResult(uscc: change.uscc, outcome: .applied, revision: 1, document: RecordDiff.apply(change.fields, to: nil))
                }
                let first = records[0].document!
                records += [
                    RecordResult(uscc: escape, outcome: .applied, revision: 1, document: Self.named(first, escape)),
                    RecordResult(uscc: unsent["uscc"]!.stringValue!, outcome: .applied, revision: 1, document: unsent),
                    // A second answer for a record, another document: the first stands.
                    RecordResult(uscc: records[0].uscc, outcome: .applied, revision: 2, document: unsent),
                ]
                return Self.json(ChangeSetResult(id: changeSet.id, records: records).encoded())
            }
        }
        let push = try Self.agent(bureau, "push", top: top, marker: marker)
        #expect(push.status == 3, "\(push)")
        let said = push.stdout + push.stderr
        #expect(said.contains("\"\(escape)\"") && said.contains(unsent["uscc"]!.stringValue!), "\(push)")
        #expect(Set(Self.records(bureau).keys) == Set(sent), "\(push)")
        #expect(Set(try bureau.baseLog.bases().keys) == Set(sent), "\(push)")
        #expect(try bureau.outboxFiles().isEmpty, "acknowledged: \(push)")
    }

    @Test func aCursorThatDoesNotMoveOnOrGoesBackStopsThePullAndASeqOutOfOrderIsRefused() throws {
        let (province, bureau, top) = try setUp("hostile-cursor")
        let marker = "esync-escape-\(UUID().uuidString.prefix(8))"
        var generator = SampleGenerator(seed: 45)
        let documents = (0..<5).map { _ in generator.next(region: Regions.region(code: Self.zhengzhou)).json }
        func record(_ n: Int, seq: Int64) -> ChangedRecord {
            ChangedRecord(uscc: documents[n]["uscc"]!.stringValue!, revision: 1, seq: seq, document: documents[n])
        }
        // Seq 2 twice, then seq 1 after it, then past the page's cursor: refused; 3 and 4 apply.
        province.script { script in
            script.pages[0] = Self.json(ChangePage(cursor: 4, more: false, records: [
                record(0, seq: 2), record(1, seq: 2), record(2, seq: 1), record(3, seq: 9), record(4, seq: 4),
            ]).encoded())
        }
        let pull = try Self.agent(bureau, "pull", top: top, marker: marker)
        #expect(pull.status == 3, "\(pull)")
        #expect(Set(Self.records(bureau).keys) == Set([0, 4].map { documents[$0]["uscc"]!.stringValue! }), "\(pull)")
        #expect(Self.cursor(bureau) == 4)

        // "More" with the cursor where it was would be asked for again and again.
        province.script { $0.pages[4] = Self.json(ChangePage(cursor: 4, more: true, records: [record(1, seq: 5)]).encoded()) }
        let stuck = try Self.agent(bureau, "pull", top: top, marker: marker)
        #expect(stuck.status == 1 && stuck.stderr.contains(province.url + "/v1/changes?since=4") && stuck.stderr.contains("cursor"), "\(stuck)")
        // A cursor before the one asked for.
        province.script { $0.pages[4] = Self.json(ChangePage(cursor: 2, more: false, records: [record(1, seq: 5)]).encoded()) }
        let back = try Self.agent(bureau, "pull", top: top, marker: marker)
        #expect(back.status == 1 && back.stderr.contains("cursor"), "\(back)")
        #expect(Self.records(bureau).count == 2 && Self.cursor(bureau) == 4, "nothing of either page applied")
    }

    @Test func aHugeOrTruncatedAnswerIsRefusedNamingTheURLAndWritesNothing() throws {
        let (province, bureau, top) = try setUp("hostile-size")
        let marker = "esync-escape-\(UUID().uuidString.prefix(8))"
        var generator = SampleGenerator(seed: 46)
        var huge = generator.next(region: Regions.region(code: Self.zhengzhou)).json
        FieldPath.set(&huge, path: "name", to: .string(String(repeating: "大", count: Self.answerLimit / 2)))
        let body = ChangePage(cursor: 1, more: false, records: [ChangedRecord(uscc: huge["uscc"]!.stringValue!, revision: 1, seq: 1, document: huge)]).encoded()
        for reply in [Self.json(body), .closeDelimited(status: 200, body: body)] {
            province.script { $0.pages[0] = reply }
            let pull = try Self.agent(bureau, "pull", top: top, marker: marker)
            #expect(pull.status == 1 && pull.stderr.contains(province.url + "/v1/changes?since=0") && pull.stderr.contains("\(Self.answerLimit)"), "\(pull)")
            #expect(pull.stderr.contains("server.maxAnswerBytes"), "\(pull)")
        }
        let small = ChangePage(cursor: 1, more: false, records: [ChangedRecord(uscc: huge["uscc"]!.stringValue!, revision: 1, seq: 1,
                                                                                document: generator.next(region: Regions.region(code: Self.zhengzhou)).json)]).encoded()
        province.script { $0.pages[0] = Self.json(Array(small.prefix(small.count / 2))) }
        let cut = try Self.agent(bureau, "pull", top: top, marker: marker)
        #expect(cut.status == 1 && cut.stderr.contains(province.url + "/v1/changes?since=0"), "\(cut)")
        let bases = try bureau.baseLog.bases()
        #expect(Self.records(bureau).isEmpty && bases.isEmpty && Self.cursor(bureau) == 0)
    }

    // MARK: - Fuzz

    /// Codes no file may be named by: paths out of `records/` and `.esync/` at every depth
    /// (a NUL ends the C string early: the name loses its `.json`), text that only normalises to a
    /// code, codes with a wrong check character, nothing, too much.
    static func hostileCodes(marker: String, valid: String) -> [String] {
        let wrongCheck = String(valid.dropLast()) + (valid.last == "0" ? "1" : "0")
        return ["../" + marker, "../../" + marker, "../../../" + marker, "../../../../" + marker, "../../" + marker + "\u{0}",
                marker + "/../../../" + marker, "/tmp/" + marker, "..", ".", "", "\(valid)/../../\(marker)", marker,
                fullWidth(valid), valid.lowercased() == valid ? valid + " " : valid.lowercased(), String(valid.prefix(8)) + "-" + valid.dropFirst(8),
                " " + valid, valid + "\n" + marker, wrongCheck, String(repeating: "9", count: 5000), marker + "\u{202E}nosj."]
    }

    /// What the agent must hold after each round, as the province's valid answers say.
    struct Expected {
        var cursor: Int64 = 0
        var seq: Int64 = 0
        var records: [String: JSONValue] = [:]
        var revisions: [String: Int64] = [:]
        /// Records the fake province sent (pushed ones stay the bureau's: only pages change these).
        var fromProvince: [String] = []
    }

    /// One page of a round: the valid entries change `expected`; every hostile one must be refused.
    static func page(since: Int64, more: Bool, expected: inout Expected, refused: inout Bool, views: inout [String: Reply],
                     marker: String, generator: inout SampleGenerator, rng: inout SplitMix64) -> ChangePage {
        let ours = Regions.region(code: zhengzhou)
        var records: [ChangedRecord] = []
        var touched = Set<String>()
        var lastGood = since
        func fresh() -> JSONValue { generator.next(region: ours).json }
        func untouched() -> String? { expected.fromProvince.filter { !touched.contains($0) }.randomElement(using: &rng) }
        func edited(_ code: String) -> JSONValue {
            var document = expected.records[code]!
            FieldPath.set(&document, path: "employees", to: .int(Int64.random(in: 1...90_000, using: &rng)))
            return document
        }
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            switch Int.random(in: 0..<12, using: &rng) {
            case 0...3:  // a new record, or a new revision of one the province sent before
                expected.seq += 1
                let code: String, document: JSONValue
                if Bool.random(using: &rng), let known = untouched() {
                    (code, document) = (known, edited(known))
                } else {
                    document = fresh()
                    code = document["uscc"]!.stringValue!
                    expected.fromProvince.append(code)
                }
                expected.revisions[code, default: 0] += 1
                expected.records[code] = document
                touched.insert(code)
                records.append(ChangedRecord(uscc: code, revision: expected.revisions[code]!, seq: expected.seq, document: document))
                lastGood = expected.seq
            case 4:  // a revision the bureau wrote, whose document it fetches: a valid view
                guard let code = untouched() else { continue }
                expected.seq += 1
                let document = edited(code)
                expected.revisions[code]! += 1
                expected.records[code] = document
                touched.insert(code)
                views[code] = json(RecordView(uscc: code, region: zhengzhou, revision: expected.revisions[code]!, seq: expected.seq,
                                              deleted: false, document: document, provenance: [:]))
                var echo = ChangedRecord(uscc: code, revision: expected.revisions[code]!, seq: expected.seq, document: nil)
                (echo.echo, echo.hash) = (true, "0000")
                records.append(echo)
                lastGood = expected.seq
            case 5:  // ... and a hostile view: another record, another region, a code that is a path
                guard let code = untouched() else { continue }
                expected.seq += 1
                touched.insert(code)
                let bad = hostileCodes(marker: marker, valid: code).randomElement(using: &rng)!
                let other = fresh()
                let view: RecordView
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: view = RecordView(uscc: code, region: zhengzhou, revision: 99, seq: expected.seq, deleted: false, document: named(other, bad), provenance: [:])
                case 1: view = RecordView(uscc: other["uscc"]!.stringValue!, region: zhengzhou, revision: 99, seq: expected.seq, deleted: false, document: other, provenance: [:])
                default:
                    var moved = named(other, code)
                    FieldPath.set(&moved, path: "region", to: .string(kaifeng))
                    view = RecordView(uscc: code, region: kaifeng, revision: 99, seq: expected.seq, deleted: false, document: moved, provenance: [:])
                }
                views[code] = json(view)
                var echo = ChangedRecord(uscc: code, revision: 99, seq: expected.seq, document: nil)
                (echo.echo, echo.hash) = (true, "0000")
                records.append(echo)
                refused = true
            case 6, 7:  // a code that is not one, as a record, a tombstone or an echo
                expected.seq += 1
                let bad = hostileCodes(marker: marker, valid: fresh()["uscc"]!.stringValue!).randomElement(using: &rng)!
                var record = ChangedRecord(uscc: bad, revision: 1, seq: expected.seq, document: named(fresh(), bad))
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: (record.document, record.deleted) = (nil, true)
                case 1: (record.document, record.echo, record.hash) = (nil, true, "0000")
                case 2: (record.document, record.movedTo) = (nil, kaifeng)
                default: break
                }
                records.append(record)
                refused = true
            case 8:  // a record of another region, or a document of another record
                expected.seq += 1
                let foreign = Bool.random(using: &rng)
                let document = foreign ? generator.next(region: Regions.region(code: kaifeng)).json : fresh()
                let code = foreign && Bool.random(using: &rng) ? document["uscc"]!.stringValue! : fresh()["uscc"]!.stringValue!
                records.append(ChangedRecord(uscc: code, revision: 1, seq: expected.seq, document: document))
                refused = true
            case 9:  // a tombstone that moves a record the province sent to somewhere that is no region
                guard let code = untouched() else { continue }
                expected.seq += 1
                touched.insert(code)
                let to = ["../../" + marker, zhengzhou, "", "41010", "999999"].randomElement(using: &rng)!
                records.append(ChangedRecord(uscc: code, revision: 99, seq: expected.seq, document: nil, movedTo: to))
                refused = true
            default:  // a seq repeated, going back, or past the page's cursor
                let document = fresh()
                let seq = [lastGood, since - Int64.random(in: 0...2, using: &rng), expected.seq + 1000].randomElement(using: &rng)!
                records.append(ChangedRecord(uscc: document["uscc"]!.stringValue!, revision: 1, seq: seq, document: document))
                refused = true
            }
        }
        if more && expected.seq == since { expected.seq += 1 }  // a gap: the cursor must still move
        return ChangePage(cursor: max(since, expected.seq), more: more, records: records)
    }

    /// A whole answer that is no page: the pull stops there with `status`, nothing of it applied.
    static func faultyPage(since: Int64, expected: Expected, marker: String, generator: inout SampleGenerator,
                           rng: inout SplitMix64) -> (reply: Reply, status: Int32) {
        let document = generator.next(region: Regions.region(code: zhengzhou)).json
        let record = ChangedRecord(uscc: document["uscc"]!.stringValue!, revision: 1, seq: expected.seq + 1, document: document)
        let body = ChangePage(cursor: expected.seq + 1, more: false, records: [record]).encoded()
        var huge = document
        FieldPath.set(&huge, path: "name", to: .string(String(repeating: "x", count: answerLimit + 1)))
        let hugeBody = ChangePage(cursor: expected.seq + 1, more: false, records: [ChangedRecord(uscc: record.uscc, revision: 1, seq: record.seq, document: huge)]).encoded()
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return (json(Array(body.prefix(Int.random(in: 0..<body.count, using: &rng)))), 1)
        case 1: return (json(hugeBody), 1)
        case 2: return (.closeDelimited(status: 200, body: hugeBody), 1)
        case 3: return (json(ChangePage(cursor: since, more: true, records: [record]).encoded()), 1)
        case 4: return since > 0 ? (json(ChangePage(cursor: since - 1, more: false, records: [record]).encoded()), 1) : (error(500, "down"), 5)
        case 5: return (json(Array(#"{"format": 1, "cursor": "7", "records": {}}"#.utf8)), 1)
        case 6: return (json((0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }), 1)
        case 7: return (json(Array(String(repeating: "[", count: 100_000).utf8)), 1)
        default: return (error(500, "down"), 5)
        }
    }

    @Test func fuzzHostilePagesAnswersAndViews() throws {
        let (province, bureau, top) = try setUp("hostile-fuzz")
        let marker = "esync-escape-\(UUID().uuidString.prefix(8))"
        var rng = SplitMix64(seed: 0xE5_A6E7)
        var generator = SampleGenerator(seed: 0xE5_A6E8)
        var expected = Expected()
        var figures = (pulls: 0, pushes: 0, refused: 0, stopped: 0)
        defer {
            print("hostile province: \(Self.rounds) rounds, \(figures.pulls) pulls and \(figures.pushes) pushes, \(figures.refused) records refused, "
                  + "\(figures.stopped) runs stopped by a whole answer refused; \(expected.records.count) records held, cursor \(expected.cursor)")
        }
        for round in 0..<Self.rounds {
            var status: Int32 = 0
            let command: String
            if Int.random(in: 0..<4, using: &rng) == 0 {
                // A push of new records of the bureau: whatever the answer, its files stay as written.
                command = "push"
                for _ in 0..<Int.random(in: 1...2, using: &rng) {
                    let document = generator.next(region: Regions.region(code: Self.zhengzhou)).json
                    try bureau.writeRecord(document)
                    expected.records[document["uscc"]!.stringValue!] = document
                }
                let mode = Int.random(in: 0..<4, using: &rng)
                let extras = Self.hostileCodes(marker: marker, valid: generator.next().uscc.rawValue).shuffled(using: &rng).prefix(3)
                let foreign = generator.next(region: Regions.region(code: Self.kaifeng)).json
                status = [0, 3, 1, 1][mode]
                province.script { script in
                    script.answer = { changeSet in
                        var records = changeSet.records.map { change in
                            RecordResult(uscc: change.uscc, outcome: .applied, revision: 1, document: RecordDiff.apply(change.fields, to: nil))
                        }
                        switch mode {
                        case 0: break
                        case 1:
                            records += extras.map { RecordResult(uscc: $0, outcome: .applied, revision: 1, document: Self.named(foreign, $0)) }
                            records.append(RecordResult(uscc: foreign["uscc"]!.stringValue!, outcome: .applied, revision: 1, document: foreign))
                        case 2: return Self.json(ChangeSetResult(id: "another", records: records).encoded())
                        default: return Self.json(Array(ChangeSetResult(id: changeSet.id, records: records).encoded().dropLast(7)))
                        }
                        return Self.json(ChangeSetResult(id: changeSet.id, records: records).encoded())
                    }
                }
            } else {
                command = "pull"
                var pages: [Int64: Reply] = [:]
                var views: [String: Reply] = [:]
                var refused = false
                let count = Int.random(in: 1...3, using: &rng)
                for n in 0..<count {
                    let since = expected.cursor
                    if n == count - 1 && Int.random(in: 0..<4, using: &rng) == 0 {
                        let fault = Self.faultyPage(since: since, expected: expected, marker: marker, generator: &generator, rng: &rng)
                        pages[since] = fault.reply
                        status = fault.status
                        break
                    }
                    // The page's valid entries apply only if the page is read, so `expected` moves with it.
                    let page = Self.page(since: since, more: n < count - 1, expected: &expected, refused: &refused, views: &views,
                                         marker: marker, generator: &generator, rng: &rng)
                    pages[since] = Self.json(page.encoded())
                    expected.cursor = page.cursor
                }
                if status == 0 && refused { status = 3 }
                province.script { ($0.pages, $0.views) = (pages, views) }
            }
            let result = try Self.agent(bureau, command, top: top, marker: marker)
            if command == "pull" { figures.pulls += 1 } else { figures.pushes += 1 }
            figures.refused += result.stdout.components(separatedBy: "from the province refused:").count - 1
            if status == 1 || status == 5 { figures.stopped += 1 }
            #expect(result.status == status, "round \(round) (\(command)): exit \(result.status), expected \(status)\n\(result)")
            let held = Self.records(bureau)
            #expect(held == expected.records, "round \(round) (\(command)): records differ: missing \(Set(expected.records.keys).subtracting(held.keys).sorted()), extra \(Set(held.keys).subtracting(expected.records.keys).sorted()), changed \(held.keys.filter { expected.records[$0] != nil && held[$0] != expected.records[$0] }.sorted())\n\(result)")
            #expect(Self.cursor(bureau) == expected.cursor, "round \(round): cursor \(Self.cursor(bureau) ?? -1), expected \(expected.cursor)\n\(result)")
            if result.status != status || held != expected.records { break }
        }
    }
}

extension APIErrorBody {
    var jsonBytes: [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }
}
