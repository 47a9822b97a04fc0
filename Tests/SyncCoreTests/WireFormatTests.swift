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
}

