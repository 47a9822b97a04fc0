@testable import Agent
import EnterpriseModel
import SyncCore
import Testing

/// The checks of the province's answers, one by one (the agent against a hostile province as a
/// whole is `HostileProvinceTests` in EndToEndTests).
@Suite struct ProvinceAnswersTests {
    static let region = "410100"

    static func document(_ seed: UInt64, region: String = region) -> JSONValue {
        var generator = SampleGenerator(seed: seed)
        return generator.next(region: Regions.region(code: region)).json
    }

    static func record(_ document: JSONValue, seq: Int64) -> ChangedRecord {
        ChangedRecord(uscc: document["uscc"]!.stringValue!, revision: 1, seq: seq, document: document)
    }

    @Test func onlyACanonicalCreditCodeMayNameAFile() {
        let code = Self.document(1)["uscc"]!.stringValue!
        #expect(ProvinceAnswers.problem(withCode: code) == nil)
        for text in ["../../x", "", "..", code.lowercased() == code ? code + " " : code.lowercased(), " " + code, code + "\0",
                     String(code.dropLast()) + (code.last == "0" ? "1" : "0")] {
            #expect(ProvinceAnswers.problem(withCode: text) != nil, "\(text)")
        }
        #expect(ProvinceAnswers.problem(withCode: "-" + code)?.contains("canonical form (\(code))") == true)
    }

    /// A code the province sent is printed so that it cannot forge a line or hide what it is.
    @Test func aCodeThatIsNotOneIsQuotedEscapedAndCut() {
        #expect(ProvinceAnswers.shown("91410100MA44C8Y21G") == "91410100MA44C8Y21G")
        #expect(ProvinceAnswers.shown("../x\n\u{202E}\"\\") == #""../x\u{a}\u{202e}\"\\""#)
        #expect(ProvinceAnswers.shown(String(repeating: "/", count: 5000)) == "\"" + String(repeating: "/", count: 64) + "…\" (5000 characters)")
    }

    @Test func aPageKeepsItsValidRecordsInOrderAndRefusesTheRest() throws {
        let good = (0..<3).map { Self.document(UInt64(10 + $0)) }
        let foreign = Self.document(20, region: "410200")
        let page = ChangePage(cursor: 9, more: false, records: [
            Self.record(good[0], seq: 6),
            Self.record(good[1], seq: 6),                           // seq repeated
            Self.record(good[1], seq: 4),                           // backwards
            Self.record(foreign, seq: 7),                           // another region
            ChangedRecord(uscc: "../../x", revision: 1, seq: 8, document: good[2]),
            ChangedRecord(uscc: good[1]["uscc"]!.stringValue!, revision: 2, seq: 8, document: nil, movedTo: Self.region),  // to the store's own region
            Self.record(good[2], seq: 10),                          // past the cursor
            Self.record(good[1], seq: 9),
        ])
        let (checked, refused) = try ProvinceAnswers.check(page, since: 5, region: Self.region, url: "u")
        #expect(checked.records.map(\.seq) == [6, 9] && checked.cursor == 9)
        #expect(refused.count == 6, "\(refused)")
        #expect(refused.map(\.uscc).contains("\"../../x\""))
    }

    @Test func aCursorThatGoesBackOrStallsWithMoreToComeRefusesThePage() {
        #expect(throws: AgentError.self) { try ProvinceAnswers.check(ChangePage(cursor: 4, more: false, records: []), since: 5, region: Self.region, url: "u") }
        #expect(throws: AgentError.self) { try ProvinceAnswers.check(ChangePage(cursor: 5, more: true, records: []), since: 5, region: Self.region, url: "u") }
        #expect(throws: Never.self) { try ProvinceAnswers.check(ChangePage(cursor: 5, more: false, records: []), since: 5, region: Self.region, url: "u") }
    }

    @Test func aPushAnswerSpeaksOnlyOfTheRecordsSentOnceEach() throws {
        let sent = [Self.document(30), Self.document(31)]
        let changeSet = ChangeSet(id: "cs", region: Self.region, createdAt: "now", records: sent.map {
            RecordChange(uscc: $0["uscc"]!.stringValue!, op: .create, fields: FieldPath.flatten($0).mapValues { FieldChange(expected: nil, value: $0) })
        })
        let codes = sent.map { $0["uscc"]!.stringValue! }
        let answer = ChangeSetResult(id: "cs", records: [
            RecordResult(uscc: codes[0], outcome: .applied, revision: 1, document: sent[0]),
            RecordResult(uscc: codes[0], outcome: .applied, revision: 2, document: sent[0]),   // twice
            RecordResult(uscc: codes[1], outcome: .applied, revision: 1, document: sent[0]),   // another record's document
            RecordResult(uscc: Self.document(32)["uscc"]!.stringValue!, outcome: .applied),   // not sent
        ])
        let (checked, refused) = try ProvinceAnswers.check(answer, sent: changeSet, region: Self.region, url: "u")
        #expect(checked.records.map(\.revision) == [1] && refused.count == 3, "\(refused)")
        #expect(throws: AgentError.self) { try ProvinceAnswers.check(ChangeSetResult(id: "other", records: []), sent: changeSet, region: Self.region, url: "u") }
    }
}
