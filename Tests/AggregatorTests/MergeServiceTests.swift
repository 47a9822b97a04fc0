@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The province's merge against a real SQLite file in a temporary folder.
@Suite struct MergeServiceTests {
    let temporary = TemporaryFolder("merge")
    var folder: String { temporary.path }
    let service: MergeService
    let zhengzhou = Principal(role: .bureau, region: "410100", name: "bureau 410100")
    let kaifeng = Principal(role: .bureau, region: "410200", name: "bureau 410200")
    let reviewer = Principal(role: .reviewer, region: nil, name: "wang")
    let record: JSONValue

    init() async throws {
        service = MergeService(database: try await TestRegister.open(temporary.path + "/province.sqlite"))
        var generator = SampleGenerator(seed: 7)
        record = generator.next(region: Regions.region(code: "410100")).json
    }

    var uscc: String { record["uscc"]!.stringValue! }

    func create(_ doc: JSONValue, id: String = UUID().uuidString, as principal: Principal? = nil) async throws -> ChangeSetResult {
        let change = RecordDiff.change(uscc: doc["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: doc)!
        return try await service.apply(ChangeSet(id: id, region: (principal ?? zhengzhou).region!, createdAt: "now", records: [change]), from: principal ?? zhengzhou)
    }

    @Test func aNewRecordIsAppliedAtRevisionOneWithProvenance() async throws {
        let result = try await create(record)
        #expect(result.records.first?.outcome == .applied)
        #expect(result.records.first?.revision == 1)
        let view = try await service.record(uscc, for: reviewer)
        #expect(view.document == record)
        #expect(view.provenance["name"]?.source == "region:410100")
    }

    @Test func aNewRecordsFieldsShareOneProvenanceRowUntilOneIsWritten() async throws {
        _ = try await create(record)
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(4321))
        let change = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!
        _ = try await service.apply(ChangeSet(id: "e1", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        let view = try await service.record(uscc, for: reviewer)
        // Every leaf has a provenance: the creation's, or the edit's for the edited field.
        #expect(Set(view.provenance.keys) == Set(FieldPath.flatten(view.document).keys))
        #expect(view.provenance["employees"]?.revision == 2 && view.provenance["employees"]?.changeSet == "e1")
        #expect(view.provenance["name"]?.revision == 1 && view.provenance["contact.phone"]?.revision == 1)
        #expect(view.provenance["~*"] == nil)
    }

    /// `ESync-Answer: hashes`: a record applied as sent comes back as its hash only; one the
    /// province changed otherwise too comes back whole.
    @Test func anAnswerLeavesOutWhatTheAgentCanRebuildAndOnlyThat() async throws {
        let created = try await service.apply(ChangeSet(id: "h0", region: "410100", createdAt: "now",
                                                        records: [RecordDiff.change(uscc: uscc, base: nil, baseRevision: nil, working: record)!]),
                                              from: zhengzhou, answer: .hashes)
        #expect(created.records.first?.document == nil)
        #expect(created.records.first?.hash == ContentHash.of(record))

        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(4321))
        let asSent = try await service.apply(ChangeSet(id: "h1", region: "410100", createdAt: "now",
                                                       records: [RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!]),
                                             from: zhengzhou, answer: .hashes)
        #expect(asSent.records.first?.document == nil)
        #expect(asSent.records.first?.hash == ContentHash.of(edited))

        // The province edited another field meanwhile: the bureau's base is not the province's.
        _ = try await service.patch(uscc, RecordPatch(set: ["name": "省里改的名字有限公司"]), by: reviewer)
        var again = edited
        FieldPath.set(&again, path: "employees", to: .int(5000))
        let moved = try await service.apply(ChangeSet(id: "h2", region: "410100", createdAt: "now",
                                                      records: [RecordDiff.change(uscc: uscc, base: edited, baseRevision: 2, working: again)!]),
                                            from: zhengzhou, answer: .hashes)
        let document = try #require(moved.records.first?.document)
        #expect(document["name"] == "省里改的名字有限公司" && document["employees"] == .int(5000))
        #expect(moved.records.first?.hash == ContentHash.of(document))
        // `short-hashes`: the same, with the hash of a left-out document cut to 16 digits; a
        // document that comes whole keeps its whole hash.
        var shorter = document
        FieldPath.set(&shorter, path: "employees", to: .int(6000))
        let short = try await service.apply(ChangeSet(id: "h3", region: "410100", createdAt: "now",
                                                      records: [RecordDiff.change(uscc: uscc, base: document, baseRevision: 4, working: shorter)!]),
                                            from: zhengzhou, answer: .shortHashes)
        #expect(short.records.first?.document == nil && short.records.first?.revision == 5)
        #expect(short.records.first?.hash == String(ContentHash.of(shorter).prefix(16)))
        #expect(AnswerForm(header: "Short-Hashes") == .shortHashes && AnswerForm(header: "hashes") == .hashes)
        #expect(AnswerForm(header: nil) == .documents && AnswerForm(header: "all") == .documents)
        // Without the header every answer carries its document, as before.
        var generator = SampleGenerator(seed: 8)
        let plain = try await create(generator.next(region: Regions.region(code: "410100")).json)
        #expect(plain.records.first?.document != nil)
    }

    /// A record sent twice in one change set: both revisions in history, the second one stands.
    @Test func aRecordSentTwiceInOneChangeSetEndsAtItsSecondRevision() async throws {
        _ = try await create(record)
        var once = record, twice = record
        FieldPath.set(&once, path: "employees", to: .int(1111))
        FieldPath.set(&twice, path: "employees", to: .int(2222))
        FieldPath.set(&twice, path: "contact.phone", to: "0371-2222222")
        let first = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: once)!
        let second = RecordDiff.change(uscc: uscc, base: once, baseRevision: 2, working: twice)!
        let result = try await service.apply(ChangeSet(id: "twice", region: "410100", createdAt: "now", records: [first, second]), from: zhengzhou)
        #expect(result.records.map(\.revision) == [2, 3])
        let view = try await service.record(uscc, for: reviewer)
        #expect(view.revision == 3 && view.document == twice)
        let history = try await service.history(uscc, for: reviewer)
        #expect(history.map(\.revision) == [1, 2, 3] && history.last?.document == twice && history[1].document == once)
    }

    @Test func aReplayedChangeSetAppliesNothingTwice() async throws {
        _ = try await create(record)
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(4321))
        let change = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!
        let set = ChangeSet(id: "replay-1", region: "410100", createdAt: "now", records: [change])
        let first = try await service.apply(set, from: zhengzhou)
        let second = try await service.apply(set, from: zhengzhou)
        #expect(first.records.first?.revision == 2)
        #expect(second.replayed)
        #expect(second.records.first?.revision == 2)
        #expect(try await service.record(uscc, for: reviewer).revision == 2)
    }

    @Test func concurrentEditOfOneFieldIsQueuedAndOtherFieldsApply() async throws {
        _ = try await create(record)
        _ = try await service.patch(uscc, RecordPatch(set: ["name": "省里改的名字有限公司"]), by: reviewer)
        var edited = record
        FieldPath.set(&edited, path: "name", to: "区里改的名字有限公司")
        FieldPath.set(&edited, path: "employees", to: .int(77))
        let change = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!
        let result = try await service.apply(ChangeSet(id: "c1", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        let r = try #require(result.records.first)
        #expect(r.outcome == .partial)
        #expect(r.applied == ["employees"])
        #expect(r.conflicts.map(\.field) == ["name"])
        #expect(r.document?["name"] == "省里改的名字有限公司")
        // Sending the same pending value again does not queue a second conflict.
        let again = try await service.apply(ChangeSet(id: "c2", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        #expect(again.records.first?.conflicts == r.conflicts)
    }

    @Test func anotherRegionsRecordIsForbiddenAndNothingChanges() async throws {
        _ = try await create(record)
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(1))
        let change = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!
        await #expect(throws: ServiceError.self) {
            try await service.apply(ChangeSet(id: "k1", region: "410200", createdAt: "now", records: [change]), from: kaifeng)
        }
        #expect(try await service.record(uscc, for: reviewer).revision == 1)
        await #expect(throws: ServiceError.self) { try await service.record(uscc, for: kaifeng) }
    }

    @Test func anInvalidMergedRecordIsRejectedNamingTheField() async throws {
        _ = try await create(record)
        let change = RecordChange(uscc: uscc, op: .update, fields: ["employees": FieldChange(expected: record["employees"], value: .int(-5))], baseRevision: 1)
        let result = try await service.apply(ChangeSet(id: "bad", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        #expect(result.records.first?.outcome == .rejected)
        #expect(result.records.first?.reason?.contains("employees") == true)
        #expect(try await service.record(uscc, for: reviewer).revision == 1)
    }

    @Test func aDeleteIsARequestThatLeavesTheRecord() async throws {
        _ = try await create(record)
        let change = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: nil)!
        let result = try await service.apply(ChangeSet(id: "d1", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        #expect(result.records.first?.outcome == .deleteRequested)
        let view = try await service.record(uscc, for: reviewer)
        #expect(!view.deleted && view.revision == 1)
    }

    /// The mass-change guard and the regions' page count a region's live records from its
    /// report totals (a few rows), not from the records (a region of 100,000 took milliseconds
    /// a change set): after creates, a move to another region and an approved delete, the
    /// totals must say what the records say.
    @Test func aRegionsLiveRecordsAreWhatItsRecordsSay() async throws {
        var generator = SampleGenerator(seed: 71)
        let records = (0..<3).map { _ in generator.next(region: Regions.region(code: "410100")).json }
        for record in records { _ = try await create(record) }
        var moved = records[0]
        FieldPath.set(&moved, path: "region", to: "410200")
        FieldPath.set(&moved, path: "county", to: "410202")
        let transfer = try await service.apply(ChangeSet(id: "move", region: "410100", createdAt: "now",
                                                         records: [RecordDiff.change(uscc: moved["uscc"]!.stringValue!, base: records[0], baseRevision: 1, working: moved)!]),
                                               from: zhengzhou)
        let deleted = records[1]["uscc"]!.stringValue!
        let delete = try await service.apply(ChangeSet(id: "delete", region: "410100", createdAt: "now",
                                                       records: [RecordDiff.change(uscc: deleted, base: records[1], baseRevision: 1, working: nil)!]), from: zhengzhou)
        for conflict in (transfer.records + delete.records).flatMap(\.conflicts) {
            _ = try await ConflictService(database: service.database).resolve(conflict.conflictId, Resolution(decision: .takeIncoming), by: reviewer)
        }
        #expect(try await service.record(deleted, for: reviewer).deleted)
        for (region, live) in [("410100", 1), ("410200", 1), ("410300", 0)] {
            let counted = try service.database.sql("SELECT COUNT(*) FROM records WHERE region = '\(region)' AND deleted = \(TestRegister.isPostgreSQL ? "false" : "0")")
            #expect(try await service.database.read { try $0.liveRecords(region: region) } == live && counted == "\(live)", "region \(region)")
        }
    }

    @Test func changesArePagedByCursorPerRegion() async throws {
        var generator = SampleGenerator(seed: 11)
        let docs = generator.records(count: 5, regions: [Regions.region(code: "410100")!]).map(\.json)
        for doc in docs { _ = try await create(doc) }
        let first = try await service.changes(region: "410100", since: 0, limit: 3)
        #expect(first.records.count == 3 && first.more)
        let second = try await service.changes(region: "410100", since: first.cursor, limit: 3)
        #expect(second.records.count == 2 && !second.more)
        #expect(try await service.changes(region: "410200", since: 0, limit: 10).records.isEmpty)
    }
}

extension MergeServiceTests {
    @Test func aSecondRegionRegisteringTheSameCodeIsToldWhyAndTheRestApplies() async throws {
        _ = try await create(record)
        var claim = record
        FieldPath.set(&claim, path: "region", to: "410200")
        FieldPath.set(&claim, path: "county", to: "410202")
        var generator = SampleGenerator(seed: 99)
        let own = generator.next(region: Regions.region(code: "410200")).json
        let changes = [claim, own].map { RecordDiff.change(uscc: $0["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: $0)! }
        let result = try await service.apply(ChangeSet(id: "dup", region: "410200", createdAt: "now", records: changes), from: kaifeng)
        #expect(result.records[0].outcome == .rejected)
        #expect(result.records[0].reason?.contains("410100") == true)
        #expect(result.records[1].outcome == .applied)
        #expect(try await service.record(uscc, for: reviewer).region == "410100")
    }

    /// The mass-change guard judges a push split into pieces by the whole push, once: the
    /// earlier pieces of the same push are not counted again with the region's recent changes
    /// (a push of 20 updates in pieces of 10, under a threshold of 25, had its second piece held).
    @Test func theGuardCountsAPushSplitIntoPiecesOnce() async throws {
        let guarded = MergeService(database: try await TestRegister.open(folder + "/guarded.sqlite"), guardRule: MassChangeGuard(share: 0.25, minChanges: 1))
        var generator = SampleGenerator(seed: 21)
        let docs = (0..<100).map { _ in generator.next(region: Regions.region(code: "410100")).json }
        let creates = docs.map { RecordDiff.change(uscc: $0["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: $0)! }
        #expect(try await guarded.apply(ChangeSet(id: "create", region: "410100", createdAt: "now", records: creates), from: zhengzhou).records.count == 100)
        func updates(_ range: Range<Int>, employees: Int64) -> [RecordChange] {
            range.map { n in
                var edited = docs[n]
                FieldPath.set(&edited, path: "employees", to: .int(employees * 100_000 + Int64(n)))
                return RecordDiff.change(uscc: docs[n]["uscc"]!.stringValue!, base: docs[n], baseRevision: 1, working: edited)!
            }
        }
        func piece(_ id: String, push: String, of total: Int, _ changes: [RecordChange]) -> ChangeSet {
            var set = ChangeSet(id: id, region: "410100", createdAt: "now", records: changes)
            set.pushChanges = total
            set.push = push
            return set
        }
        // 20 of 100 records in two pieces: under 25 %, both applied.
        for (k, range) in [0..<10, 10..<20].enumerated() {
            let result = try await guarded.apply(piece("a\(k)", push: "push-a", of: 20, updates(range, employees: 7)), from: zhengzhou)
            #expect(!result.held, "piece \(k): \(result.message ?? "")")
        }
        // Another push counts them: 20 recent + 10 is over 25 %.
        let other = try await guarded.apply(ChangeSet(id: "b", region: "410100", createdAt: "now", records: updates(20..<30, employees: 8)), from: zhengzhou)
        #expect(other.held && (other.message ?? "").contains("30 of the region's 100 records"))
        // A push over the share is held piece by piece, each judged by the whole.
        for (k, range) in [30..<45, 45..<60].enumerated() {
            let result = try await guarded.apply(piece("c\(k)", push: "push-c", of: 30, updates(range, employees: 9)), from: zhengzhou)
            #expect(result.held, "piece \(k)")
        }
    }

    /// A replayed change set (an answer lost, sent again) is answered with the records as they
    /// are now; one that has since moved to another region is not the bureau's to read any more.
    @Test func aReplayDoesNotShowARecordThatMovedToAnotherRegion() async throws {
        _ = try await create(record, id: "created")
        var moved = record
        FieldPath.set(&moved, path: "region", to: "410200")
        FieldPath.set(&moved, path: "county", to: "410202")
        FieldPath.set(&moved, path: "name", to: "开封迁入企业有限公司")
        let transfer = try await service.apply(ChangeSet(id: "move", region: "410100", createdAt: "now",
                                                         records: [RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: moved)!]), from: zhengzhou)
        let conflict = try #require(transfer.records.first?.conflicts.first?.conflictId)
        _ = try await ConflictService(database: service.database).resolve(conflict, Resolution(decision: .takeIncoming), by: reviewer)
        #expect(try await service.record(uscc, for: reviewer).region == "410200")

        let replay = try await create(record, id: "created")
        #expect(replay.replayed)
        let answer = try #require(replay.records.first)
        #expect(answer.document == nil && answer.revision == nil && answer.hash == nil, "\(answer)")
        #expect(!String(decoding: replay.encoded(), as: UTF8.self).contains("开封迁入"))
    }

    /// A bureau's change of a province field is kept as an automatic decision; when the same
    /// record is then refused (an invalid field), that decision must not stay in the queue.
    @Test func aRefusedRecordLeavesNoAutomaticDecisionBehind() async throws {
        _ = try await create(record)
        var edited = record
        FieldPath.set(&edited, path: "srdi", to: ["year": 2025, "batch": "第一批"])
        FieldPath.set(&edited, path: "employees", to: "many")
        let change = RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!
        let result = try await service.apply(ChangeSet(id: "refused", region: "410100", createdAt: "now", records: [change]), from: zhengzhou)
        #expect(result.records.first?.outcome == .rejected && result.records.first?.reason?.contains("employees") == true, "\(result)")
        let left = try await ConflictService(database: service.database).list(.init(status: nil, uscc: uscc), for: reviewer)
        #expect(left.isEmpty, "\(left.map { "\($0.kind) \($0.field)" })")
    }

    // MARK: - Planned ahead of the writer

    /// An edit of `employees` as the bureau's agent sends it: with a clock of its own, so that the
    /// province plans it ahead of the writer (`MergeService.prepare`).
    func clockedEdit(id: String) -> ChangeSet {
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(4321))
        var changeSet = ChangeSet(id: id, region: "410100", createdAt: "now",
                                  records: [RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!])
        changeSet.clock = HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")
        return changeSet
    }

    func write(_ changeSet: ChangeSet, prepared: MergeService.Prepared) async throws -> (result: ChangeSetResult, plannedAhead: Bool) {
        try await service.database.write { [service, zhengzhou] register in
            try service.applyInTransaction(changeSet, seal: ChangeSetSeal(changeSet), region: "410100", principal: zhengzhou, answer: .documents,
                                           register: register, prepared: prepared)
        }
    }

    /// The writer writes a plan made ahead when the records are as it was made from (a source
    /// put into the plan marks it here), at the time of the write.
    @Test func aMergePlannedAheadIsWrittenAsPlanned() async throws {
        _ = try await create(record)
        let changeSet = clockedEdit(id: "ahead")
        var prepared = try #require(await service.prepare(changeSet, region: "410100", source: zhengzhou.source, answer: .documents))
        #expect(prepared.plan.revisions.map(\.revision) == [2] && prepared.stored[uscc]?.revision == 1)
        prepared.plan.context.source = "planned-ahead"
        prepared.plan.context.at = "2026-01-02T03:04:05Z"
        let (result, plannedAhead) = try await write(changeSet, prepared: prepared)
        #expect(plannedAhead && result.records.map(\.outcome) == [.applied] && result.records.first?.revision == 2)
        let last = try #require(try await service.history(uscc, for: reviewer).last)
        #expect(last.source == "planned-ahead" && last.document?["employees"] == .int(4321))
        #expect(last.at != "2026-01-02T03:04:05Z", "the time of the plan, not of the write")
    }

    /// A large change set whose merge is the only one is read and planned in two halves at once:
    /// the same plan as planned whole, written as planned; a record of the second half written
    /// after the plan makes the writer plan it all again.
    @Test func aLargeChangeSetMergedAloneIsPlannedInHalvesAsWhole() async throws {
        // (Every record of the region changes: no mass-change guard here.)
        let service = MergeService(database: self.service.database, guardRule: MassChangeGuard(share: 1, minChanges: 1_000_000))
        var generator = SampleGenerator(seed: 47)
        let documents = generator.records(count: 161, regions: [Regions.region(code: "410100")!]).map(\.json)
        _ = try await service.apply(ChangeSet(id: "new", region: "410100", createdAt: "now",
                                              records: documents.map { RecordChange(uscc: $0["uscc"]!.stringValue!, creating: $0) }), from: zhengzhou)
        var changeSet = ChangeSet(id: "edits", region: "410100", createdAt: "now", records: documents.enumerated().map { n, document in
            var edited = document
            FieldPath.set(&edited, path: "employees", to: .int(Int64(1_000 + n)))
            return RecordDiff.change(uscc: document["uscc"]!.stringValue!, base: document, baseRevision: 1, working: edited)!
        })
        changeSet.clock = HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")
        func summary(_ plan: WritePlan) -> [String] {
            plan.answers.map { "\($0.result.uscc) \($0.result.outcome) \($0.result.revision ?? 0)" } + plan.revisions.map { "\($0.uscc) \($0.hash) \($0.history.text)" }
        }
        // Nobody holds a slot: planned whole. Holding the only one, as a push does: in halves.
        let whole = try #require(await service.prepare(changeSet, region: "410100", source: zhengzhou.source, answer: .documents))
        await service.planning.acquire()
        #expect(service.planning.heldByOneAlone)
        let halves = try #require(await service.prepare(changeSet, region: "410100", source: zhengzhou.source, answer: .documents))
        service.planning.release()
        #expect(summary(halves.plan) == summary(whole.plan) && halves.plan.revisions.count == 161)
        #expect(halves.stored.count == 161 && halves.plan.affected == 161)
        // A record of the second half written since the plan: planned again, and still right.
        let moved = documents[150]["uscc"]!.stringValue!
        _ = try await service.patch(moved, RecordPatch(set: ["name": "省里改的名字有限公司"]), by: reviewer)
        let (result, plannedAhead) = try await service.database.write { [zhengzhou, changeSet] register in
            try service.applyInTransaction(changeSet, seal: ChangeSetSeal(changeSet), region: "410100", principal: zhengzhou, answer: .documents,
                                           register: register, prepared: halves)
        }
        #expect(!plannedAhead, "the write since the plan was seen")
        #expect(result.records.count == 161 && result.records.allSatisfy { $0.outcome == .applied })
        #expect(try await service.record(moved, for: reviewer).document["name"] == "省里改的名字有限公司")
        #expect(try await service.record(moved, for: reviewer).document["employees"] == .int(1_150))
    }

    /// A bureau's push goes through the plan made ahead; one without a clock does not.
    @Test func aPushWithAClockIsPlannedAheadOfTheWriter() async throws {
        _ = try await create(record)
        let timed = try await service.applyTimed(clockedEdit(id: "timed"), from: zhengzhou)
        #expect(timed.result.records.map(\.outcome) == [.applied] && timed.planned > .zero && !timed.plannedAgain)
        var unclocked = clockedEdit(id: "unclocked")
        unclocked.clock = nil
        let untimed = try await service.applyTimed(unclocked, from: zhengzhou)
        #expect(untimed.planned == .zero && !untimed.plannedAgain)
    }

    /// A push refused in its transaction gives back its slot: with one slot, the next push
    /// still goes through.
    @Test func aRefusedPushGivesBackItsPlanningSlot() async throws {
        let one = MergeService(database: service.database, plannedAhead: 1)
        _ = try await create(record)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await one.applyTimed(clockedEdit(id: "refused"), from: zhengzhou, before: { _ in throw Refused() })
        }
        try #require(one.planning.available == 1, "the refused push kept its slot: the next would wait for ever")
        let result = try await one.applyTimed(clockedEdit(id: "next"), from: zhengzhou).result
        #expect(result.records.map(\.outcome) == [.applied] && one.planning.available == 1)
    }

    /// A record written between the plan and the writer (here a province edit of another
    /// field) makes the writer plan again from the record as it is: the edit stays, and the
    /// plan made ahead (which would have written the record without it) is dropped.
    @Test func aMergePlannedAheadFromARecordChangedSinceIsPlannedAgain() async throws {
        _ = try await create(record)
        let changeSet = clockedEdit(id: "stale")
        var prepared = try #require(await service.prepare(changeSet, region: "410100", source: zhengzhou.source, answer: .documents))
        prepared.plan.context.source = "planned-ahead"
        _ = try await service.patch(uscc, RecordPatch(set: ["name": "省里改的名字有限公司"]), by: reviewer)
        let (result, plannedAhead) = try await write(changeSet, prepared: prepared)
        #expect(!plannedAhead && result.records.map(\.outcome) == [.applied] && result.records.first?.revision == 3)
        let view = try await service.record(uscc, for: reviewer)
        #expect(view.document["name"] == "省里改的名字有限公司" && view.document["employees"] == .int(4321))
        #expect(try await service.history(uscc, for: reviewer).last?.source == zhengzhou.source)
    }

    /// Writes of other records since the plan leave it as it was made: the writer checks the
    /// records it touches, not the register (a few writes since: the history written since; more
    /// than the change set has records: each record's place in the change sequence).
    @Test func aMergePlannedAheadStaysWhenOnlyOtherRecordsWereWrittenSince() async throws {
        _ = try await create(record)
        var generator = SampleGenerator(seed: 8)
        let other = generator.next(region: Regions.region(code: "410100")).json
        let otherCode = try #require(other["uscc"]?.stringValue)
        _ = try await create(other)
        for (n, writesSince) in [1, 3].enumerated() {
            let changeSet = clockedEdit(id: "ahead-\(n)")
            let prepared = try #require(await service.prepare(changeSet, region: "410100", source: zhengzhou.source, answer: .documents))
            for k in 0..<writesSince {
                _ = try await service.patch(otherCode, RecordPatch(set: ["name": .string("别的企业\(n)-\(k)有限公司")]), by: reviewer)
            }
            let (result, plannedAhead) = try await write(changeSet, prepared: prepared)
            // (The second sends the same edit again: the province has it already.)
            #expect(plannedAhead && result.records.map(\.outcome) == [n == 0 ? .applied : .unchanged], "\(writesSince) writes of another record since")
        }
    }

    /// A record the plan would create, created by another change set since, is planned again
    /// from the record as it now is.
    @Test func aMergePlannedAheadOfARecordCreatedSinceIsPlannedAgain() async throws {
        var changeSet = ChangeSet(id: "create-ahead", region: "410100", createdAt: "now",
                                  records: [RecordDiff.change(uscc: uscc, base: nil, baseRevision: nil, working: record)!])
        changeSet.clock = HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")
        let prepared = try #require(await service.prepare(changeSet, region: "410100", source: zhengzhou.source, answer: .documents))
        #expect(prepared.stored.isEmpty && prepared.plan.revisions.map(\.revision) == [1])
        _ = try await create(record, id: "created-meanwhile")
        let (result, plannedAhead) = try await write(changeSet, prepared: prepared)
        #expect(!plannedAhead && result.records.first?.revision == 1)
        #expect(try await service.history(uscc, for: reviewer).count == 1)
    }

    /// What cannot be planned ahead is left to the writer: a change set without a clock (its
    /// edit time is the province's next tick) and one applied already (answered from its result).
    @Test func whatCannotBePlannedAheadIsLeftToTheWriter() async throws {
        _ = try await create(record)
        var unclocked = clockedEdit(id: "no-clock")
        unclocked.clock = nil
        #expect(await service.prepare(unclocked, region: "410100", source: zhengzhou.source, answer: .documents) == nil)
        let applied = clockedEdit(id: "applied")
        _ = try await service.apply(applied, from: zhengzhou)
        #expect(await service.prepare(applied, region: "410100", source: zhengzhou.source, answer: .documents) == nil)
    }
}
