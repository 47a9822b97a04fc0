import Foundation

/// A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014): the
/// physical time in milliseconds as the node saw it, a counter that orders events within one
/// millisecond — or while the node's own clock lags one it has heard from — and the node that
/// stamped it, which breaks the last tie.
///
/// Text form, on the wire and in the database: `<milliseconds>.<counter>@<node>`, e.g.
/// `1795763524123.0002@410100`. Comparison is by (milliseconds, counter, node), so all nodes
/// agree on one total order.
public struct HybridTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64
    public var counter: Int
    public var node: String

    public init(milliseconds: Int64, counter: Int = 0, node: String) {
        self.milliseconds = milliseconds
        self.counter = counter
        self.node = node
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.milliseconds, a.counter, a.node) < (b.milliseconds, b.counter, b.node)
    }

    public var description: String {
        let c = String(counter)
        return "\(milliseconds).\(String(repeating: "0", count: max(0, 4 - c.count)))\(c)@\(node)"
    }

    /// Reads the text form; nil when it is not one.
    public init?(_ text: String) {
        guard let at = text.firstIndex(of: "@"), let dot = text[..<at].firstIndex(of: "."),
              let ms = Int64(text[..<dot]), ms >= 0,
              let counter = Int(text[text.index(after: dot)..<at]), counter >= 0
        else { return nil }
        let node = String(text[text.index(after: at)...])
        guard !node.isEmpty, node.count <= 64 else { return nil }
        self.init(milliseconds: ms, counter: counter, node: node)
    }
}

/// The clock of one node. Every event the node stamps is later than every event it stamped or
/// heard of before, whatever its wall clock says; while the wall clocks agree, timestamps follow
/// them. So a bureau's edit made after it pulled a province edit is always the later one, even
/// when the bureau's clock runs behind the province's.
public struct HybridClock: Sendable, Equatable {
    public let node: String
    /// The latest timestamp stamped or received.
    public private(set) var last: HybridTimestamp
    /// A received timestamp more than this far ahead of the local wall clock is not trusted
    /// further: the clock moves only to the wall clock plus this, so one bureau with a clock
    /// years ahead cannot win every `latest` field for years.
    public var maximumDriftMilliseconds: Int64

    public init(node: String, last: HybridTimestamp? = nil, maximumDriftMilliseconds: Int64 = 5 * 60 * 1000) {
        self.node = node
        self.last = last ?? HybridTimestamp(milliseconds: 0, counter: 0, node: node)
        self.maximumDriftMilliseconds = maximumDriftMilliseconds
    }

    /// A timestamp for a local event (a change set sealed, a province edit).
    public mutating func tick(wall: Int64) -> HybridTimestamp {
        if wall > last.milliseconds {
            last = HybridTimestamp(milliseconds: wall, counter: 0, node: node)
        } else {
            last = HybridTimestamp(milliseconds: last.milliseconds, counter: last.counter + 1, node: node)
        }
        return last
    }

    /// Takes in a timestamp heard from another node; returns it as this node will use it, capped
    /// at the wall clock plus the allowed drift.
    @discardableResult
    public mutating func receive(_ remote: HybridTimestamp, wall: Int64) -> HybridTimestamp {
        var heard = remote
        let ceiling = wall + maximumDriftMilliseconds
        if heard.milliseconds > ceiling {
            heard = HybridTimestamp(milliseconds: ceiling, counter: 0, node: remote.node)
        }
        if heard > last {
            last = HybridTimestamp(milliseconds: heard.milliseconds, counter: heard.counter, node: node)
        }
        return heard
    }
}

extension HybridClock {
    /// The wall clock in milliseconds since 1970.
    public static func wallMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

extension HybridTimestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = HybridTimestamp(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a hybrid clock timestamp: \(text)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
