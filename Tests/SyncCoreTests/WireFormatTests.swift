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
}

