import EnterpriseModel
import SyncCore

/// The random histories of the convergence property tests (end to end in `ReliabilityTests`,
/// in process in `InProcessSyncTests`): the edits bureaus and the province make, and the check
/// that none of them was lost.
public enum RandomHistory {
    /// One edit someone made, to find again at the end.
    public struct Edit: CustomStringConvertible, Sendable {
        public var uscc: String
        public var field: String
        public var value: JSONValue?
        public var by: String
        /// The bureau edited the same field again before any push finished: the earlier value
        /// never had to leave the bureau.
        public var superseded = false

        public init(uscc: String, field: String, value: JSONValue?, by: String) {
            self.uscc = uscc
            self.field = field
            self.value = value
            self.by = by
        }

        public var description: String { "\(by) set \(uscc) \(field) = \(value?.canonicalString ?? "(absent)")" }
    }

    /// A field a bureau edits, with a new value.
    public static func bureauChange(_ rng: inout SplitMix64) -> (String, JSONValue) {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: ("name", .string("随机企业\(Int.random(in: 1000...9999, using: &rng))有限公司"))
        case 1: ("employees", .int(Int64.random(in: 1...900, using: &rng)))
        case 2: ("revenueYuan", .int(Int64.random(in: 1_000_000...90_000_000, using: &rng)))
        case 3: ("contact.phone", .string(Bool.random(using: &rng) ? "" : "139\(Int.random(in: 10_000_000...99_999_999, using: &rng))"))
        case 4: ("status", .string(["active", "relocated", "closed"].randomElement(using: &rng)!))
        case 5: ("taxYuan", .int(Int64.random(in: 0...5_000_000, using: &rng)))
        default: ("littleGiant", ["year": .int(Int64.random(in: 2020...2026, using: &rng)), "batch": 1, "validUntil": "2029-12-31"])
        }
    }

    /// A field the province edits (its designations among them), with a new value.
    public static func provinceChange(_ rng: inout SplitMix64) -> (String, JSONValue) {
        if Int.random(in: 0..<4, using: &rng) == 0 {
            return ("srdi", ["year": .int(Int64.random(in: 2020...2026, using: &rng)), "batch": .int(Int64.random(in: 1...3, using: &rng)), "validUntil": "2028-12-31"])
        }
        let (field, value) = bureauChange(&rng)
        return field == "littleGiant" ? ("employees", .int(Int64.random(in: 1...900, using: &rng))) : (field, value)
    }

    /// The edits found nowhere: not in any revision of their record (`history`: the flattened
    /// documents by credit code), nor among the values of a conflict (`queued`: by "USCC FIELD").
    /// An edit is found whole, in one revision or one conflict, or leaf by leaf where the policy
    /// decided leaf by leaf (a bureau's designation is refused member by member).
    public static func lost(_ edits: [Edit], history: [String: [[String: JSONValue]]], queued: [String: [JSONValue?]]) -> [Edit] {
        var lost: [Edit] = []
        for edit in edits where !edit.superseded {
            let leaves = FieldPath.flatten(edit.value ?? .null)
            let paths = edit.value.map { $0.objectValue == nil ? [edit.field: $0] : Dictionary(uniqueKeysWithValues: leaves.map { (edit.field + "." + $0.key, $0.value) }) } ?? [:]
            let inHistory = history[edit.uscc, default: []].contains { doc in paths.allSatisfy { doc[$0.key] == $0.value } }
            let inQueue = queued[edit.uscc + " " + edit.field, default: []].contains { $0 == edit.value }
            let leafByLeaf = !paths.isEmpty && paths.allSatisfy { path, value in
                history[edit.uscc, default: []].contains { $0[path] == value } || queued[edit.uscc + " " + path, default: []].contains { $0 == value }
            }
            if !inHistory && !inQueue && !leafByLeaf { lost.append(edit) }
        }
        return lost
    }
}
