import EnterpriseModel
import Foundation
import SyncCore
import Testing

@Suite struct WireFormatTests {
    @Test func absentExpectedStaysAbsentAndNullStaysNull() throws {
        let json = #"{"a": {"value": 1}, "b": {"expected": null, "value": 2}, "c": {"expected": 3}}"#
        let fields = try JSONDecoder().decode([String: FieldChange].self, from: Data(json.utf8))
        #expect(fields["a"] == FieldChange(expected: nil, value: 1))
        #expect(fields["b"] == FieldChange(expected: .null, value: 2))
        #expect(fields["c"] == FieldChange(expected: 3, value: nil))
        let again = try JSONDecoder().decode([String: FieldChange].self, from: JSONEncoder().encode(fields))
        #expect(again == fields)
    }

    /// A change set that is wrong deep inside says where: the record by its place, the field by
    /// its name, the member by its key.
    @Test func anErrorNamesItsPlaceInTheChangeSet() throws {
        func error(_ body: String) -> String {
            do {
                _ = try ChangeSet.decode(Array(body.utf8))
                return "no error"
            } catch { return error.description }
        }
        let good = #"{"uscc": "91410100MA00000000", "op": "update", "fields": {"employees": {"value": 3}}}"#
        #expect(error(#"{"id": "x", "region": "410100", "format": 1, "records": [\#(good), {"uscc": "u", "op": "update", "fields": {"employees": 7}}]}"#)
            == "records[1].fields[employees]: expected an object, found a number")
        #expect(error(#"{"id": "x", "region": "410100", "format": 1, "records": [\#(good), {"uscc": "u", "op": "move", "fields": {}}]}"#)
            == "records[1].op: must be create, update or delete")
        #expect(error(#"{"id": "x", "region": "410100", "format": 1, "records": [\#(good), 5]}"#) == "records[1]: expected an object, found a number")
        #expect(error(#"{"id": "x", "region": "410100", "format": 1, "records": [\#(good)]}"#) == "no error")
    }

    /// A new record sent whole is a document and nothing else: only with `create`, without
    /// `fields` or `recovered`, and held to the bounds its fields would be held to.
    @Test func aRecordSentWholeIsADocumentWithinTheFieldsBounds() throws {
        func error(_ record: String) -> String {
            do {
                _ = try ChangeSet.decode(Array(#"{"id": "x", "region": "410100", "format": 1, "records": [\#(record)]}"#.utf8))
                return "no error"
            } catch { return error.description }
        }
        let code = "91410100MA00000000"
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": {"name": "甲", "contact": {"phone": "1"}}}"#) == "no error")
        let read = try ChangeSet.decode(Array(#"{"id": "x", "region": "410100", "format": 1, "records": [{"uscc": "\#(code)", "op": "create", "document": {"name": "甲"}}]}"#.utf8))
        #expect(read.records[0].document == ["name": "甲"])
        #expect(read.records[0].fields.isEmpty)
        #expect(read.records[0].sentFields == ["name": FieldChange(expected: nil, value: "甲")])
        #expect(error(#"{"uscc": "\#(code)", "op": "update", "document": {"name": "甲"}}"#)
            == "records[0].document: record \(code): only a new record (op create) is sent whole")
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": {"name": "甲"}, "fields": {}}"#)
            == "records[0].document: record \(code): a record sent whole has no fields or recovered")
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": [1]}"#) == "records[0].document: expected an object, found an array")
        // Nine levels: a field path of nine parts.
        let deep = String(repeating: #"{"a": "#, count: 9) + "1" + String(repeating: "}", count: 9)
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": \#(deep)}"#).hasSuffix("deeper than the limit"))
        let eight = String(repeating: #"{"a": "#, count: 8) + "1" + String(repeating: "}", count: 8)
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": \#(eight)}"#) == "no error")
        let long = String(repeating: "x", count: 1_100)
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": {"\#(long)": {"\#(long)": 1}}}"#).contains("is longer than the limit of 2048"))
        let many = (0...WireLimits.maxFieldsPerRecord).map { #""f\#($0)": 1"# }.joined(separator: ", ")
        #expect(error(#"{"uscc": "\#(code)", "op": "create", "document": {\#(many)}}"#).contains("more than 2000 fields"))
    }

    /// The province takes a document's text from the body only where it is that document's
    /// canonical text without doubt.
    @Test func aDocumentsTextIsTakenFromTheBodyOnlyWhenItIsItsCanonicalText() throws {
        var generator = SampleGenerator(seed: 41)
        let documents = (0..<3).map { _ in generator.next().json }
        var changeSet = ChangeSet(id: "c", region: "410100", createdAt: "now", agent: "esync-agent/test",
                                  records: documents.map { RecordChange(uscc: $0["uscc"]!.stringValue!, creating: $0) }
                                      + [RecordChange(uscc: "u", op: .update, fields: ["a": FieldChange(expected: 1, value: 2)], baseRevision: 1)])
        _ = try changeSet.sign(after: "", with: SigningKey())
        func texts(_ body: String) throws -> [[UInt8]?] {
            let received = try ChangeSet.decodeReceived(Array(body.utf8)).value
            for record in received.records where record.documentCanonical != nil {
                #expect(record.documentCanonical == record.document?.canonicalBytes(), "a text taken is the canonical one")
            }
            return received.records.map(\.documentCanonical)
        }
        let body = String(decoding: changeSet.encoded(), as: UTF8.self)
        #expect(try texts(body) == documents.map { $0.canonicalBytes() } + [nil])
        // Indented: the same texts.
        let pretty = String(decoding: changeSet.json.prettyBytes(), as: UTF8.self)
        #expect(try texts(pretty) == documents.map { $0.canonicalBytes() } + [nil])
        // A document whose members are out of order is encoded instead.
        let shuffled = body.replacingOccurrences(of: #""address":"#, with: #""zzz":1,"address":"#, options: [], range: nil)
        #expect(try texts(shuffled).first == .some(nil))
        // A name escaped, or out of order, at the top level or in a record: nothing taken.
        #expect(try texts(body.replacingOccurrences(of: #""records":"#, with: #""r\u0065cords":"#)).allSatisfy { $0 == nil })
        var moved = body.replacingOccurrences(of: #""format":1,"#, with: "")
        moved.removeLast()
        #expect(try texts(moved + #","format":1}"#).allSatisfy { $0 == nil })
        // (A member sent twice is refused by the parser itself.)
        #expect(throws: WireError.self) {
            try texts(body.replacingOccurrences(of: #""op":"create","#, with: #""op":"create","document":{"x":1},"#, range: body.range(of: #""op":"create","#)))
        }
    }

    /// Quotes and backslashes inside a document's strings (escaped, in runs of any length, at a
    /// string's end) do not end the string where the body is searched for the documents' text.
    @Test func aDocumentsTextIsFoundWholeWhateverItsStringsEscape() throws {
        let tricky = [#"甲"乙"#, #"\"#, #"\\"#, #"a\"b"#, "\"", #"\""#, "}", "],\"document\":{"]
        var generator = SampleGenerator(seed: 43)
        let documents: [JSONValue] = tricky.map { text in
            var members = generator.next().json.objectValue ?? [:]
            members["name"] = .string(text)
            members["businessScope"] = .string(text + "\\" + text)
            return .object(members)
        }
        var changeSet = ChangeSet(id: "c", region: "410100", createdAt: "now", agent: "esync-agent/test",
                                  records: documents.map { RecordChange(uscc: $0["uscc"]!.stringValue!, creating: $0) })
        _ = try changeSet.sign(after: "", with: SigningKey())
        for body in [changeSet.encoded(), changeSet.json.prettyBytes()] {
            let received = try ChangeSet.decodeReceived(body).value
            #expect(received.records.map(\.documentCanonical) == documents.map { $0.canonicalBytes() })
        }
    }

    /// The same change either way: a record sent whole, field by field.
    @Test func aRecordSentWholeIsItsFieldsSentAsNew() {
        let document: JSONValue = ["name": "甲", "contact": ["phone": "1", "fax": .null], "srdi": [:], "a.b": ["~c": 2]]
        let whole = RecordChange(uscc: "u", creating: document)
        let fields = RecordDiff.change(uscc: "u", base: nil, baseRevision: nil, working: document)!
        #expect(whole.fieldByField == fields)
        #expect(whole.sentFields == fields.fields)
        #expect(RecordDiff.apply(whole.sentFields, to: nil) == document)
        #expect(whole != fields)
        // The canonical text kept with it is not part of its value.
        #expect(RecordChange(uscc: "u", creating: document, canonical: document.canonicalBytes()) == whole)
        #expect(ProvinceAccepts.names(ProvinceAccepts.wholeRecords, in: "other, Whole-Records"))
        #expect(!ProvinceAccepts.names(ProvinceAccepts.wholeRecords, in: "whole-records-2"))
    }
}

