import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Seeded fuzzing of what arrives from outside: change-set bodies (the aggregator's input) and
/// record documents (a bureau's files, and every change set's fields). Each input must either be
/// read or be refused with an error that says where; none may crash, hang or come back changed.
///
/// `ESYNC_FUZZ_ITERATIONS` (default 3000 per test) sets the length; a soak:
/// `ESYNC_FUZZ_ITERATIONS=200000 swift test --filter FuzzTests`.
@Suite struct FuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["ESYNC_FUZZ_ITERATIONS"] ?? "") ?? 3000

    static func validChangeSet(_ rng: inout SplitMix64) -> [UInt8] {
        var generator = SampleGenerator(seed: rng.next())
        let records = (0..<3).map { _ in
            let document = generator.next().json
            return RecordChange(uscc: document["uscc"]!.stringValue!, op: .create,
                                fields: FieldPath.flatten(document).mapValues { FieldChange(expected: nil, value: $0) })
        }
        var changeSet = ChangeSet(id: "fuzz-\(rng.next())", region: "410100", createdAt: "2026-11-27T00:00:00Z", records: records)
        changeSet.clock = HybridTimestamp(milliseconds: 1_795_763_524_123, counter: 2, node: "410100")
        return changeSet.encoded()
    }

    /// A byte-level mutation: flips, inserts of JSON-significant bytes, deletions, truncation,
    /// a copied span, or a run of brackets.
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let significant = Array(#"{}[]",:\-0123456789.eEtrufalsn "#.utf8) + [0x00, 0xFF, 0xC3, 0x28, 0xE4, 0xBD]
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: bytes.insert(significant.randomElement(using: &rng)!, at: at)
            case 2: bytes.remove(at: at)
            case 3: bytes = Array(bytes[..<at])
            case 4:
                let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            case 5: bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "["), count: Int.random(in: 1...200, using: &rng)), at: at)
            default: bytes[at] = significant.randomElement(using: &rng)!
            }
        }
        return bytes
    }

    @Test func mutatedChangeSetsAreReadOrRefusedWithAReason() {
        var rng = SplitMix64(seed: 0xE5_0001)
        var refused = 0, read = 0
        for _ in 0..<Self.iterations {
            let body = Self.mutate(Self.validChangeSet(&rng), &rng)
            do {
                let changeSet = try ChangeSet.decode(body)
                read += 1
                // What was read writes back and reads again the same.
                #expect(try ChangeSet.decode(changeSet.encoded()) == changeSet)
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(refused > Self.iterations / 2, "most mutations break the body: \(refused) refused, \(read) read")
    }

    /// Random JSON of every shape at the record's fields, including absurd ones.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 8), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3: return .double(Double.random(in: -1e300...1e300, using: &rng))
        case 4:
            let lengths = [0, 1, 17, 18, 200, 201, 5000]
            let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY河南郑州有限公司-_ \u{0}\u{FF10}")
            return .string(String((0..<lengths.randomElement(using: &rng)!).map { _ in alphabet.randomElement(using: &rng)! }))
        case 5: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            let keys = ["year", "batch", "validUntil", "since", "measure", "amountYuan", "date", "person", "phone", "x"]
            return .object(JSONObject(Dictionary((0..<Int.random(in: 0...4, using: &rng)).map { _ in (keys.randomElement(using: &rng)!, randomValue(&rng, depth: depth + 1)) },
                                                 uniquingKeysWith: { a, _ in a })))
        }
    }

    @Test func randomRecordDocumentsAreValidatedWithoutCrashingAndValidOnesRoundTrip() throws {
        var rng = SplitMix64(seed: 0xE5_0002)
        var generator = SampleGenerator(seed: 7)
        var valid = 0, invalid = 0
        for _ in 0..<Self.iterations {
            guard case .object(var members) = generator.next().json else { continue }
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let field = (EnterpriseRecord.knownFields.sorted() + ["extra"]).randomElement(using: &rng)!
                members[field] = Bool.random(using: &rng) ? Self.randomValue(&rng) : nil
            }
            let document = JSONValue.object(members)
            let issues = RecordValidator.issues(in: document)
            #expect(issues.allSatisfy { !$0.field.isEmpty && !$0.reason.isEmpty })
            if issues.contains(where: { $0.severity == .error }) {
                invalid += 1
                #expect(throws: RecordError.self) { try EnterpriseRecord(json: document) }
            } else {
                valid += 1
                let record = try EnterpriseRecord(json: document)
                #expect(try EnterpriseRecord(json: record.json) == record)
                #expect(try JSONValue.parse(document.canonicalBytes()) == document)
            }
        }
        #expect(valid > 0 && invalid > 0, "both kinds seen: \(valid) valid, \(invalid) invalid")
    }

    @Test func oversizedTextListsAndNamesAreRefusedByField() throws {
        var generator = SampleGenerator(seed: 8)
        guard case .object(var members) = generator.next().json else { return }
        members["name"] = .string(String(repeating: "企", count: 201))
        members["notes"] = .string(String(repeating: "x", count: 5000))
        members["supportMeasures"] = .array(Array(repeating: ["measure": "贴息", "amountYuan": 1, "date": "2024-01-01"], count: 1001))
        let issues = RecordValidator.issues(in: .object(members)).filter { $0.severity == .error }
        #expect(Set(issues.map(\.field)) == ["name", "notes", "supportMeasures"], "\(issues)")
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: (any Error).self) { try ChangeSet.decode(deep) }
        let object = Array((String(repeating: #"{"a":"#, count: 10_000)).utf8)
        #expect(throws: (any Error).self) { try JSONValue.parse(object) }
    }
}
