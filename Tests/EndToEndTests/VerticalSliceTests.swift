@testable import EndToEndSupport
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Two bureaus (Zhengzhou 410100, Kaifeng 410200) and the province, as real processes on
/// loopback: every push and pull goes through libcurl to `esync-aggregator serve` and SQLite.
@Suite(.serialized) struct VerticalSliceTests {
    static let zhengzhou = "410100"
    static let kaifeng = "410200"

    func setUp(_ name: String) throws -> (AggregatorProcess, AgentHandle, AgentHandle) {
        let province = try AggregatorProcess(regions: [Self.zhengzhou, Self.kaifeng], name: name)
        return (province, try AgentHandle(region: Self.zhengzhou, aggregator: province), try AgentHandle(region: Self.kaifeng, aggregator: province))
    }

    @Test func createdEditedAndDeletedRecordsArriveWithTheRightRevisions() throws {
        let (province, zz, kf) = try setUp("revisions")
        defer { province.stop() }
        let zzCodes = try zz.generate(20, seed: 1)
        let kfCodes = try kf.generate(15, seed: 2)
        let first = try zz.agent(["sync"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("20 records sent"))
        #expect(try kf.agent(["sync"]).status == 0)

        for uscc in zzCodes + kfCodes {
            let view = try province.record(uscc)
            let owner = zzCodes.contains(uscc) ? zz : kf
            #expect(view.revision == 1)
            #expect(view.region == owner.region)
            #expect(view.document == (try owner.readRecord(uscc)))
        }

        // An edit: revision 2, provenance names the bureau.
        try zz.edit(zzCodes[0], ["employees": 4242, "contact.phone": "13700001111"])
        #expect(try zz.agent(["sync"]).status == 0)
        let edited = try province.record(zzCodes[0])
        #expect(edited.revision == 2)
        #expect(edited.document["employees"] == 4242)
        #expect(edited.provenance["contact.phone"]?.source == "region:410100")
        #expect(edited.provenance["name"]?.revision == 1)

        // A delete is a request: the record stays at the province at its revision, and the
        // agent knows it waits for a decision instead of sending it again and again.
        try FileManager.default.removeItem(atPath: zz.recordPath(zzCodes[1]))
        let deletion = try zz.agent(["push"])
        #expect(deletion.status == 0, "\(deletion)")
        #expect(deletion.stdout.contains("1 delete request"))
        let kept = try province.record(zzCodes[1])
        #expect(!kept.deleted && kept.revision == 1)
        let status = try zz.statusJSON()
        #expect(status["held"]?.arrayValue?.first?["uscc"] == .string(zzCodes[1]))
        #expect(status["deleteRequests"]?.arrayValue?.isEmpty == true)
        #expect(try zz.agent(["push"]).stdout.contains("0 records sent"))
    }

    @Test func aProvinceEditMergesWithAnUnrelatedLocalEditAndBothSurviveOnBothSides() throws {
        let (province, zz, _) = try setUp("merge")
        defer { province.stop() }
        let codes = try zz.generate(5, seed: 3)
        #expect(try zz.agent(["sync"]).status == 0)
        let uscc = codes[2]

        // The province designates the enterprise and corrects the contact person ...
        let srdi: JSONValue = ["year": 2025, "batch": 2, "validUntil": "2027-12-31"]
        let patch = try JSONEncoder().encode(RecordPatch(set: ["srdi": srdi, "contact.person": "王芳"]))
        let patched = try province.request(.patch, "/v1/records/\(uscc)", token: province.reviewerToken, body: Array(patch))
        #expect(patched.status == 200, "\(patched.bodyString)")
        // ... while the bureau, offline, changes the headcount and the phone of the same record.
        try zz.edit(uscc, ["employees": 321, "contact.phone": "13612345678"])

        let pull = try zz.agent(["pull"])
        #expect(pull.status == 0, "\(pull)")
        let local = try zz.readRecord(uscc)
        #expect(local["srdi"] == srdi)
        #expect(local["contact"]?["person"] == "王芳")
        #expect(local["employees"] == 321)
        #expect(local["contact"]?["phone"] == "13612345678")

        let push = try zz.agent(["push"])
        #expect(push.status == 0, "\(push)")
        let merged = try province.record(uscc)
        #expect(merged.revision == 3)
        #expect(merged.document == local)
        #expect(merged.provenance["srdi.year"]?.source == "reviewer:wang")
        #expect(merged.provenance["employees"]?.source == "region:410100")
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
    }

    @Test func bothSidesChangingOneFieldQueuesAConflictAndLosesNeither() throws {
        let (province, zz, _) = try setUp("conflict")
        defer { province.stop() }
        let uscc = try zz.generate(3, seed: 4)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.cli(["records", "set", uscc, #"name="省厅更正名称有限公司""#]).status == 0)
        try zz.edit(uscc, ["name": "区局更正名称有限公司"])
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        #expect(sync.stdout.contains("waits for the province's review"))
        #expect(try province.record(uscc).document["name"] == "省厅更正名称有限公司")
        #expect(try zz.readRecord(uscc)["name"] == "区局更正名称有限公司")
        let waiting = try zz.statusJSON()["waitingForReview"]?.arrayValue ?? []
        #expect(waiting.first?["field"] == "name")
    }

    @Test func aReplayedChangeSetAppliesNothingTwice() throws {
        let (province, zz, _) = try setUp("replay")
        defer { province.stop() }
        let codes = try zz.generate(4, seed: 5)
        #expect(try zz.agent(["sync"]).status == 0)
        try zz.edit(codes[0], ["employees": 77])

        // The province is unreachable: the change set is sealed into the outbox and kept.
        let down = try zz.agent(["push"], environment: ["ESYNC_SERVER_URL": "http://127.0.0.1:9"])
        #expect(down.status == 5, "\(down)")
        let outbox = zz.storePath + "/.esync/outbox"
        let sealed = try FileManager.default.contentsOfDirectory(atPath: outbox)
        #expect(sealed.count == 1)
        let copy = zz.folder + "/" + sealed[0]
        try FileManager.default.copyItem(atPath: outbox + "/" + sealed[0], toPath: copy)

        #expect(try zz.agent(["push"]).status == 0)
        #expect(try province.record(codes[0]).revision == 2)
        // The answer was "lost": the same change set goes out again.
        try FileManager.default.copyItem(atPath: copy, toPath: outbox + "/" + sealed[0])
        let replay = try zz.agent(["push"])
        #expect(replay.status == 0, "\(replay)")
        #expect(replay.stderr.contains("(replayed)"))
        let view = try province.record(codes[0])
        #expect(view.revision == 2)
        #expect(view.document["employees"] == 77)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox).isEmpty)
    }

    @Test func aRecordOfAnotherRegionGets403AndChangesNothing() throws {
        let (province, zz, kf) = try setUp("forbidden")
        defer { province.stop() }
        let uscc = try zz.generate(2, seed: 6)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        let before = try province.record(uscc)

        var edited = before.document
        FieldPath.set(&edited, path: "employees", to: 1)
        let change = RecordDiff.change(uscc: uscc, base: before.document, baseRevision: 1, working: edited)!
        // Signed with Kaifeng's own key: the signature is good, the record is still not Kaifeng's.
        var changeSet = ChangeSet(id: "kaifeng-tries", region: Self.kaifeng, createdAt: "now", records: [change])
        try changeSet.sign(after: "", with: kf.signingKey())
        let response = try province.request(.post, "/v1/changesets", token: province.bureauTokens[Self.kaifeng], body: changeSet.encoded())
        #expect(response.status == 403)
        let error = try JSONDecoder().decode(APIErrorBody.self, from: Data(response.body))
        #expect(error.error == "forbidden")
        #expect(error.message.contains(uscc))
        #expect(try province.record(uscc) == before)
        #expect(try province.request(.get, "/v1/records/\(uscc)", token: province.bureauTokens[Self.kaifeng]).status == 403)
        #expect(try province.request(.get, "/v1/records/\(uscc)", token: "esync_wrong").status == 401)

        // In the Kaifeng store, a file claiming Zhengzhou is named locally and never sent.
        try kf.writeRecord(before.document)
        let status = try kf.agent(["status"])
        #expect(status.status == 3)
        #expect(status.stdout.contains("\(uscc).json: field region: 410100"))
    }

    @Test func corruptAndInvalidFilesAreNamedWhileEveryOtherRecordSyncs() throws {
        let (province, zz, _) = try setUp("invalid")
        defer { province.stop() }
        let codes = try zz.generate(6, seed: 7)
        #expect(try zz.agent(["sync"]).status == 0)
        // A torn file, a record whose county is in another city, and an ordinary edit.
        try Data("{\"uscc\": \"\(codes[0])\", \"name\": ".utf8).write(to: URL(fileURLWithPath: zz.recordPath(codes[0])))
        try zz.edit(codes[1], ["county": "410305"])
        try zz.edit(codes[2], ["employees": 888])

        let status = try zz.agent(["status"])
        #expect(status.status == 3)
        #expect(status.stdout.contains("records/\(codes[0]).json: not valid JSON"))
        #expect(status.stdout.contains("records/\(codes[1]).json") && status.stdout.contains("county"))

        let sync = try zz.agent(["sync"])
        #expect(sync.status == 3, "\(sync)")
        #expect(sync.stdout.contains("records/\(codes[0]).json: not sent"))
        #expect(sync.stdout.contains("records/\(codes[1]).json: not sent"))
        #expect(try province.record(codes[2]).document["employees"] == 888)
        #expect(try province.record(codes[0]).revision == 1)
        #expect(try province.record(codes[1]).document["county"] != "410305")
    }

    @Test func recordPutRefusesACreditCodeWithAWrongCheckCharacter() throws {
        let (province, zz, _) = try setUp("checkchar")
        defer { province.stop() }
        var generator = SampleGenerator(seed: 8)
        var document = generator.next(region: Regions.region(code: Self.zhengzhou)).json
        let good = document["uscc"]!.stringValue!
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let wrong = String(good.dropLast()) + String(alphabet.first { $0 != good.last! }!)
        FieldPath.set(&document, path: "uscc", to: .string(wrong))
        let file = zz.folder + "/wrong.json"
        try Data(document.prettyBytes()).write(to: URL(fileURLWithPath: file))
        let put = try zz.agent(["record", "put", file])
        #expect(put.status == 3, "\(put)")
        #expect(put.stderr.contains("check character"))
        #expect(put.stderr.contains(wrong))
        #expect(!FileManager.default.fileExists(atPath: zz.recordPath(wrong)))
    }

    @Test func diffOnAnUnchangedStoreReadsNoRecordFile() throws {
        let (province, zz, _) = try setUp("noreads")
        defer { province.stop() }
        let codes = try zz.generate(200, seed: 9)
        #expect(try zz.agent(["sync"]).status == 0)
        // Files written within the racy window are re-read once (see StatIndex); let them age.
        Thread.sleep(forTimeInterval: 2.2)
        _ = try zz.agent(["status"])
        let indexPath = zz.storePath + "/.esync/index"
        let indexBefore = try FileManager.default.attributesOfItem(atPath: indexPath)[.modificationDate] as? Date
        let diff = try JSONValue.parse(try zz.agent(["diff", "--json"]).stdout)
        // Nothing changed, so nothing is written either.
        #expect(try FileManager.default.attributesOfItem(atPath: indexPath)[.modificationDate] as? Date == indexBefore)
        #expect(diff["scan"]?["filesSeen"] == 200)
        #expect(diff["scan"]?["filesRead"] == 0)
        #expect(diff["changes"]?.arrayValue?.isEmpty == true)

        // An edit that keeps the size, made and checked within the same second, is still seen.
        let path = zz.recordPath(codes[5])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let flipped = text.contains("\"status\": \"active\"")
            ? text.replacingOccurrences(of: "\"status\": \"active\"", with: "\"status\": \"closed\"")
            : text.replacingOccurrences(of: "\"status\": \"closed\"", with: "\"status\": \"active\"")
        try flipped.write(toFile: path, atomically: false, encoding: .utf8)
        let after = try JSONValue.parse(try zz.agent(["diff", "--json"]).stdout)
        #expect(after["scan"]?["filesRead"] == 1)
        #expect(after["changes"]?.arrayValue?.first?["uscc"] == .string(codes[5]))
    }
}

extension VerticalSliceTests {
    @Test func aParkedValueIsNotSentAgainButANewEditOfItIs() throws {
        let (province, zz, _) = try setUp("parked")
        defer { province.stop() }
        let uscc = try zz.generate(2, seed: 10)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.cli(["records", "set", uscc, #"industry="C3511""#]).status == 0)
        try zz.edit(uscc, ["industry": "C3562"])
        #expect(try zz.agent(["sync"]).stdout.contains("1 field waits for review"))
        #expect(try zz.agent(["push"]).stdout.contains("0 records sent"))
        try zz.edit(uscc, ["industry": "C3973"])
        let again = try zz.agent(["push"])
        #expect(again.stdout.contains("1 record sent"), "\(again)")
        #expect(try province.record(uscc).document["industry"] == "C3511")
        #expect(try zz.readRecord(uscc)["industry"] == "C3973")
    }
}

extension VerticalSliceTests {
    @Test func aRebuiltStoreIsSetUpFromTheProvincesCopyByAFullPull() throws {
        let (province, zz, _) = try setUp("rebuild")
        defer { province.stop() }
        let codes = try zz.generate(30, seed: 12)
        #expect(try zz.agent(["sync"]).status == 0)
        try FileManager.default.removeItem(atPath: zz.storePath)
        #expect(try zz.agent(["init"]).status == 0)
        // An empty new store takes over the region from the one the province knew, and says so.
        let pull = try zz.agent(["pull"])
        #expect(pull.status == 0, "\(pull)")
        #expect(pull.stdout.contains("30 merged"))
        #expect(pull.stderr.contains("takes over region"), "\(pull.stderr)")
        for uscc in codes { #expect(try zz.readRecord(uscc) == (try province.record(uscc)).document) }
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
    }

    @Test func csvExportImportsBackUnchangedAndBadRowsAreNamedByLine() throws {
        let (province, zz, _) = try setUp("csv")
        defer { province.stop() }
        let codes = try zz.generate(25, seed: 13)
        let csv = zz.folder + "/export.csv"
        #expect(try zz.agent(["record", "export", "-o", csv]).status == 0)
        let originals = try codes.map { try zz.readRecord($0) }
        for uscc in codes { try FileManager.default.removeItem(atPath: zz.recordPath(uscc)) }
        var text = try String(contentsOfFile: csv, encoding: .utf8)
        // One row with a wrong check character in its credit code (line 4 of the file).
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let broken = lines[3].prefix(17) + (lines[3].dropFirst(17).first == "0" ? "1" : "0") + lines[3].dropFirst(18)
        lines[3] = String(broken)
        text = lines.joined(separator: "\n")
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        let imported = try zz.agent(["record", "import", csv])
        #expect(imported.status == 3, "\(imported)")
        #expect(imported.stdout.contains("export.csv:4"))
        #expect(imported.stdout.contains("24 records written"))
        for (uscc, original) in zip(codes, originals) where FileManager.default.fileExists(atPath: zz.recordPath(uscc)) {
            #expect(try zz.readRecord(uscc) == original)
        }
    }
}

extension VerticalSliceTests {
    @Test func anEditMadeWhileAChangeSetWaitsInTheOutboxIsKept() throws {
        let (province, zz, _) = try setUp("afterseal")
        defer { province.stop() }
        let uscc = try zz.generate(3, seed: 14)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        let original = try zz.readRecord(uscc)["employees"]!
        try zz.edit(uscc, ["employees": 9999])
        #expect(try zz.agent(["push"], environment: ["ESYNC_SERVER_URL": "http://127.0.0.1:9"]).status == 5)
        // The operator takes the edit back while the sealed change set waits.
        try zz.edit(uscc, ["employees": original])
        #expect(try zz.agent(["push"]).status == 0)
        #expect(try zz.readRecord(uscc)["employees"] == original)
        #expect(try province.record(uscc).document["employees"] == original)
    }

    @Test func aChangeSetLargerThanTheProvinceTakesIsSplitNotStuck() throws {
        let province = try AggregatorProcess(regions: [Self.zhengzhou], name: "split", environment: ["ESYNC_LIMITS_MAX_RECORDS_PER_CHANGE_SET": "3"])
        defer { province.stop() }
        let zz = try AgentHandle(region: Self.zhengzhou, aggregator: province)
        let codes = try zz.generate(8, seed: 15)
        let push = try zz.agent(["push"])
        #expect(push.status == 0, "\(push)")
        #expect(push.stderr.contains("split in two"))
        for uscc in codes { #expect(try province.record(uscc).revision == 1) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: zz.storePath + "/.esync/outbox").isEmpty)
    }
}

extension VerticalSliceTests {
    /// A push of several change sets sends each while the next is sealed (`PushPipeline`), two
    /// in flight: they still arrive once each, are merged in the order sealed, and the store
    /// agrees afterwards.
    @Test func aPushOfManyChangeSetsIsSentWhileSealedAndArrivesOnceInOrder() throws {
        let (province, zz, _) = try setUp("pipeline")
        defer { province.stop() }
        let handle = try #require(FileHandle(forWritingAtPath: zz.configPath))
        handle.seekToEndOfFile()
        handle.write(Data("\nsync:\n  maxRecordsPerChangeSet: 3\n".utf8))
        try handle.close()
        let codes = try zz.generate(20, seed: 17)
        let push = try zz.agent(["push"])
        #expect(push.status == 0, "\(push)")
        #expect(push.stdout.contains("20 records sent in 7 change sets, 20 applied"), "\(push)")
        // New records go whole once an answer said the province takes them: the first change
        // sets are sealed before any answer came.
        let sealed = push.stderr.split(separator: "\n").filter { $0.contains("sealed change set") }
        #expect(sealed.count == 7 && !sealed[0].contains("sent whole") && sealed.last?.contains("(2 new, sent whole)") == true, "\(push)")
        for uscc in codes {
            let record = try province.record(uscc)
            let file = try zz.readRecord(uscc)
            #expect(record.revision == 1 && record.document == file)
        }
        #expect(try zz.outboxFiles().isEmpty)
        // Two in flight once the first answer said the province takes them in turn: every change
        // set from the third on was sent after the one before, before its answer.
        let metrics = try PrometheusText(province.request(.get, "/metrics").bodyString)
        #expect(metrics.value("esync_changesets_pipelined_total") == 5 && metrics.value("esync_changesets_total", ["result": "applied"]) == 7)
        // In zstd once an answer said the province takes it (`ESync-Accepts: zstd`); the first
        // ones, compressed before any answer came, in gzip.
        let zstd = metrics.value("esync_changesets_received_total", ["encoding": "zstd"]) ?? 0
        let gzip = metrics.value("esync_changesets_received_total", ["encoding": "gzip"]) ?? 0
        #expect(zstd + gzip == 7 && gzip >= 1 && zstd >= 4, "zstd \(zstd), gzip \(gzip)")
        let page = try ChangePage.decode(province.request(.get, "/v1/changes?since=0&limit=100", token: province.bureauTokens[Self.zhengzhou]).body)
        #expect(page.records.map(\.uscc) == codes.sorted())
        #expect(try zz.agent(["verify"]).status == 0)
        #expect(try zz.agent(["diff"]).stdout.contains("nothing to push"))
        // An edit after the pipelined push goes as a one-field change against the right base.
        try zz.edit(codes[4], ["employees": 4321])
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(codes[4]).revision == 2)
        #expect(try province.record(codes[4]).document["employees"] == 4321)
    }

    @Test func aBureauDoesNotDownloadItsOwnPushAgain() throws {
        let (province, zz, _) = try setUp("echo")
        defer { province.stop() }
        let codes = try zz.generate(40, seed: 16)
        let push = try zz.agent(["push"])
        #expect(push.status == 0)
        // Every answer left the document out with a short hash, and every rebuild matched it.
        #expect(!push.stderr.contains("fetching the record"), "\(push)")
        let page = try province.request(.get, "/v1/changes?since=0&limit=100", token: province.bureauTokens[Self.zhengzhou])
        let changes = try ChangePage.decode(page.body)
        #expect(changes.records.count == 40)
        #expect(changes.records.allSatisfy { $0.echo && $0.document == nil && $0.hash != nil })
        // The agent asks for echoes without their hash: it knows them from the push answers.
        let bare = try ChangePage.decode(try province.request(.get, "/v1/changes?since=0&limit=100", token: province.bureauTokens[Self.zhengzhou],
                                                              headers: [(EchoForm.header, EchoForm.revisionsOnly)]).body)
        #expect(bare.records.map(\.revision) == changes.records.map(\.revision))
        #expect(bare.records.allSatisfy { $0.echo && $0.document == nil && $0.hash == nil })
        // Every answer merged (the outbox is empty), the agent asks for none of them at all
        // (`ESync-Echoes: none`): the cursor moves past them, a page of 10 at a time or not.
        let none = try ChangePage.decode(try province.request(.get, "/v1/changes?since=0&limit=10", token: province.bureauTokens[Self.zhengzhou],
                                                              headers: [(EchoForm.header, EchoForm.none)]).body)
        #expect(none.records.isEmpty && !none.more && none.cursor == changes.cursor, "\(none)")
        let pull = try zz.agent(["pull"])
        #expect(pull.stdout.contains("pull: 0 records received") && pull.stdout.contains("cursor \(changes.cursor)"), "\(pull)")
        // What the province changed comes whole, among echoes left out or not.
        #expect(try province.cli(["records", "set", codes[0], "employees=1"]).status == 0)
        let next = try ChangePage.decode(try province.request(.get, "/v1/changes?since=\(changes.cursor)", token: province.bureauTokens[Self.zhengzhou]).body)
        #expect(next.records.count == 1 && !next.records[0].echo && next.records[0].document != nil)
        let all = try ChangePage.decode(try province.request(.get, "/v1/changes?since=0&limit=10", token: province.bureauTokens[Self.zhengzhou],
                                                             headers: [(EchoForm.header, EchoForm.none)]).body)
        #expect(all.records.map(\.uscc) == [codes[0]] && all.cursor == next.cursor && !all.more, "\(all)")
        let merged = try zz.agent(["pull"])
        #expect(merged.stdout.contains("pull: 1 record received, 1 merged"), "\(merged)")
        #expect(try zz.readRecord(codes[0])["employees"] == 1)
    }
}
