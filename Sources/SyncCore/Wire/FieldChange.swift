import EnterpriseModel

/// One field of one record as the bureau changed it: the value it started from and the new value.
///
/// On the wire `{"expected": <base value>, "value": <new value>}`. A missing key means the field
/// was absent (not the same as JSON `null`): a new field has no `expected`, a removed field has
/// no `value`.
public struct FieldChange: Sendable, Hashable, Codable {
    public var expected: JSONValue?
    public var value: JSONValue?

    public init(expected: JSONValue?, value: JSONValue?) {
        self.expected = expected
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case expected, value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expected = c.contains(.expected) ? try c.decode(JSONValue.self, forKey: .expected) : nil
        value = c.contains(.value) ? try c.decode(JSONValue.self, forKey: .value) : nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let expected { try c.encode(expected, forKey: .expected) }
        if let value { try c.encode(value, forKey: .value) }
    }
}
