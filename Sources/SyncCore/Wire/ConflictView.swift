import EnterpriseModel

/// A conflict in the province's review queue: a field both sides changed (`kind` "field"), a
/// delete request ("delete", field "*"), a move between regions ("transfer"), or a value a
/// province restored from a backup had lost and a bureau brought back ("recovered", with its
/// `origin`), with the values and both provenances, and once decided, the decision.
public struct ConflictView: Sendable, Hashable {
    public enum Decision: String, Sendable, Hashable, CaseIterable {
        /// The province's current value stays; the bureau's is set aside (kept in history).
        case keepCurrent = "keep-current"
        /// The bureau's value (or its delete request) is taken.
        case takeIncoming = "take-incoming"
        /// A reviewer's own value.
        case value
    }

    public var id: Int64
    public var uscc: String
    public var region: String
    public var field: String
    public var kind: String
    public var status: String
    /// What the bureau started from; nil: absent.
    public var expected: JSONValue?
    /// What the province held when the conflict was parked.
    public var current: JSONValue?
    /// What the bureau asked for.
    public var incoming: JSONValue?
    public var source: String
    public var changeSet: String
    public var createdAt: String
    public var decision: Decision?
    public var value: JSONValue?
    public var note: String?
    public var resolvedBy: String?
    public var resolvedAt: String?
    /// The record's revision that carries the decision.
    public var revision: Int64?
    /// For a recovered value: where it came from (a bureau's copy of the province's value, or of
    /// a reviewer's decision, at the generation before the restore).
    public var origin: String?

    public init(id: Int64, uscc: String, region: String, field: String, kind: String, status: String, expected: JSONValue?, current: JSONValue?,
                incoming: JSONValue?, source: String, changeSet: String, createdAt: String, decision: Decision? = nil, value: JSONValue? = nil,
                note: String? = nil, resolvedBy: String? = nil, resolvedAt: String? = nil, revision: Int64? = nil,
                origin: String? = nil) {
        self.origin = origin
        self.id = id
        self.uscc = uscc
        self.region = region
        self.field = field
        self.kind = kind
        self.status = status
        self.expected = expected
        self.current = current
        self.incoming = incoming
        self.source = source
        self.changeSet = changeSet
        self.createdAt = createdAt
        self.decision = decision
        self.value = value
        self.note = note
        self.resolvedBy = resolvedBy
        self.resolvedAt = resolvedAt
        self.revision = revision
    }

    public var isOpen: Bool { status == "open" }
}

extension ConflictView: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        var decision: Decision?
        if let text = try m.optionalString("decision") {
            guard let d = Decision(rawValue: text) else { throw WireError(path: m.at("decision"), reason: "unknown decision \(text)") }
            decision = d
        }
        self.init(id: try m.int("id"), uscc: try m.string("uscc"), region: try m.string("region"), field: try m.string("field"),
                  kind: try m.string("kind"), status: try m.string("status"), expected: m.members["expected"], current: m.members["current"],
                  incoming: m.members["incoming"], source: try m.string("source"), changeSet: try m.string("changeSet"),
                  createdAt: try m.string("createdAt"), decision: decision, value: m.members["value"], note: try m.optionalString("note"),
                  resolvedBy: try m.optionalString("resolvedBy"), resolvedAt: try m.optionalString("resolvedAt"), revision: try m.optionalInt("revision"),
                  origin: try m.optionalString("origin"))
    }

    public var json: JSONValue {
        .compact(["id": .int(id), "uscc": .string(uscc), "region": .string(region), "field": .string(field), "kind": .string(kind),
                  "status": .string(status), "expected": expected, "current": current, "incoming": incoming, "source": .string(source),
                  "changeSet": .string(changeSet), "createdAt": .string(createdAt), "decision": decision.map { .string($0.rawValue) },
                  "value": value, "note": note.map(JSONValue.string), "resolvedBy": resolvedBy.map(JSONValue.string),
                  "resolvedAt": resolvedAt.map(JSONValue.string), "revision": revision.map(JSONValue.int),
                  "origin": origin.map(JSONValue.string)])
    }
}

/// `GET /v1/conflicts`: a page of the queue.
public struct ConflictList: Sendable, Hashable, WireJSON {
    public var conflicts: [ConflictView]

    public init(conflicts: [ConflictView]) { self.conflicts = conflicts }

    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        var list: [ConflictView] = []
        for (n, c) in try m.array("conflicts").enumerated() { list.append(try ConflictView(json: c, path: m.at("conflicts") + "[\(n)]")) }
        conflicts = list
    }

    public var json: JSONValue { ["conflicts": .array(conflicts.map(\.json))] }
}

/// The body of `POST /v1/conflicts/{id}/resolution`.
public struct Resolution: Sendable, Hashable, WireJSON {
    public var decision: ConflictView.Decision
    /// For `value`: the reviewer's value (JSON null sets null).
    public var value: JSONValue?
    public var note: String?

    public init(decision: ConflictView.Decision, value: JSONValue? = nil, note: String? = nil) {
        self.decision = decision
        self.value = value
        self.note = note
    }

    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        let text = try m.string("decision")
        guard let decision = ConflictView.Decision(rawValue: text) else {
            throw WireError(path: m.at("decision"), reason: "must be keep-current, take-incoming or value")
        }
        self.init(decision: decision, value: m.members["value"], note: try m.optionalString("note", limit: WireLimits.maxNoteBytes))
        if decision == .value && value == nil { throw WireError(path: m.at("value"), reason: "missing (the decision is value)") }
    }

    public var json: JSONValue {
        .compact(["decision": .string(decision.rawValue), "value": value, "note": note.map(JSONValue.string)])
    }
}
