import EnterpriseModel

/// A deterministic way to combine two edits of one field, tried before the field's
/// `onConflict` rule when both sides changed it. Every operator sees the same three values
/// (what the bureau started from, what the province holds, what the bureau sends) and gives
/// the same answer wherever it runs, so bureau and province converge. When it cannot decide
/// (both non-empty, two different edits of one list item…) the `onConflict` rule decides.
public enum MergeOperator: Sendable, Hashable, CustomStringConvertible {
    /// An empty value (absent, null, "", [], {}) never replaces a non-empty one.
    case preferNonEmpty
    /// The larger value: numbers by value, texts (dates such as `2024-05` or `2024-05-17`) in
    /// order. Values of different kinds are left to the rule.
    case max
    /// Lists of objects merged item by item, an item named by the members in `key`: items either
    /// side added are kept, an item one side removed and the other left alone goes, an item one
    /// side edited takes that edit. Two different edits of one item are left to the rule.
    case union(key: [String])
    /// A state that only moves forward along `order` (e.g. active → relocated → closed): of two
    /// edits the one further along wins, and a single edit that moves backwards waits for a
    /// reviewer even when nobody else changed the field.
    case forwardOnly(order: [String])

    public var description: String {
        switch self {
        case .preferNonEmpty: "prefer-non-empty"
        case .max: "max"
        case .union(let key): "union by \(key.joined(separator: "+"))"
        case .forwardOnly(let order): "forward-only \(order.joined(separator: "→"))"
        }
    }

    /// The combined value (`.some(nil)`: absent), or nil when the operator cannot decide.
    public func combine(expected: JSONValue?, current: JSONValue?, incoming: JSONValue?) -> JSONValue?? {
        switch self {
        case .preferNonEmpty:
            let c = !Self.isEmpty(current), i = !Self.isEmpty(incoming)
            if c && !i { return .some(current) }
            if i && !c { return .some(incoming) }
            if !c && !i { return .some(current) }
            return nil
        case .max:
            guard let current else { return .some(incoming) }
            guard let incoming else { return .some(current) }
            if current == .null { return .some(incoming) }
            if incoming == .null { return .some(current) }
            guard let order = Self.order(current, incoming) else { return nil }
            return .some(order ? incoming : current)
        case .union(let key):
            return Self.union(key: key, expected: expected, current: current, incoming: incoming).map { .some($0) }
        case .forwardOnly(let order):
            guard let c = Self.rank(current, in: order), let i = Self.rank(incoming, in: order) else { return nil }
            if c == i { return .some(current) }
            return .some(i > c ? incoming : current)
        }
    }

    /// For `forwardOnly`: true when a change from `from` to `to` goes backwards along the order.
    public func movesBackwards(from: JSONValue?, to: JSONValue?) -> Bool {
        guard case .forwardOnly(let order) = self, let f = Self.rank(from, in: order), let t = Self.rank(to, in: order) else { return false }
        return t < f
    }

    static func rank(_ value: JSONValue?, in order: [String]) -> Int? {
        guard let text = value?.stringValue else { return nil }
        return order.firstIndex(of: text)
    }

    static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let s)?: s.isEmpty
        case .array(let a)?: a.isEmpty
        case .object(let o)?: o.isEmpty
        default: false
        }
    }

    /// True when `b` is larger than `a`; nil when they cannot be compared.
    static func order(_ a: JSONValue, _ b: JSONValue) -> Bool? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return y > x
        case (.int(let x), .double(let y)): return y > Double(x)
        case (.double(let x), .int(let y)): return Double(y) > x
        case (.double(let x), .double(let y)): return y > x
        default: break
        }
        if let x = a.stringValue, let y = b.stringValue { return y > x }
        return nil
    }

    static func union(key: [String], expected: JSONValue?, current: JSONValue?, incoming: JSONValue?) -> JSONValue? {
        func items(_ value: JSONValue?) -> [(String, JSONValue)]? {
            guard let value, value != .null else { return [] }
            guard case .array(let list) = value else { return nil }
            var out: [(String, JSONValue)] = []
            for item in list {
                guard case .object(let members) = item else { return nil }
                let name = JSONValue.array(key.map { members[$0] ?? .null }).canonicalString
                if out.contains(where: { $0.0 == name }) { return nil }  // two items with one key: not a keyed list
                out.append((name, item))
            }
            return out
        }
        guard let e = items(expected), let c = items(current), let i = items(incoming) else { return nil }
        let base = Dictionary(e, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(c, uniquingKeysWith: { a, _ in a })
        let mine = Dictionary(i, uniquingKeysWith: { a, _ in a })
        var result: [JSONValue] = []
        for name in c.map(\.0) + i.map(\.0).filter({ theirs[$0] == nil }) {
            switch (base[name], theirs[name], mine[name]) {
            case (let b?, let t?, let m?):
                if t == b { result.append(m) } else if m == b || m == t { result.append(t) } else { return nil }
            case (let b?, let t?, nil):
                if t == b { continue }  // the bureau removed it, the province left it alone
                return nil
            case (let b?, nil, let m?):
                if m == b { continue }  // the province removed it, the bureau left it alone
                return nil
            case (nil, let t?, let m?):
                if t == m { result.append(t) } else { return nil }
            case (nil, let t?, nil): result.append(t)
            case (nil, nil, let m?): result.append(m)
            case (_, nil, nil): continue
            }
        }
        return .array(result)
    }
}
