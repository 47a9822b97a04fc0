import EnterpriseModel

/// One page of `GET /v1/changes?since=CURSOR`: the records of the caller's region changed after
/// the cursor, oldest first. The agent stores `cursor` only after it has merged the page.
public struct ChangePage: Sendable, Hashable, Codable {
    public var format: Int
    public var cursor: Int64
    /// More pages follow: ask again with `cursor`.
    public var more: Bool
    /// The province's clock when it answered (see `ChangeSetResult.clock`).
    public var clock: HybridTimestamp?
    public var records: [ChangedRecord]

    public init(cursor: Int64, more: Bool, records: [ChangedRecord]) {
        self.format = WireFormat.version
        self.cursor = cursor
        self.more = more
        self.records = records
    }
}

public struct ChangedRecord: Sendable, Hashable, Codable {
    public var uscc: String
    public var revision: Int64
    public var seq: Int64
    /// Absent for a tombstone.
    public var document: JSONValue?
    public var deleted: Bool
    /// For a record that left the caller's region: its new owner.
    public var movedTo: String?
    /// Content hash of the province's version. With `echo`, the document is left out because
    /// the caller itself wrote this revision: it has it already if its base has this hash.
    public var hash: String?
    public var echo: Bool = false

    public init(uscc: String, revision: Int64, seq: Int64, document: JSONValue?, deleted: Bool = false, movedTo: String? = nil) {
        self.uscc = uscc
        self.revision = revision
        self.seq = seq
        self.document = document
        self.deleted = deleted
        self.movedTo = movedTo
    }
}

/// `GET /v1/records/{uscc}`: a record with its revision and who set each field.
public struct RecordView: Sendable, Hashable, Codable {
    public var uscc: String
    public var region: String
    public var revision: Int64
    public var seq: Int64
    public var deleted: Bool
    public var document: JSONValue
    public var provenance: [String: Provenance]

    public init(uscc: String, region: String, revision: Int64, seq: Int64, deleted: Bool, document: JSONValue, provenance: [String: Provenance]) {
        self.uscc = uscc
        self.region = region
        self.revision = revision
        self.seq = seq
        self.deleted = deleted
        self.document = document
        self.provenance = provenance
    }
}

/// Who last set a field: a region's bureau (`region:410100`), a reviewer or the province
/// (`reviewer:wang`), through which change set, at what time.
public struct Provenance: Sendable, Hashable, Codable {
    public var source: String
    public var changeSet: String
    public var at: String
    public var revision: Int64
    /// The hybrid logical clock of the edit (what the `latest` rule compares).
    public var clock: HybridTimestamp?
    /// The fingerprint of the bureau's key that signed the change set which set the value,
    /// verified when the province accepted it (absent: unsigned, or a province edit).
    /// `esync-aggregator changesets verify` checks the signature again.
    public var signer: String?

    public init(source: String, changeSet: String, at: String, revision: Int64, clock: HybridTimestamp? = nil, signer: String? = nil) {
        self.source = source
        self.changeSet = changeSet
        self.at = at
        self.revision = revision
        self.clock = clock
        self.signer = signer
    }
}

/// The body of `PATCH /v1/records/{uscc}`: province edits of single fields.
public struct RecordPatch: Sendable, Hashable, Codable {
    /// Field path → new value (JSON `null` sets null).
    public var set: [String: JSONValue]
    /// Field paths to remove.
    public var remove: [String]?
    /// When given, the patch applies only if the record is still at this revision (409 otherwise).
    public var expectedRevision: Int64?
    public var note: String?

    public init(set: [String: JSONValue], remove: [String]? = nil, expectedRevision: Int64? = nil, note: String? = nil) {
        self.set = set
        self.remove = remove
        self.expectedRevision = expectedRevision
        self.note = note
    }

    /// Throws naming the first field path beyond `WireLimits` (the merge walks each part of a
    /// path), or a note or field list longer than the limits.
    public func checkLimits() throws(WireError) {
        let paths = Array(set.keys) + (remove ?? [])
        guard paths.count <= WireLimits.maxFieldsPerRecord else {
            throw WireError(path: "set", reason: "\(paths.count) fields; the limit is \(WireLimits.maxFieldsPerRecord)")
        }
        for path in paths {
            if let problem = WireLimits.problem(inFieldPath: path) { throw WireError(path: WireLimits.quoted(path), reason: problem) }
        }
        if let note, note.utf8.count > WireLimits.maxNoteBytes {
            throw WireError(path: "note", reason: "\(note.utf8.count) bytes is longer than the limit of \(WireLimits.maxNoteBytes)")
        }
    }
}

/// The JSON body of every error answer: `{"error": CODE, "message": TEXT}`.
public struct APIErrorBody: Sendable, Hashable, Codable {
    public var error: String
    public var message: String

    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}
