import EnterpriseModel
import Testing

/// `JSONValue.canonicalText(of:)` takes a text as its own canonical form only when encoding the
/// parsed value would give exactly that: a wrong yes would store and hash a record under a text
/// that is not its canonical one.
@Suite struct JSONCanonicalTextTests {
    /// A JSON text written by hand, in forms the canonical writer would and would not use.
    static func randomText(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        func pick<T>(_ options: [T]) -> T { options.randomElement(using: &rng)! }
        let space = { (rng: inout SplitMix64) -> String in Int.random(in: 0..<4, using: &rng) == 0 ? ["", " ", "\n  ", "\t"].randomElement(using: &rng)! : "" }
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
        case 0: return pick(["null", "true", "false", "nul", "True"])
        case 1:
            return pick(["0", "-0", "7", "-12", "007", "1.5", "1.0", "1e3", "2E-2", "123456789012345678", "1234567890123456789",
                         "-9223372036854775808", "9223372036854775807", "99999999999999999999", "-", "1.", String(Int64.random(in: -1_000_000...1_000_000, using: &rng))])
        case 2, 3:
            let parts = ["a", "河南", "\\\"", "\\\\", "\\n", "\\t", "\\r", "\\/", "\\b", "\\f", "\\u0001", "\\u001f", "\\u001F", "\\u000a", "\\u0041",
                         "\\u00e9", "é", "e\u{301}", "/", " ", "\u{7F}", "\\ud83d\\ude00", "😀", "\\x"]
            return "\"" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in pick(parts) }.joined() + "\""
        case 4:
            let elements = (0..<Int.random(in: 0...3, using: &rng)).map { _ in space(&rng) + randomText(&rng, depth: depth + 1) + space(&rng) }
            return "[" + elements.joined(separator: ",") + "]"
        default:
            let names = ["a", "b", "ab", "B", "_", "a.b", "é", "e\u{301}", "a\\u0062", "\\\"", "名称", "z", "A"]
            var members = (0..<Int.random(in: 0...4, using: &rng)).map { _ in pick(names) }
            if Bool.random(using: &rng) { members.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
            let text = members.map { name in space(&rng) + "\"" + name + "\"" + space(&rng) + ":" + space(&rng) + randomText(&rng, depth: depth + 1) }
            return "{" + text.joined(separator: ",") + space(&rng) + "}"
        }
    }

    @Test func aTextTakenAsCanonicalIsWhatEncodingItsValueGives() throws {
        var rng = SplitMix64(seed: 20_261_207)
        var taken = 0, left = 0
        for _ in 0..<20_000 {
            let text = Array(Self.randomText(&rng).utf8)
            guard let value = try? JSONValue.parse(text) else {
                #expect(JSONValue.canonicalText(of: text) == nil || (try? JSONValue.parse(JSONValue.canonicalText(of: text)!)) != nil)
                continue
            }
            if let canonical = JSONValue.canonicalText(of: text) {
                #expect(canonical == value.canonicalBytes(), "\(String(decoding: text, as: UTF8.self))")
                taken += 1
            } else {
                left += 1
            }
        }
        // Both kinds were met: the property was not true for want of cases.
        #expect(taken > 1_000 && left > 1_000, "\(taken) taken, \(left) left to the encoder")
    }

    /// The parser tells in passing what the check finds walking the text again: the same
    /// canonical text, or the same nil, for every text it parses.
    @Test func theParseKeepsTheCanonicalTextTheCheckFinds() throws {
        var rng = SplitMix64(seed: 20_261_208)
        var forms: [JSONValue.TextForm: Int] = [:]
        var texts = (0..<20_000).map { _ in Array(Self.randomText(&rng).utf8) }
        var generator = SampleGenerator(seed: 11)
        for record in generator.records(count: 100, regions: Regions.all) {
            texts += [record.json.canonicalBytes(), record.json.prettyBytes(), [0xEF, 0xBB, 0xBF] + record.json.canonicalBytes()]
        }
        for depth in [62, 63, 64] {
            for inner in ["", "1", "[]", " [ ] ", "{}"] {
                texts.append(Array((String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth)).utf8))
            }
        }
        for text in texts {
            guard let parsed = try? JSONValue.parseKeepingCanonical(text) else { continue }
            let expected = JSONValue.canonicalText(of: text)
            #expect(parsed.canonical == expected, "\(String(decoding: text, as: UTF8.self))")
            #expect(parsed.value == (try JSONValue.parse(text)))
            let form = try JSONValue.parseNotingForm(text).form
            forms[form, default: 0] += 1
            #expect((form == .other) == (expected == nil))
            #expect((form == .canonical) == (expected == text))
        }
        // Every form was met: the property was not true for want of cases.
        #expect(forms.values.count == 3 && forms.values.allSatisfy { $0 > 300 }, "\(forms)")
    }

    /// What the writers make passes: the canonical text as it is, a record file's indented text
    /// as its canonical text.
    @Test func theCanonicalAndThePrettyTextOfARecordPass() {
        var generator = SampleGenerator(seed: 9)
        for record in generator.records(count: 200, regions: Regions.all) {
            let document = record.json
            #expect(JSONValue.canonicalText(of: document.canonicalBytes()) == document.canonicalBytes())
            #expect(JSONValue.canonicalText(of: document.prettyBytes()) == document.canonicalBytes())
            #expect(JSONValue.canonicalText(of: document.prettyBytes()[...]) == document.canonicalBytes(), "a slice")
        }
    }

    @Test func whatTheEncoderWouldWriteOtherwiseIsLeftToIt() {
        for text in [#"{"b":1,"a":2}"#, #"{"a":1,"a":2}"#, #"{"é":1}"#, #"{"a\u0062":1}"#, #"["\/"]"#, #"["\u0041"]"#, #"["\u001F"]"#,
                     #"["\b"]"#, "[1.0]", "[1e3]", "[-0]", "[01]", "[1234567890123456789]", "[\"\u{1}\"]", "[1] x", "{\"a\":1,}", "[,1]"] {
            #expect(JSONValue.canonicalText(of: Array(text.utf8)) == nil, "\(text)")
        }
        // As deep as the parser takes, and no deeper.
        for depth in [63, 64, 65] {
            let text = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            #expect((JSONValue.canonicalText(of: text) != nil) == ((try? JSONValue.parse(text)) != nil), "\(depth) levels")
        }
        #expect(JSONValue.canonicalText(of: [0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D]) == nil, "invalid UTF-8")
        #expect(JSONValue.canonicalText(of: [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D]) == nil, "a surrogate")
        #expect(JSONValue.canonicalText(of: Array(#" { "a" : [ 1 , "x\n\u001f" ] , "b" : { } } "#.utf8)) == Array(#"{"a":[1,"x\n\u001f"],"b":{}}"#.utf8))
    }
}
