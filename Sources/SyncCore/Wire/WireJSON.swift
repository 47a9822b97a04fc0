import EnterpriseModel

/// The wire types read from and written as `JSONValue` with the project's own parser and
/// canonical writer: Foundation's `JSONDecoder` spends most of a 1,000-record push probing each
/// value's type, and its errors do not say which record is wrong.
public struct WireError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }

    /// The error of a part that was read at the root (`path: ""`), with the part's own path in
    /// front: what reading it at `path` would have said.
    func placed(at path: String) -> WireError {
        WireError(path: self.path.isEmpty ? path : path + "." + self.path, reason: reason)
    }
}

public protocol WireJSON {
    init(json: JSONValue, path: String) throws(WireError)
    var json: JSONValue { get }
    /// Appends the canonical text of `json` (see `JSONValue.canonicalBytes`). The types a push
    /// and its answer are made of write it straight from their members (`WireJSON+Canonical`):
    /// building the `JSONValue` tree to sort it again was a sixth of sealing a large push.
    func writeCanonical(to out: inout [UInt8])
}

extension WireJSON {
    /// Parses and reads a whole body; errors name the line or the member that is wrong.
    public static func decode(_ bytes: some Collection<UInt8>) throws(WireError) -> Self {
        try decodeKeepingJSON(bytes).value
    }

    /// `decode`, also returning the JSON as received (a change set's signature covers that, see
    /// `ChangeSetSeal`).
    public static func decodeKeepingJSON(_ bytes: some Collection<UInt8>) throws(WireError) -> (value: Self, json: JSONValue) {
        let decoded = try decodeNotingForm(Array(bytes))
        return (decoded.value, decoded.json)
    }

    /// `decodeKeepingJSON`, telling too how the bytes stand to the canonical text
    /// (`JSONValue.parseNotingForm`).
    public static func decodeNotingForm(_ bytes: [UInt8]) throws(WireError) -> (value: Self, json: JSONValue, form: JSONValue.TextForm) {
        let parsed: (value: JSONValue, form: JSONValue.TextForm)
        do { parsed = try JSONValue.parseNotingForm(bytes) } catch { throw WireError(path: "", reason: "not JSON: \(error)") }
        return (try Self(json: parsed.value, path: ""), parsed.value, parsed.form)
    }

    public func writeCanonical(to out: inout [UInt8]) { json.writeCanonical(to: &out) }

    /// The canonical text: what goes on the wire, and what a change set's signature covers.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        writeCanonical(to: &out)
        return out
    }
}

/// Typed access to the members of a JSON object, naming the path in every error.
struct Members {
    let members: JSONObject
    let path: String

    init(_ value: JSONValue, _ path: String) throws(WireError) {
        guard case .object(let m) = value else { throw WireError(path: path, reason: "expected an object, found \(value.typeName)") }
        members = m
        self.path = path
    }

    func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func value(_ key: String) throws(WireError) -> JSONValue {
        guard let v = members[key] else { throw WireError(path: at(key), reason: "missing") }
        return v
    }

    func optional(_ key: String) -> JSONValue? {
        guard let v = members[key], v != .null else { return nil }
        return v
    }

    func string(_ key: String) throws(WireError) -> String {
        guard let s = try value(key).stringValue else { throw WireError(path: at(key), reason: "expected a string") }
        return s
    }

    func optionalString(_ key: String) throws(WireError) -> String? {
        guard let v = optional(key) else { return nil }
        guard let s = v.stringValue else { throw WireError(path: at(key), reason: "expected a string") }
        return s
    }

    func int(_ key: String) throws(WireError) -> Int64 {
        guard let i = try value(key).intValue else { throw WireError(path: at(key), reason: "expected an integer") }
        return i
    }

    func optionalInt(_ key: String) throws(WireError) -> Int64? {
        guard let v = optional(key) else { return nil }
        guard let i = v.intValue else { throw WireError(path: at(key), reason: "expected an integer") }
        return i
    }

    func bool(_ key: String, default fallback: Bool) throws(WireError) -> Bool {
        guard let v = optional(key) else { return fallback }
        guard let b = v.boolValue else { throw WireError(path: at(key), reason: "expected true or false") }
        return b
    }

    func optionalClock(_ key: String) throws(WireError) -> HybridTimestamp? {
        guard let text = try optionalString(key) else { return nil }
        guard let clock = HybridTimestamp(text) else { throw WireError(path: at(key), reason: "expected a hybrid clock timestamp like 1795763524123.0002@410100") }
        return clock
    }

    func array(_ key: String) throws(WireError) -> [JSONValue] {
        guard let v = optional(key) else { return [] }
        guard let a = v.arrayValue else { throw WireError(path: at(key), reason: "expected an array") }
        return a
    }

    func object(_ key: String) throws(WireError) -> JSONObject {
        guard let v = optional(key) else { return [:] }
        guard let o = v.objectValue else { throw WireError(path: at(key), reason: "expected an object") }
        return o
    }
}

extension JSONValue {
    /// An object without the members whose value is nil.
    static func compact(_ members: [String: JSONValue?]) -> JSONValue {
        .object(JSONObject(members.compactMapValues { $0 }))
    }
}

extension FieldChange: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        self.init(expected: m.members["expected"], value: m.members["value"])
    }

    public var json: JSONValue { .compact(["expected": expected, "value": value]) }
}

extension RecordChange: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        guard let op = Operation(rawValue: try m.string("op")) else { throw WireError(path: m.at("op"), reason: "must be create, update or delete") }
        let uscc = try m.string("uscc", limit: WireLimits.maxCodeBytes)
        if let document = m.optional("document") {
            // A new record sent whole: nothing else to read.
            guard op == .create else { throw WireError(path: m.at("document"), reason: "record \(uscc): only a new record (op create) is sent whole") }
            guard m.members["fields"] == nil, m.members["recovered"] == nil else {
                throw WireError(path: m.at("document"), reason: "record \(uscc): a record sent whole has no fields or recovered")
            }
            guard case .object = document else { throw WireError(path: m.at("document"), reason: "expected an object, found \(document.typeName)") }
            if let problem = WireLimits.problem(inDocument: document) { throw WireError(path: m.at("document"), reason: "record \(uscc): \(problem)") }
            self.init(uscc: uscc, creating: document)
            return
        }
        let sent = try m.object("fields")
        guard sent.count <= WireLimits.maxFieldsPerRecord else {
            throw WireError(path: m.at("fields"), reason: "record \(uscc) changes \(sent.count) fields; the limit is \(WireLimits.maxFieldsPerRecord)")
        }
        var fields: [String: FieldChange] = [:]
        fields.reserveCapacity(sent.count)
        for (name, change) in sent {
            if let problem = WireLimits.problem(inFieldPath: name) {
                throw WireError(path: m.at("fields") + "[\(WireLimits.quoted(name))]", reason: "record \(uscc): \(problem)")
            }
            // Read at the root, and the error moved to its place: a path per field would be
            // made for nothing a thousand times a change set.
            do { fields[name] = try FieldChange(json: change, path: "") } catch { throw error.placed(at: m.at("fields") + "[\(name)]") }
        }
        self.init(uscc: uscc, op: op, fields: fields, baseRevision: try m.optionalInt("baseRevision"),
                  expectedHash: try m.optionalString("expectedHash", limit: WireLimits.maxLabelBytes))
        if m.members["recovered"] != nil {
            var recovered: [String: String] = [:]
            for (name, origin) in try m.object("recovered") {
                guard fields[name] != nil else {
                    throw WireError(path: m.at("recovered") + "[\(WireLimits.quoted(name))]", reason: "record \(uscc): not one of the fields it changes")
                }
                guard let text = origin.stringValue, text.utf8.count <= WireLimits.maxNoteBytes else {
                    throw WireError(path: m.at("recovered") + "[\(WireLimits.quoted(name))]", reason: "expected a string of at most \(WireLimits.maxNoteBytes) bytes")
                }
                recovered[name] = text
            }
            self.recovered = recovered
        }
    }

    public var json: JSONValue {
        .compact(["uscc": .string(uscc), "op": .string(op.rawValue), "fields": document == nil ? .object(JSONObject(fields.mapValues(\.json))) : nil, "document": document,
                  "baseRevision": baseRevision.map(JSONValue.int), "expectedHash": expectedHash.map(JSONValue.string),
                  "recovered": recovered.map { .object(JSONObject($0.mapValues(JSONValue.string))) }])
    }
}

extension ChangeSet: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        var records: [RecordChange] = []
        let list = try m.array("records")
        records.reserveCapacity(list.count)
        for (n, record) in list.enumerated() {
            do { records.append(try RecordChange(json: record, path: "")) } catch { throw error.placed(at: m.at("records") + "[\(n)]") }
        }
        self.init(id: try m.string("id", limit: WireLimits.maxIdentifierBytes), region: try m.string("region", limit: WireLimits.maxCodeBytes),
                  createdAt: try m.optionalString("createdAt", limit: WireLimits.maxLabelBytes) ?? "",
                  agent: try m.optionalString("agent", limit: WireLimits.maxLabelBytes), records: records)
        pushChanges = try m.optionalInt("pushChanges").map(Int.init)
        push = try m.optionalString("push", limit: WireLimits.maxIdentifierBytes)
        clock = try m.optionalClock("clock")
        recovers = try m.optionalString("recovers", limit: WireLimits.maxLabelBytes)
        previous = try m.optionalString("previous", limit: WireLimits.maxLabelBytes)
        signer = try m.optionalString("signer", limit: WireLimits.maxLabelBytes)
        signature = try m.optionalString("signature", limit: WireLimits.maxLabelBytes)
        format = Int(try m.int("format"))
    }

    public var json: JSONValue {
        .compact(["format": .int(Int64(format)), "id": .string(id), "region": .string(region), "createdAt": .string(createdAt),
                  "agent": agent.map(JSONValue.string), "pushChanges": pushChanges.map { .int(Int64($0)) },
                  "push": push.map(JSONValue.string),
                  "clock": clock.map { .string($0.description) },
                  "recovers": recovers.map(JSONValue.string),
                  "previous": previous.map(JSONValue.string), "signer": signer.map(JSONValue.string),
                  "signature": signature.map(JSONValue.string),
                  "records": .array(records.map(\.json))])
    }
}

extension ConflictRef: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        self.init(field: try m.string("field"), conflictId: try m.int("conflictId"))
    }

    public var json: JSONValue { ["field": .string(field), "conflictId": .int(conflictId)] }
}

extension RecordResult: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        guard let outcome = Outcome(rawValue: try m.string("outcome")) else { throw WireError(path: m.at("outcome"), reason: "unknown outcome") }
        var conflicts: [ConflictRef] = []
        for (n, c) in try m.array("conflicts").enumerated() { conflicts.append(try ConflictRef(json: c, path: m.at("conflicts") + "[\(n)]")) }
        self.init(uscc: try m.string("uscc"), outcome: outcome, revision: try m.optionalInt("revision"), document: m.optional("document"),
                  hash: try m.optionalString("hash"), applied: try m.array("applied").compactMap(\.stringValue), conflicts: conflicts, reason: try m.optionalString("reason"))
    }

    public var json: JSONValue {
        .compact(["uscc": .string(uscc), "outcome": .string(outcome.rawValue), "revision": revision.map(JSONValue.int), "document": document,
                  "hash": hash.map(JSONValue.string), "applied": .array(applied.map(JSONValue.string)), "conflicts": .array(conflicts.map(\.json)), "reason": reason.map(JSONValue.string)])
    }
}

extension ChangeSetResult: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        var records: [RecordResult] = []
        for (n, r) in try m.array("records").enumerated() { records.append(try RecordResult(json: r, path: m.at("records") + "[\(n)]")) }
        self.init(id: try m.string("id"), replayed: try m.bool("replayed", default: false), records: records)
        held = try m.bool("held", default: false)
        message = try m.optionalString("message")
        clock = try m.optionalClock("clock")
        format = Int(try m.int("format"))
    }

    public var json: JSONValue {
        .compact(["format": .int(Int64(format)), "id": .string(id), "replayed": .bool(replayed), "held": held ? .bool(true) : nil,
                  "message": message.map(JSONValue.string), "clock": clock.map { .string($0.description) },
                  "records": .array(records.map(\.json))])
    }
}

extension ChangedRecord: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        self.init(uscc: try m.string("uscc"), revision: try m.int("revision"), seq: try m.int("seq"), document: m.optional("document"),
                  deleted: try m.bool("deleted", default: false), movedTo: try m.optionalString("movedTo"))
        hash = try m.optionalString("hash")
        echo = try m.bool("echo", default: false)
    }

    public var json: JSONValue {
        .compact(["uscc": .string(uscc), "revision": .int(revision), "seq": .int(seq), "document": document,
                  "deleted": .bool(deleted), "movedTo": movedTo.map(JSONValue.string), "hash": hash.map(JSONValue.string),
                  "echo": echo ? .bool(true) : nil])
    }
}

extension ChangePage: WireJSON {
    public init(json: JSONValue, path: String) throws(WireError) {
        let m = try Members(json, path)
        var records: [ChangedRecord] = []
        for (n, r) in try m.array("records").enumerated() { records.append(try ChangedRecord(json: r, path: m.at("records") + "[\(n)]")) }
        self.init(cursor: try m.int("cursor"), more: try m.bool("more", default: false), records: records)
        clock = try m.optionalClock("clock")
        format = Int(try m.int("format"))
    }

    public var json: JSONValue {
        .compact(["format": .int(Int64(format)), "cursor": .int(cursor), "more": .bool(more),
                  "clock": clock.map { .string($0.description) }, "records": .array(records.map(\.json))])
    }
}
