import EnterpriseModel
import Foundation
import Testing

/// `JSONObject` keeps its members in canonical order however they came, reads like the
/// dictionary it replaced, and finds a name given twice wherever it is.
@Suite struct JSONObjectTests {
    func names(_ value: JSONValue) -> [String] { value.objectValue?.keys ?? [] }

    @Test func membersAreInCanonicalOrderHoweverTheyCame() throws {
        let ordered = try JSONValue.parse(#"{"a": 1, "b": 2, "c": {"x": 1, "y": 2}}"#)
        let shuffled = try JSONValue.parse(#"{"c": {"y": 2, "x": 1}, "a": 1, "b": 2}"#)
        #expect(names(shuffled) == ["a", "b", "c"] && names(shuffled["c"]!) == ["x", "y"])
        #expect(shuffled == ordered && shuffled.hashValue == ordered.hashValue)
        #expect(shuffled.canonicalString == #"{"a":1,"b":2,"c":{"x":1,"y":2}}"#)
        // Byte order: upper case before lower case, a name before its extensions, ASCII before
        // Chinese.
        let mixed = try JSONValue.parse(#"{"名称": 1, "b": 2, "B": 3, "ab": 4, "a": 5}"#)
        #expect(names(mixed) == ["B", "a", "ab", "b", "名称"])
        let built: JSONValue = ["名称": 1, "b": 2, "B": 3, "ab": 4, "a": 5]
        #expect(built == mixed)
    }

    @Test func aNameGivenTwiceIsFoundInOrderOrNot() {
        for text in [#"{"a": 1, "a": 2}"#, #"{"a": 1, "b": 2, "a": 3}"#, #"{"b": 1, "a": 2, "b": 3}"#, #"{"名": 1, "a": 2, "名": 3}"#,
                     #"{"": 1, "": 2}"#, #"{"a": 1, "\u0061": 2}"#, #"{"a": 1, "b": 2, "b": 3}"#] {
            do { _ = try JSONValue.parse(text); Issue.record("parsed \(text)") } catch {
                #expect(error.reason.hasSuffix("appears twice"), "\(text): \(error.reason)")
            }
        }
        // The same name as a Swift string in other bytes (é precomposed, and e with an accent
        // after it) is the same member, as it was in a dictionary.
        do { _ = try JSONValue.parse("{\"caf\u{E9}\": 1, \"cafe\u{301}\": 2}"); Issue.record("parsed") } catch {
            #expect(error.reason.hasSuffix("appears twice"))
        }
    }

    @Test func readsAndWritesLikeADictionary() {
        var object: JSONObject = ["b": 2, "d": 4]
        object["c"] = 3
        object["a"] = 1
        object["d"] = nil
        #expect(object.keys == ["a", "b", "c"] && object.values == [1, 2, 3] && object.count == 3)
        object["b"] = 20
        #expect(object["b"] == 20 && object.count == 3)
        #expect(object.removeValue(forKey: "a") == 1 && object.removeValue(forKey: "zz") == nil)
        #expect(object.filter { $0.key != "b" }.keys == ["c"])
        #expect(object.mapValues { _ in .null }.values == [.null, .null])
        #expect(object.compactMapValues { $0 == 3 ? nil : $0 }.keys == ["b"])
        #expect(Array(object.map(\.key)) == ["b", "c"])
        var merged = object
        merged.merge(["c": 30, "e": 5]) { _, new in new }
        #expect(merged == ["b": 20, "c": 30, "e": 5])
        #expect(JSONObject(uniqueKeysWithValues: [("x", 1), ("y", 2), ("x", 3)]) == ["x": 3, "y": 2])
        #expect(JSONObject(["q": 1, "p": 2]).keys == ["p", "q"])
        #expect(JSONObject(["q": 1, "p": 2]).dictionary == ["q": 1, "p": 2])
    }

    /// Past `linearLimit` members a name is found by halving; a name in other bytes still one by one.
    @Test func aLargeObjectFindsEveryName() {
        var object = JSONObject()
        let keys = (0..<300).map { "k\(($0 * 7919) % 300)" }
        for (n, key) in keys.enumerated() { object[key] = .int(Int64(n)) }
        #expect(object.count == 300 && object.keys == object.keys.sorted { JSONObject.precedes($0, $1) })
        for (n, key) in keys.enumerated() { #expect(object[key] == .int(Int64(n)), "\(key)") }
        #expect(object["k300"] == nil && object["k"] == nil)
        object["caf\u{E9}"] = true
        #expect(object["cafe\u{301}"] == true)
    }

    /// A name not plain ASCII can equal a plain one as a string (the Kelvin sign is K): found,
    /// replaced and removed as the dictionary did, at any size, never held twice.
    @Test func aNameEqualAsAStringIsTheSameMember() throws {
        for size in [3, 30] {
            var object = JSONObject(uniqueKeysWithValues: (0..<size).map { ("f\($0)", JSONValue.int(Int64($0))) })
            object["\u{212A}x"] = 1
            #expect(object["Kx"] == 1, "\(size)")
            object["Kx"] = 2
            #expect(object.count == size + 1 && object["\u{212A}x"] == 2, "\(size)")
            #expect(object.removeValue(forKey: "Kx") == 2 && object.count == size, "\(size)")
            let members = (0..<size).map { "\"f\($0)\": \($0)" }.joined(separator: ", ")
            let parsed = try JSONValue.parse("{\(members), \"\u{212A}x\": 1}")
            #expect(parsed["Kx"] == 1, "\(size)")
            do { _ = try JSONValue.parse("{\(members), \"Kx\": 1, \"\u{212A}x\": 2}"); Issue.record("parsed") } catch {
                #expect(error.reason.hasSuffix("appears twice"), "\(size)")
            }
        }
    }

    /// An object of 50,000 members in reverse order is sorted once, not moved member by member
    /// (a quadratic build would take minutes here).
    @Test func aLargeObjectOutOfOrderIsParsedWhole() throws {
        let members = (0..<50_000).reversed().map { "\"m\(String(format: "%05d", $0))\": \($0)" }
        let value = try JSONValue.parse("{" + members.joined(separator: ",") + "}")
        let object = try #require(value.objectValue)
        #expect(object.count == 50_000 && object.first?.key == "m00000" && object["m49999"] == 49_999)
    }

    @Test func encodesAndDecodesThroughCodable() throws {
        let value: JSONValue = ["b": [1, 2], "a": ["c": "洛阳"]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }

    @Test func eachValueIsVisitedInTheOrderOfItsName() {
        let object: JSONObject = ["z": 3, "a": 1, "é": "洛阳", "m": 2]
        var seen: [JSONValue] = []
        object.forEachValue { seen.append($0) }
        #expect(seen == object.values && seen == [1, 2, 3, "洛阳"])
        var none = 0
        JSONObject().forEachValue { _ in none += 1 }
        #expect(none == 0)
    }

    /// Names compare as their bytes: equal strings in two normal forms are not the same bytes,
    /// nor is a prefix; a long string (stored apart) and a bridged one compare like small ones.
    @Test func sameBytesComparesTheUTF8NotTheString() {
        #expect(JSONObject.sameBytes("技术改造项目补助", "技术改造项目补助"))
        #expect(!JSONObject.sameBytes("技术改造项目补助", "技术改造项目补"))
        #expect("\u{E9}" == "e\u{301}" && !JSONObject.sameBytes("\u{E9}", "e\u{301}"))
        #expect(!JSONObject.sameBytes("2023", "2024") && JSONObject.sameBytes("", ""))
        let long = String(repeating: "首台(套)重大技术装备", count: 8)
        #expect(JSONObject.sameBytes(long, String(decoding: Array(long.utf8), as: UTF8.self)))
        #expect(!JSONObject.sameBytes(long, String(long.dropLast()) + "x"))
        #expect(JSONObject.sameBytes(long, NSString(string: long) as String))
    }

    /// Nested objects whose names come in order or not, at any level and at any point (the
    /// parser keeps the members of the objects it is inside of on one stack until each ends):
    /// each parses to the value built member by member, and a name given twice after the order
    /// broke is still refused.
    @Test func nestedObjectsInAndOutOfOrderParseAsBuilt() throws {
        var generator = SystemRandomNumberGenerator()
        let names = ["a", "b", "c", "d", "名", "é"]
        func object(_ depth: Int) -> (text: String, value: JSONValue) {
            var chosen = Array(names.shuffled(using: &generator).prefix(Int.random(in: 0...names.count, using: &generator)))
            if Bool.random(using: &generator) { chosen.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
            var built = JSONObject()
            var parts: [String] = []
            for (n, name) in chosen.enumerated() {
                let (text, value): (String, JSONValue) = depth < 3 && Bool.random(using: &generator) ? object(depth + 1) : ("\(n)", .int(Int64(n)))
                built[name] = value
                parts.append("\"\(name)\": \(text)")
            }
            return ("{" + parts.joined(separator: ", ") + "}", .object(built))
        }
        for _ in 0..<500 {
            let (text, value) = object(0)
            #expect(try JSONValue.parse(text) == value, "\(text)")
            #expect(try JSONValue.parse(text).canonicalString == value.canonicalString, "\(text)")
        }
        for text in [#"{"a": {"x": 1, "y": 2}, "c": 3, "b": {"z": {"p": 1}}, "c": 4}"#, #"{"a": 1, "b": {"d": 1, "c": 2, "d": 3}}"#] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        }
    }
}

