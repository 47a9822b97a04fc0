import EnterpriseModel
import SyncCore
import Testing

/// The wire types that write their canonical text member by member (`WireJSON+Canonical`) must
/// write exactly what `json.canonicalBytes()` writes: a bureau signs one and the province
/// checks the signature over what it received, and answers are compared by hash.
@Suite struct WireCanonicalTests {
    /// Field names and values of every shape, escapes and Chinese included.
    static func randomChange(_ rng: inout SplitMix64, document: JSONValue) -> RecordChange {
        let names = ["name", "employees", "contact.phone", "名称", "a\"b", "tab\there", "é", "e\u{301}", "z", "~x", "\u{1}"]
        var fields: [String: FieldChange] = [:]
        for name in names where Bool.random(using: &rng) {
            fields[name] = FieldChange(expected: Bool.random(using: &rng) ? FuzzTests.randomValue(&rng) : nil,
                                       value: Int.random(in: 0..<4, using: &rng) == 0 ? nil : FuzzTests.randomValue(&rng))
        }
        let op: RecordChange.Operation = [.create, .update, .delete].randomElement(using: &rng)!
        if op == .create, Bool.random(using: &rng) {
            // Sent whole, with its canonical text made already or not.
            return RecordChange(uscc: document["uscc"]?.stringValue ?? "x", creating: document,
                                canonical: Bool.random(using: &rng) ? document.canonicalBytes() : nil)
        }
        if op == .create { fields = FieldPath.flatten(document).mapValues { FieldChange(expected: nil, value: $0) } }
        var change = RecordChange(uscc: document["uscc"]?.stringValue ?? "x", op: op, fields: fields,
                                  baseRevision: op == .create ? nil : Int64.random(in: 1...9_999, using: &rng),
                                  expectedHash: op == .delete ? "sha256:\(rng.next())" : nil)
        if Bool.random(using: &rng), let field = fields.keys.first { change.recovered = [field: "decision of conflict 12 by reviewer:王"] }
        return change
    }

    @Test func aChangeSetIsWrittenAsItsJSONIsWritten() throws {
        var rng = SplitMix64(seed: 20_261_206)
        var generator = SampleGenerator(seed: 7)
        for n in 0..<300 {
            let records = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Self.randomChange(&rng, document: generator.next().json) }
            var changeSet = ChangeSet(id: "c-\(n)", region: "410100", createdAt: n % 7 == 0 ? "" : "2026-12-06T07:00:00Z",
                                      agent: n % 3 == 0 ? nil : "esync-agent/test \"quoted\"", records: records)
            if n % 2 == 0 { changeSet.clock = HybridTimestamp(milliseconds: 1_795_763_524_123 + Int64(n), counter: n % 3, node: "410100") }
            if n % 5 == 0 {
                changeSet.push = "push-\(n)"
                changeSet.pushChanges = n
            }
            if n % 11 == 0 { changeSet.recovers = "generation-2" }
            if n % 4 == 1 {
                changeSet.previous = n % 8 == 1 ? "" : "ab\(n)"
                changeSet.signer = "fp-\(n)"
                changeSet.signature = "sig/\(n)=="
            }
            #expect(changeSet.encoded() == changeSet.json.canonicalBytes(), "change set \(n)")
            #expect(try ChangeSet.decode(changeSet.encoded()) == changeSet, "change set \(n) reads back")
        }
    }

    @Test func aSealCoversTheSameBytesWrittenEitherWay() throws {
        var generator = SampleGenerator(seed: 3)
        let document = generator.next().json
        var changeSet = ChangeSet(id: "c", region: "410100", createdAt: "2026-12-06T07:00:00Z", agent: "esync-agent/test",
                                  records: [RecordChange(uscc: document["uscc"]!.stringValue!, op: .create,
                                                         fields: FieldPath.flatten(document).mapValues { FieldChange(expected: nil, value: $0) })])
        let seal = try changeSet.sign(after: "", with: SigningKey())
        #expect(seal == ChangeSetSeal(changeSet.json))
        #expect(seal.body(signature: changeSet.signature!) == changeSet.json.canonicalBytes())
    }

    @Test func anAnswerIsWrittenAsItsJSONIsWritten() {
        var rng = SplitMix64(seed: 61)
        var generator = SampleGenerator(seed: 11)
        for n in 0..<200 {
            let outcomes: [RecordResult.Outcome] = [.applied, .partial, .conflict, .unchanged, .rejected, .deleteRequested]
            let records = (0..<Int.random(in: 0...4, using: &rng)).map { k in
                RecordResult(uscc: "u\(k)", outcome: outcomes.randomElement(using: &rng)!,
                             revision: Bool.random(using: &rng) ? Int64(k + 1) : nil,
                             document: Bool.random(using: &rng) ? generator.next().json : nil,
                             hash: Bool.random(using: &rng) ? "h\(k)" : nil,
                             applied: Bool.random(using: &rng) ? ["name", "名称", "a\\b"] : [],
                             conflicts: Bool.random(using: &rng) ? [ConflictRef(field: "employees", conflictId: Int64(k))] : [],
                             reason: Bool.random(using: &rng) ? "统一社会信用代码 \"x\" is invalid\n" : nil)
            }
            var result = ChangeSetResult(id: "c-\(n)", replayed: n % 3 == 0, records: records)
            result.held = n % 4 == 0
            result.message = n % 5 == 0 ? "held: 1,000 of 1,000 records" : nil
            result.clock = n % 2 == 0 ? HybridTimestamp(milliseconds: 1_795_763_524_000, counter: 0, node: "province") : nil
            #expect(result.encoded() == result.json.canonicalBytes(), "answer \(n)")
        }
    }

    @Test func aPageOfTheFeedIsWrittenAsItsJSONIsWritten() throws {
        var rng = SplitMix64(seed: 67)
        var generator = SampleGenerator(seed: 13)
        for n in 0..<200 {
            let records = (0..<Int.random(in: 0...5, using: &rng)).map { k in
                var record = ChangedRecord(uscc: "u\(k)\u{4E2D}", revision: Int64(k + 1), seq: Int64(n * 10 + k),
                                           document: Bool.random(using: &rng) ? generator.next().json : nil,
                                           deleted: Bool.random(using: &rng), movedTo: Bool.random(using: &rng) ? "410200" : nil)
                record.hash = Bool.random(using: &rng) ? "h\"\(k)" : nil
                record.echo = Bool.random(using: &rng)
                return record
            }
            var page = ChangePage(cursor: Int64(n), more: n % 2 == 0, records: records)
            page.clock = n % 3 == 0 ? HybridTimestamp(milliseconds: 1_795_763_524_000, counter: n, node: "province") : nil
            #expect(page.encoded() == page.json.canonicalBytes(), "page \(n)")
            #expect(try ChangePage.decode(page.encoded()) == page, "page \(n) read back")
        }
    }
}
