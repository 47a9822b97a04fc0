/// The version of the JSON wire format spoken between agent and aggregator.
///
/// Every change set, answer and change page carries it as `"format"`; an aggregator refuses a
/// format it does not know instead of guessing.
public enum WireFormat {
    public static let version = 1
}

/// How much a push answer says of each record: request header `ESync-Answer`.
public enum AnswerForm: String, Sendable {
    /// Every merged document (no header).
    case documents
    /// `hashes`: a document the agent can rebuild (its base with the sent fields in place) is
    /// left out, and `hash` is its content hash.
    case hashes
    /// `short-hashes`: as `hashes`, with the hash of a left-out document cut to its first 16
    /// digits (64 bits: enough to tell a rebuild that went wrong; the agent keeps the hash it
    /// computes). The 1 % sync of a large store received more hash digits than anything else.
    case shortHashes = "short-hashes"

    public static let header = "ESync-Answer"
    /// The digits of a short hash.
    public static let shortHashLength = 16

    /// The form a request's header asks for; documents when absent or unknown.
    public init(header value: String?) {
        self = value.flatMap { AnswerForm(rawValue: $0.lowercased()) } ?? .documents
    }
}

/// Request header `ESync-Echoes: revisions` on `GET /v1/changes`: a revision the requester wrote
/// itself (`echo`) comes without its hash; the agent knows it from the push answer and skips an
/// echo its base has the revision of.
public enum EchoForm {
    public static let header = "ESync-Echoes"
    public static let revisionsOnly = "revisions"
    /// `none`: echoes are left out of the page altogether (a tombstone never is), the cursor
    /// moving past them all the same. An agent asks so when every change set it sent has been
    /// answered and its answer merged (its outbox is empty): those answers told it every
    /// revision it wrote. A province before this value sends echoes with their hash.
    public static let none = "none"
}

/// Response header `ESync-Accepts` on every answer of a province to a signed-in caller: the
/// forms of a change set it takes beyond those every province of format 1 takes, comma-separated.
/// An agent sends a form only to a province that said it takes it; a province before this
/// header says nothing, and gets none.
public enum ProvinceAccepts {
    public static let header = "ESync-Accepts"
    /// A new record sent whole (`RecordChange.document`) instead of field by field.
    public static let wholeRecords = "whole-records"
    /// A store's change set sent before the answer to the one before it came, naming that one
    /// (`ChangeSetAfter`): merged only after it.
    public static let pipelined = "pipelined"
    /// A change set's body compressed with zstd (`Content-Encoding: zstd`, RFC 8878) instead of
    /// gzip: a fifth of gzip's CPU on each side, for fewer bytes.
    public static let zstd = "zstd"
    /// What this province takes (the header's value).
    public static let all = [wholeRecords, pipelined, zstd]

    /// Whether a header's value names `form`.
    public static func names(_ form: String, in value: String) -> Bool {
        value.split(separator: ",").contains { $0.lowercased().filter { !$0.isWhitespace } == form }
    }
}

/// Request header `ESync-After: ID` on `POST /v1/changesets`, sent only to a province whose
/// answers name `ProvinceAccepts.pipelined`: the change set follows change set `ID` of the same
/// store, sent before its answer came (an agent's push pipeline has several in flight). The province
/// merges it only once it has accepted `ID` (applied or held it): it waits while `ID` is being
/// merged or on its way, and answers 409 `out_of_order` (nothing applied) when `ID` was refused,
/// has not come within `waitSeconds`, or is still being merged after `mergeWaitSeconds`. The
/// agent then sends the rest of its outbox one at a time.
public enum ChangeSetAfter {
    public static let header = "ESync-After"
    /// The error code of a change set whose predecessor was not accepted.
    public static let outOfOrder = "out_of_order"
    /// How long a province waits for the predecessor to arrive…
    public static let waitSeconds = 10
    /// … and for it to be merged, once it is being merged.
    public static let mergeWaitSeconds = 60
}
