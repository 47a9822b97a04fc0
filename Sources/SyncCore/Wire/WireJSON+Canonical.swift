import EnterpriseModel

/// The canonical text of the wire types that carry many records (a change set, its answer, a
/// page of the change feed), written member by member instead of through a `JSONValue` tree
/// that is then sorted again.
///
/// Each writer names its members in canonical order (sorted by the bytes of their UTF-8) and
/// leaves out the members `json` leaves out, so that `encoded()` is byte for byte
/// `json.canonicalBytes()`: a signature made over one verifies over the other.
/// `WireCanonicalTests` holds every writer to that.
struct CanonicalWriter {
    var out: [UInt8]
    /// Whether the next member or element follows another one in the same object or array.
    private var follows = false

    init(_ out: consuming [UInt8]) { self.out = out }

    mutating func object(_ body: (inout CanonicalWriter) -> Void) {
        out.append(UInt8(ascii: "{"))
        follows = false
        body(&self)
        out.append(UInt8(ascii: "}"))
        follows = true
    }

    mutating func array<Element>(_ elements: [Element], _ write: (inout CanonicalWriter, Element) -> Void) {
        out.append(UInt8(ascii: "["))
        follows = false
        for element in elements {
            if follows { out.append(UInt8(ascii: ",")) }
            write(&self, element)
            follows = true
        }
        out.append(UInt8(ascii: "]"))
        follows = true
    }

    /// `"name":`, after a comma when a member came before. Names are plain ASCII here.
    mutating func name(_ name: StaticString) {
        if follows { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        follows = true
    }

    /// A member whose name comes from data (a field path): escaped as the canonical text does.
    mutating func name(_ name: String) {
        if follows { out.append(UInt8(ascii: ",")) }
        JSONValue.writeCanonical(string: name, to: &out)
        out.append(UInt8(ascii: ":"))
        follows = true
    }

    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        self.name(name)
        JSONValue.writeCanonical(string: value, to: &out)
    }

    mutating func member(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        self.name(name)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func member(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.name(name)
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func member(_ name: StaticString, _ value: JSONValue?) {
        guard let value else { return }
        self.name(name)
        value.writeCanonical(to: &out)
    }

    mutating func value(_ value: some WireJSON) {
        value.writeCanonical(to: &out)
        follows = true
    }

    /// The members of a map from data (field paths), sorted by the bytes of their names.
    mutating func members<Value>(_ name: StaticString, _ map: [String: Value], _ write: (inout CanonicalWriter, Value) -> Void) {
        self.name(name)
        object { writer in
            for (key, value) in map.sorted(by: { JSONValue.canonicalOrder($0.key, $1.key) }) {
                writer.name(key)
                write(&writer, value)
            }
        }
    }

    /// Appends to `out` an object whose members `body` writes.
    static func object(to out: inout [UInt8], _ body: (inout CanonicalWriter) -> Void) {
        var writer = CanonicalWriter(out)
        out = []
        writer.object(body)
        out = writer.out
    }
}

extension FieldChange {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("expected", expected)
            w.member("value", value)
        }
    }
}

extension RecordChange {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("baseRevision", baseRevision)
            if let documentCanonical {
                w.name("document")
                w.out.append(contentsOf: documentCanonical)
            } else {
                w.member("document", document)
            }
            w.member("expectedHash", expectedHash)
            if document == nil { w.members("fields", fields) { w, change in w.value(change) } }
            w.member("op", op.rawValue)
            if let recovered { w.members("recovered", recovered) { w, origin in JSONValue.writeCanonical(string: origin, to: &w.out) } }
            w.member("uscc", uscc)
        }
    }
}

extension ChangeSet {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("agent", agent)
            w.member("clock", clock?.description)
            w.member("createdAt", createdAt)
            w.member("format", Int64(format))
            w.member("id", id)
            w.member("previous", previous)
            w.member("push", push)
            w.member("pushChanges", pushChanges.map(Int64.init))
            w.name("records")
            w.array(records) { w, record in w.value(record) }
            w.member("recovers", recovers)
            w.member("region", region)
            w.member("signature", signature)
            w.member("signer", signer)
        }
    }
}

extension ConflictRef {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("conflictId", conflictId)
            w.member("field", field)
        }
    }
}

extension RecordResult {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.name("applied")
            w.array(applied) { w, field in JSONValue.writeCanonical(string: field, to: &w.out) }
            w.name("conflicts")
            w.array(conflicts) { w, conflict in w.value(conflict) }
            w.member("document", document)
            w.member("hash", hash)
            w.member("outcome", outcome.rawValue)
            w.member("reason", reason)
            w.member("revision", revision)
            w.member("uscc", uscc)
        }
    }
}

extension ChangeSetResult {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("clock", clock?.description)
            w.member("format", Int64(format))
            w.member("held", held ? true : nil)
            w.member("id", id)
            w.member("message", message)
            w.name("records")
            w.array(records) { w, record in w.value(record) }
            w.member("replayed", replayed)
        }
    }
}

extension ChangedRecord {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("deleted", deleted)
            w.member("document", document)
            w.member("echo", echo ? true : nil)
            w.member("hash", hash)
            w.member("movedTo", movedTo)
            w.member("revision", revision)
            w.member("seq", seq)
            w.member("uscc", uscc)
        }
    }
}

extension ChangePage {
    public func writeCanonical(to out: inout [UInt8]) {
        CanonicalWriter.object(to: &out) { w in
            w.member("clock", clock?.description)
            w.member("cursor", cursor)
            w.member("format", Int64(format))
            w.member("more", more)
            w.name("records")
            w.array(records) { w, record in w.value(record) }
        }
    }
}
