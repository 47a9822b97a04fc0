@testable import Aggregator
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The merge as a pure function: records in, a write plan out, no database.
@Suite struct ChangeSetMergeTests {
    let context = WriteContext(source: "region:410100", changeSet: "cs-1", at: "2026-12-05T00:00:00Z", clock: nil)
    let record: JSONValue
    let other: JSONValue

    init() {
        var generator = SampleGenerator(seed: 11)
        record = generator.next(region: Regions.region(code: "410100")).json
        other = generator.next(region: Regions.region(code: "410200")).json
    }

    func code(_ document: JSONValue) -> String { document["uscc"]!.stringValue! }

    func stored(_ document: JSONValue, revision: Int64 = 1, deleted: Bool = false) -> StoredRecord {
        StoredRecord(uscc: code(document), region: document["region"]!.stringValue!, revision: revision, seq: revision, deleted: deleted,
                     document: document, hash: ContentHash.of(document))
    }

    func edit(_ document: JSONValue, _ path: String, _ value: JSONValue?, base revision: Int64 = 1) -> (RecordChange, JSONValue) {
        var edited = document
        FieldPath.set(&edited, path: path, to: value)
        return (RecordDiff.change(uscc: code(document), base: document, baseRevision: revision, working: edited)!, edited)
    }

    func plan(_ records: [RecordChange], stored: [StoredRecord], refuseForeignRecords: Bool = false) throws -> WritePlan {
        try ChangeSetMerge.plan(ChangeSet(id: "cs-1", region: "410100", createdAt: "now", records: records), region: "410100",
                                stored: Dictionary(uniqueKeysWithValues: stored.map { ($0.uscc, $0) }), policy: .standard, context: context,
                                refuseForeignRecords: refuseForeignRecords, clocks: { _ in [:] })
    }

    @Test func anUpdateBecomesOneRevisionWithWhatChanged() throws {
        let (change, edited) = edit(record, "employees", .int(4321))
        let plan = try plan([change], stored: [stored(record)])
        #expect(plan.affected == 1 && plan.conflicts.isEmpty)
        let revision = try #require(plan.revisions.first)
        #expect(plan.revisions.count == 1 && revision.kind == .update && revision.revision == 2 && revision.document == edited)
        #expect(revision.hash == ContentHash.of(edited) && revision.changedFields == ["employees"])
        #expect(revision.changes == .updated([HistoryEntry.FieldChange(field: "employees", from: record["employees"], to: .int(4321))]))
        #expect(plan.answers.map(\.result.outcome) == [.applied] && plan.answers.first?.result.revision == 2)
    }

    /// A new record's history is written from the document's canonical text, not encoded again:
    /// the same text as the history's own form.
    @Test func aNewRecordsHistoryTextIsTheHistorysOwnForm() throws {
        var generator = SampleGenerator(seed: 27)
        for record in generator.records(count: 20, regions: [Regions.region(code: "410100")!]) {
            let revision = WritePlan.Revision(kind: .create, uscc: record.uscc.rawValue, region: "410100", previous: nil, document: record.json,
                                              changedFields: ["*"])
            #expect(revision.history.text == revision.changes.text && revision.history.op == "create")
        }
        let update = WritePlan.Revision(kind: .update, uscc: "u", region: "410100",
                                        previous: StoredRecord(uscc: "u", region: "410100", revision: 1, seq: 1, deleted: false,
                                                               document: ["employees": 1, "name": "甲"], hash: "h"),
                                        document: ["employees": 2, "name": "甲"], changedFields: ["employees"])
        #expect(update.history.op == "update" && update.history.text == #"{"employees":{"from":1,"to":2}}"#)
    }

    /// A revision carries the report's facts before and after it, made with the plan (outside
    /// the writer), and none when it changed no field they are made from.
    @Test func aRevisionCarriesItsReportFactsOnlyWhenTheyMayMove() throws {
        let (employees, _) = edit(record, "employees", .int(4321))
        let counted = try #require(try plan([employees], stored: [stored(record)]).revisions.first?.facts)
        #expect(counted.old?.employees != counted.new.employees && counted.new.employees == .integer(4321))
        let (phone, _) = edit(record, "contact.phone", "0371-12345678")
        let revision = try #require(try plan([phone], stored: [stored(record)]).revisions.first)
        #expect(revision.changedFields == ["contact.phone"] && revision.facts == nil)
    }

    @Test func aNewRecordIsCreatedWhole() throws {
        let change = RecordDiff.change(uscc: code(record), base: nil, baseRevision: nil, working: record)!
        let plan = try plan([change], stored: [])
        #expect(plan.affected == 0 && plan.revisions.map(\.kind) == [.create] && plan.revisions.first?.changes == .created(record))
    }

    /// A record sent whole is what its leaves sent as new fields would be: the same revision,
    /// outcome and answer, but for `applied` (no field was sent).
    @Test func aRecordSentWholeIsMergedAsItsFieldsWouldBe() throws {
        var generator = SampleGenerator(seed: 31)
        var records = generator.records(count: 30, regions: [Regions.region(code: "410100")!]).map(\.json)
        var invalid = records[0]
        FieldPath.set(&invalid, path: "employees", to: "many")
        records.append(invalid)
        var wrongCode = records[1]
        FieldPath.set(&wrongCode, path: "uscc", to: .string(code(records[2])))
        let existing = records[3]
        let cases: [(JSONValue, String, [StoredRecord])] = records.map { ($0, code($0), []) }
            + [(wrongCode, code(records[1]), []), (existing, code(existing), [stored(existing)])]
        for (document, uscc, stored) in cases {
            let whole = try plan([RecordChange(uscc: uscc, creating: document)], stored: stored)
            let fields = try plan([RecordChange(uscc: uscc, creating: document).fieldByField], stored: stored)
            var answer = try #require(fields.answers.first).result
            if whole.answers.first?.result.outcome == .applied { answer.applied = [] }
            #expect(whole.answers.first?.result == answer, "\(uscc)")
            #expect(whole.revisions.map(\.document) == fields.revisions.map(\.document) && whole.revisions.map(\.hash) == fields.revisions.map(\.hash))
            #expect(whole.revisions.map { $0.changes } == fields.revisions.map { $0.changes })
            #expect(whole.revisions.map { $0.history.text } == fields.revisions.map { $0.history.text })
            #expect(whole.revisions.map { $0.facts?.new } == fields.revisions.map { $0.facts?.new })
            #expect(whole.conflicts.count == fields.conflicts.count)
        }
        #expect(try plan([RecordChange(uscc: code(invalid), creating: invalid)], stored: []).answers.first?.result.outcome == .rejected)
        #expect(try plan([RecordChange(uscc: code(existing), creating: existing)], stored: [stored(existing)]).answers.first?.result.outcome == .unchanged)
        // Another region's new record refuses the change set, sent either way.
        #expect(throws: ServiceError.self) { try plan([RecordChange(uscc: code(other), creating: other)], stored: []) }
    }

    /// A change set planned in two halves (`MergeService.prepare`) gives the plan of the whole:
    /// the same revisions, conflicts, answers (naming the same conflicts), mass-change count and
    /// totals' delta.
    @Test func theHalvesOfAChangeSetJoinedAreThePlanOfTheWhole() throws {
        var generator = SampleGenerator(seed: 43)
        let region = Regions.region(code: "410100")!
        // 163 records: halves of 81 and 82 that hold the cases unevenly.
        let documents = generator.records(count: 163, regions: [region]).map(\.json)
        var changes: [RecordChange] = [], stored: [StoredRecord] = []
        for (n, document) in documents.enumerated() {
            switch n % 5 {
            case 0:  // a new record, whole or field by field
                let change = RecordChange(uscc: code(document), creating: document)
                changes.append(n % 2 == 0 ? change : change.fieldByField)
            case 1:  // an edit of a field in the report's facts
                stored.append(self.stored(document))
                changes.append(edit(document, "employees", .int(Int64(n) * 7)).0)
            case 2:  // both sides changed the name: parked
                var province = document
                FieldPath.set(&province, path: "name", to: .string("省厅改名\(n)有限公司"))
                stored.append(self.stored(province, revision: 2))
                changes.append(edit(document, "name", .string("市局改名\(n)有限公司")).0)
            case 3:  // a delete request
                stored.append(self.stored(document))
                changes.append(RecordDiff.change(uscc: code(document), base: document, baseRevision: 1, working: nil)!)
            default:  // an invalid edit: rejected
                stored.append(self.stored(document))
                changes.append(edit(document, "employees", "many").0)
            }
        }
        let changeSet = ChangeSet(id: "cs-1", region: "410100", createdAt: "now", records: changes)
        let rows = Dictionary(uniqueKeysWithValues: stored.map { ($0.uscc, $0) })
        func plan(_ set: ChangeSet) throws -> WritePlan {
            try ChangeSetMerge.plan(set, region: "410100", stored: rows.filter { code in set.records.contains { $0.uscc == code.key } },
                                    policy: .standard, context: context, clocks: { _ in [:] })
        }
        let halves = ChangeSetMerge.halves(of: changeSet, splitAt: 128)
        #expect(halves.count == 2 && halves.map(\.records.count) == [81, 82])
        let whole = try plan(changeSet)
        let joined = ChangeSetMerge.joined(try plan(halves[0]), try plan(halves[1]), of: changeSet, stored: rows)
        #expect(joined.answers.map(\.result) == whole.answers.map(\.result))
        #expect(joined.answers.map { $0.conflicts.map { "\($0.field)#\($0.index)" } } == whole.answers.map { $0.conflicts.map { "\($0.field)#\($0.index)" } })
        #expect(joined.revisions.map { "\($0.uscc) \($0.revision) \($0.hash) \($0.history.text)" } == whole.revisions.map { "\($0.uscc) \($0.revision) \($0.hash) \($0.history.text)" })
        func conflict(_ c: WritePlan.Conflict) -> String {
            "\(c.uscc) \(c.field) \(c.kind) \(String(describing: c.expected)) \(String(describing: c.current)) \(String(describing: c.incoming)) \(String(describing: c.decision)) \(c.rule ?? "")"
        }
        #expect(joined.conflicts.map(conflict) == whole.conflicts.map(conflict))
        #expect(joined.revisions.map { "\($0.kind) \($0.region) \($0.changedFields)" } == whole.revisions.map { "\($0.kind) \($0.region) \($0.changedFields)" })
        #expect(joined.revisions.map { $0.facts?.new } == whole.revisions.map { $0.facts?.new })
        #expect(joined.affected == whole.affected && whole.affected == 130)
        #expect(joined.delta?.totals == whole.delta?.totals && joined.delta?.measures == whole.delta?.measures)
        #expect(whole.conflicts.count >= 64 && whole.answers.contains { $0.result.outcome == .rejected }, "the cases were met")
        // A record sent twice stays in one plan; so does a small change set.
        var twice = changeSet
        twice.records.append(changes[1])
        #expect(ChangeSetMerge.halves(of: twice, splitAt: 128).count == 1)
        #expect(ChangeSetMerge.halves(of: ChangeSet(id: "c", region: "410100", createdAt: "now", records: Array(changes.prefix(127))), splitAt: 128).count == 1)
    }

    @Test func aRecordSentTwiceIsMergedTheSecondTimeOverTheFirst() throws {
        let (first, once) = edit(record, "employees", .int(1))
        let (second, twice) = edit(once, "name", "再改名", base: 2)
        let plan = try plan([first, second], stored: [stored(record)])
        #expect(plan.revisions.map(\.revision) == [2, 3] && plan.revisions.last?.document == twice)
        #expect(plan.revisions.last?.previous?.document == once)
    }

    @Test func aRefusedRecordLeavesNothingInThePlan() throws {
        // The bureau sets a province field (an automatic decision) and makes the record invalid.
        var edited = record
        FieldPath.set(&edited, path: "srdi", to: ["year": 2026, "batch": 1, "validUntil": "2028-12-31"])
        FieldPath.set(&edited, path: "employees", to: "many")
        let change = RecordDiff.change(uscc: code(record), base: record, baseRevision: 1, working: edited)!
        let plan = try plan([change], stored: [stored(record)])
        #expect(plan.answers.map(\.result.outcome) == [.rejected] && plan.answers.first?.conflicts.isEmpty == true)
        #expect(plan.revisions.isEmpty && plan.conflicts.isEmpty)
    }

    @Test func bothSidesChangedAFieldParksItAndAppliesTheRest() throws {
        var province = record
        FieldPath.set(&province, path: "name", to: "省里的名称")
        var bureau = record
        FieldPath.set(&bureau, path: "name", to: "局里的名称")
        FieldPath.set(&bureau, path: "contact.phone", to: "0371-1234567")
        let change = RecordDiff.change(uscc: code(record), base: record, baseRevision: 1, working: bureau)!
        let plan = try plan([change], stored: [stored(province, revision: 2)])
        #expect(plan.answers.map(\.result.outcome) == [.partial] && plan.revisions.first?.changedFields == ["contact.phone"])
        #expect(plan.conflicts.map(\.field) == ["name"] && plan.conflicts.first?.decision == nil)
        #expect(plan.answers.first?.conflicts.map(\.index) == [0])
    }

    @Test func aDeleteIsARequestAndAnotherRegionsRecordRefusesTheWholeChangeSet() throws {
        let delete = RecordChange(uscc: code(record), op: .delete, expectedHash: ContentHash.of(record))
        let plan = try plan([delete], stored: [stored(record)])
        #expect(plan.revisions.isEmpty && plan.conflicts.map(\.kind) == ["delete"] && plan.answers.map(\.result.outcome) == [.deleteRequested])

        let (foreign, _) = edit(other, "employees", .int(5))
        #expect(throws: ServiceError.self) { try self.plan([foreign], stored: [stored(other)]) }
        let alone = try self.plan([foreign, delete], stored: [stored(other), stored(record)], refuseForeignRecords: true)
        #expect(alone.answers.map(\.result.outcome) == [.rejected, .deleteRequested] && alone.answers.last?.conflicts.map(\.index) == [0])
    }
}

/// The history's stored form, written out directly, is the canonical JSON of its changes.
@Suite struct HistoryEntryTests {
    @Test func theChangesTextIsTheCanonicalJSONAndReadsBack() throws {
        let changes: [HistoryEntry.FieldChange] = [
            .init(field: "employees", from: .int(120), to: .int(135)),
            .init(field: "contact.phone", from: nil, to: .string("0371-\"1\"\n")),
            .init(field: "srdi", from: .object(["year": .int(2024), "batch": .int(1)]), to: nil),
            .init(field: "名称", from: .null, to: .string("新")),
            .init(field: "a~1b", from: .array([.int(1), .bool(true)]), to: .double(1.5)),
        ]
        var members: JSONObject = [:]
        for change in changes {
            var sides: JSONObject = [:]
            sides["from"] = change.from
            sides["to"] = change.to
            members[change.field] = .object(sides)
        }
        let text = HistoryEntry.Changes.updated(changes).text
        #expect(text == JSONValue.object(members).canonicalString)
        let read = try #require(HistoryEntry.Changes(op: "update", text: text))
        #expect(read == .updated(changes.sorted { $0.field < $1.field }))
    }
}
