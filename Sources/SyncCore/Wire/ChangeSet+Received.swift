import EnterpriseModel

extension ChangeSet {
    /// A change set's body as the province receives it, decoded (`decodeKeepingJSON`), with the
    /// canonical text of each record sent whole taken from the body where it is there already
    /// (`RecordChange.documentCanonical`): an agent sends canonical JSON, so a document's text
    /// is its bytes in the body, and encoding it again was a tenth of merging a first upload.
    ///
    /// A document's bytes are taken only when the body leaves no doubt which bytes the parser
    /// read it from (the top-level object's and each record's member names plain and in strictly
    /// increasing order, so none is there twice) and they are canonical
    /// (`JSONValue.canonicalText(of:)`); otherwise the document is encoded when it is written.
    /// A body that is canonical text as a whole (an agent's), which the parse tells, holds each
    /// document's canonical text as it is: checking every document again was a fortieth of a
    /// first upload's merging.
    public static func decodeReceived(_ body: [UInt8]) throws(WireError) -> (value: ChangeSet, json: JSONValue) {
        var (changeSet, json, form) = try decodeNotingForm(body)
        guard changeSet.records.contains(where: { $0.document != nil }) else { return (changeSet, json) }
        var scan = ReceivedBody(body)
        guard let spans = scan.documentSpans(), spans.count == changeSet.records.count else { return (changeSet, json) }
        for (n, span) in spans.enumerated() where changeSet.records[n].document != nil {
            guard let span else { continue }
            changeSet.records[n].documentCanonical = form == .canonical ? Array(body[span]) : JSONValue.canonicalText(of: body[span])
        }
        return (changeSet, json)
    }
}

/// Finds the documents in a change set's body without parsing it again.
private struct ReceivedBody {
    let body: [UInt8]
    var scan: JSONBytes
    var i: Int {
        get { scan.i }
        set { scan.i = newValue }
    }

    init(_ body: [UInt8]) {
        self.body = body
        scan = JSONBytes(body)
    }

    mutating func skipSpace() { scan.skipSpace() }
    mutating func skipString() { scan.skipString() }
    mutating func skipValue() { scan.skipValue() }

    /// For each element of the top-level `records`, where its `document` value lies (nil: it
    /// has none); nil when a name is escaped or out of order (perhaps there twice), or the body
    /// is not as expected.
    mutating func documentSpans() -> [Range<Int>?]? {
        var spans: [Range<Int>?]?
        let found = members { name, this throws(Stop) in
            guard name.elementsEqual("records".utf8) else { return this.skipValue() }
            spans = try this.recordSpans()
        }
        return found ? spans : nil
    }

    private struct Stop: Error {}

    private mutating func recordSpans() throws(Stop) -> [Range<Int>?] {
        skipSpace()
        guard i < body.count, body[i] == UInt8(ascii: "[") else { throw Stop() }
        i += 1
        var spans: [Range<Int>?] = []
        skipSpace()
        if i < body.count, body[i] == UInt8(ascii: "]") {
            i += 1
            return spans
        }
        while true {
            var span: Range<Int>?
            guard members({ name, this throws(Stop) in
                this.skipSpace()
                let start = this.i
                this.skipValue()
                if name.elementsEqual("document".utf8) { span = start..<this.i }
            }) else { throw Stop() }
            spans.append(span)
            skipSpace()
            guard i < body.count else { throw Stop() }
            i += 1
            if body[i - 1] == UInt8(ascii: "]") { return spans }
            guard body[i - 1] == UInt8(ascii: ",") else { throw Stop() }
        }
    }

    /// Walks the object at `i`, handing each member's name to `member`, which must move past
    /// its value. False when the names are not plain and strictly increasing, or the object is
    /// malformed.
    private mutating func members(_ member: (ArraySlice<UInt8>, inout ReceivedBody) throws(Stop) -> Void) -> Bool {
        skipSpace()
        guard i < body.count, body[i] == UInt8(ascii: "{") else { return false }
        i += 1
        var previous: ArraySlice<UInt8>?
        while true {
            skipSpace()
            guard i < body.count else { return false }
            if body[i] == UInt8(ascii: "}"), previous == nil {
                i += 1
                return true
            }
            guard body[i] == UInt8(ascii: "\"") else { return false }
            let start = i + 1
            skipString()
            let name = body[start..<(i - 1)]
            guard !name.contains(UInt8(ascii: "\\")) else { return false }
            if let previous, !previous.lexicographicallyPrecedes(name) { return false }
            previous = name
            skipSpace()
            guard i < body.count, body[i] == UInt8(ascii: ":") else { return false }
            i += 1
            do { try member(name, &self) } catch { return false }
            skipSpace()
            guard i < body.count else { return false }
            i += 1
            if body[i - 1] == UInt8(ascii: "}") { return true }
            guard body[i - 1] == UInt8(ascii: ",") else { return false }
        }
    }
}
