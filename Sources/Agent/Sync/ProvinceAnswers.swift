import EnterpriseModel
import SyncCore

/// A record of the province's answer that the agent did not take in, named for the operator.
public struct RefusedRecord: Sendable, Equatable, CustomStringConvertible {
    /// The credit code as the province sent it, safe to print (see `ProvinceAnswers.shown`).
    public var uscc: String
    public var reason: String

    public var description: String { "record \(uscc) from the province refused: \(reason)" }
}

/// The checks every answer of the province passes before the agent acts on it. A credit code
/// from the network names files (`records/CODE.json`) and bases: a province, or
/// anyone on the path over `http://` or with verification off, that answered `../../x` made the
/// agent write `x.json` outside its store. `ProvinceClient` hands out pages, push answers and
/// record views only through these checks, so no caller can forget them.
///
/// A record that fails is refused alone and named with the reason, and the rest of its answer
/// applies: the cursor moves past it (it would come again on every pull otherwise, and block the
/// records after it), and `pull --full` fetches it again once the province sends it right. An
/// answer that cannot be taken in at all (a cursor that goes back, or stays where it was while
/// more pages are announced: the agent would ask for the same page forever) is refused whole.
enum ProvinceAnswers {
    /// Why `raw` cannot name a record file; nil for a valid credit code in canonical form (the
    /// form the province stores and sends; any other spelling would name a second file).
    static func problem(withCode raw: String) -> String? {
        let code: USCC
        do { code = try USCC(raw) } catch {
            // Not `error.description`: it repeats the text, which may be long or hold control characters.
            switch error {
            case .empty: return "not a credit code (empty)"
            case .wrongLength(_, let length): return "not a credit code (\(length) characters, not 18)"
            case .invalidCharacter(_, _, let position): return "not a credit code (a character outside the code's alphabet at position \(position))"
            case .divisionNotDigits: return "not a credit code (positions 3-8 are not a division code)"
            case .checkCharacterMismatch, .orgCodeCheckMismatch: return "not a credit code (a check character does not match)"
            case .individualBusiness: return "not a credit code of an enterprise (prefix 92: an individual business)"
            }
        }
        return code.rawValue == raw ? nil : "not in canonical form (\(code.rawValue))"
    }

    /// A code or region as a message shows it: as is when it is ASCII letters and digits (a
    /// credit code, a region code), else quoted, with quotes, backslashes and control and
    /// direction characters escaped (a code must not forge a line of the log) and cut to 64
    /// characters.
    static func shown(_ raw: String) -> String {
        let plain = raw.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
        if plain && !raw.isEmpty && raw.utf8.count <= 64 { return raw }
        var out = "\""
        for scalar in raw.unicodeScalars.prefix(64) {
            switch scalar.value {
            case 0x22, 0x5C: out += "\\" + String(scalar)
            case 0..<0x20, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        let count = raw.unicodeScalars.count
        return out + (count > 64 ? "…\" (\(count) characters)" : "\"")
    }

    /// Why a document the province sent for `uscc` cannot be this store's: it must be that
    /// record (else the file would hold another) and of the store's region (the store is one
    /// region's; the province sends a region only its own records).
    static func problem(withDocument document: JSONValue, of uscc: String, region: String) -> String? {
        guard case .object = document else { return "its document is not a JSON object" }
        guard document["uscc"]?.stringValue == uscc else {
            return "its document is of another record (uscc \(shown(document["uscc"]?.stringValue ?? "missing")))"
        }
        guard let theirs = document["region"]?.stringValue, theirs == region else {
            let named = document["region"]?.stringValue
            let name = named.flatMap(Regions.region(code:)).map { " (\($0.name))" } ?? ""
            return "its document is of region \(named.map(shown) ?? "none")\(name), not this store's region \(region)"
        }
        return nil
    }

    /// A page of the change feed asked for with `since`: its records that this store may take
    /// in, in order, and the others, refused.
    static func check(_ page: ChangePage, since: Int64, region: String, url: String) throws(AgentError) -> (page: ChangePage, refused: [RefusedRecord]) {
        guard page.cursor >= since else {
            throw .protocolError(url: url, reason: "the page's cursor \(page.cursor) is before the cursor \(since) asked for; nothing of it was taken in")
        }
        guard !(page.more && page.cursor == since) else {
            throw .protocolError(url: url, reason: "more pages follow but the cursor stays at \(since), so the same page would be asked for again and again; nothing of it was taken in")
        }
        var checked = page
        checked.records = []
        var refused: [RefusedRecord] = []
        var last = since
        for record in page.records {
            if let reason = problem(with: record, after: last, cursor: page.cursor, region: region) {
                refused.append(RefusedRecord(uscc: shown(record.uscc), reason: reason))
                continue
            }
            checked.records.append(record)
            last = record.seq
        }
        return (checked, refused)
    }

    /// Why a record of a page cannot be taken in. Its `seq` must come after the one before it
    /// (or the cursor asked for) and not after the page's cursor: the feed is in change order,
    /// and a record out of it is not where the cursor says it is.
    static func problem(with record: ChangedRecord, after last: Int64, cursor: Int64, region: String) -> String? {
        if let problem = problem(withCode: record.uscc) { return problem }
        if record.seq <= last { return "seq \(record.seq) does not come after \(last) (the cursor asked for, or the record before it)" }
        if record.seq > cursor { return "seq \(record.seq) is past the page's cursor \(cursor)" }
        if let movedTo = record.movedTo {
            guard Regions.region(code: movedTo) != nil else { return "moved to \(shown(movedTo)), which is not a region" }
            guard movedTo != region else { return "moved to \(movedTo), which is this store's own region" }
        }
        if !record.deleted && !record.echo, let document = record.document {
            return problem(withDocument: document, of: record.uscc, region: region)
        }
        return nil
    }

    /// The answer to a change set this store sent: about the records it sent, each once (the
    /// first answer stands), with their documents.
    static func check(_ result: ChangeSetResult, sent: ChangeSet, region: String, url: String) throws(AgentError) -> (result: ChangeSetResult, refused: [RefusedRecord]) {
        guard result.id == sent.id else {
            throw .protocolError(url: url, reason: "the answer is about change set \(shown(result.id)), not \(sent.id) which was sent; it stays in the outbox")
        }
        let codes = Set(sent.records.map(\.uscc))
        var answered = Set<String>()
        var checked = result
        checked.records = []
        var refused: [RefusedRecord] = []
        for record in result.records {
            if let reason = problem(with: record, of: sent.id, sent: codes, answered: &answered, region: region) {
                refused.append(RefusedRecord(uscc: shown(record.uscc), reason: reason))
            } else {
                checked.records.append(record)
            }
        }
        return (checked, refused)
    }

    /// Why the answer about one record of change set `id` cannot be taken in; `answered`: the
    /// records answered before it in the same answer.
    static func problem(with record: RecordResult, of id: String, sent codes: Set<String>, answered: inout Set<String>, region: String) -> String? {
        if let problem = problem(withCode: record.uscc) { return problem }
        if !codes.contains(record.uscc) { return "not in change set \(id), which the answer is about" }
        if !answered.insert(record.uscc).inserted { return "answered twice; the first answer stands" }
        return record.document.flatMap { problem(withDocument: $0, of: record.uscc, region: region) }
    }

    /// A record this store asked for by its code: that record, of the store's region. The code
    /// asked for is checked too: it comes from the store's state, which an agent without these
    /// checks may have filled from a hostile answer.
    static func check(_ view: RecordView, asked uscc: String, region: String, url: String) throws(AgentError) -> RecordView {
        if let reason = problem(with: view, asked: uscc, region: region) { throw .refusedAnswer(url: url, uscc: shown(uscc), reason: reason) }
        return view
    }

    static func problem(with view: RecordView, asked uscc: String, region: String) -> String? {
        if let problem = problem(withCode: uscc) { return "the code asked for is \(problem)" }
        if view.uscc != uscc { return "the answer is about record \(shown(view.uscc))" }
        if view.region != region { return "the record is of region \(shown(view.region)), not this store's region \(region)" }
        return problem(withDocument: view.document, of: uscc, region: region)
    }
}
