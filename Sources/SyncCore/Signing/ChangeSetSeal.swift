import Crypto
import EnterpriseModel

/// What a bureau's signature covers, and the link that chains a change set to the one its store
/// sealed before it.
///
/// - The **signed bytes** are the canonical JSON (`JSONValue.canonicalBytes`: members sorted by
///   the UTF-8 bytes of their names, no insignificant whitespace) of the change set object as
///   sent, with its `signature` member left out. Every other member is covered: `id`, `region`,
///   `createdAt`, `clock`, `records` with every field's `expected` and `value`, and `previous`
///   and `signer` themselves.
/// - The **hash** is the SHA-256 of the signed bytes in lower-case hex; the **signature** is
///   Ed25519 over the 32 bytes of that SHA-256, in base64.
/// - `previous` is the hash of the change set the store sealed before this one (`""` for the
///   first), so the province can tell the next change set from a gap (one missing) or a fork (a
///   store restored from a backup sealing again after an older one).
///
/// The province takes the signed bytes from the bytes it received: the body with its top-level
/// `signature` member cut out (`init(received:json:)`), which is what an agent signed, since it
/// sends the canonical form. Only a body that is not in canonical form (another client) is
/// encoded again, from the JSON received, so members the province does not know are covered
/// either way.
public struct ChangeSetSeal: Sendable, Hashable {
    /// The one member the signature does not cover.
    public static let signatureMember = "signature"

    public let signedBytes: [UInt8]
    /// The SHA-256 of `signedBytes`: what the key signs.
    public let digest: [UInt8]
    /// `digest` in lower-case hex: the change set's name in its store's chain (`previous`).
    public let hash: String

    /// The seal of a change set as JSON (the object as sent, with or without its signature).
    public init(_ changeSet: JSONValue) {
        var unsigned = changeSet
        if case .object(var members) = changeSet {
            members[Self.signatureMember] = nil
            unsigned = .object(members)
        }
        self.init(signedBytes: unsigned.canonicalBytes())
    }

    public init(_ changeSet: ChangeSet) {
        var unsigned = changeSet
        unsigned.signature = nil
        self.init(signedBytes: unsigned.encoded())
    }

    /// The JSON received, when these bytes were cut from a body (`init(received:json:)`): the
    /// canonical seal to fall back on when the signature does not verify over them.
    public private(set) var received: JSONValue?

    /// The seal of a body as received: its bytes with the top-level `signature` member (and its
    /// comma) cut out, without encoding anything again. `json` is the body parsed, kept for
    /// `canonical`. The bytes of a body that is not a JSON object are taken whole.
    public init(received body: [UInt8], json: JSONValue) {
        self.init(signedBytes: Self.cuttingSignature(from: body))
        received = json
    }

    /// The canonical seal of the JSON received (nil for a seal not made from a body).
    public var canonical: ChangeSetSeal? { received.map { ChangeSetSeal($0) } }

    /// `body` without its top-level `"signature": …` member. Strings are skipped whole (a
    /// `"signature"` inside a record is data, not the member), so is every nested value.
    static func cuttingSignature(from body: [UInt8]) -> [UInt8] {
        // In an agent's body (canonical) it is found from the end, past the few short members
        // after it, instead of skipping every record from the start (a hundredth of a first
        // upload's province). A member found so is a top-level one, and the only one of its
        // name in a body that parsed; anything else (no signature, another form) takes the walk
        // from the start.
        if body.count >= 2, body.first == UInt8(ascii: "{"), body.last == UInt8(ascii: "}"),
           case .member(let cut)? = placeFromEnd(of: Array(Self.signatureMember.utf8), in: body) {
            return Array(body[..<cut.lowerBound] + body[cut.upperBound...])
        }
        var scan = JSONBytes(body)
        let key = Array("\"signature\"".utf8)
        scan.skipSpace()
        guard scan.i < body.count, body[scan.i] == UInt8(ascii: "{") else { return body }
        scan.i += 1
        var memberStart = scan.i  // where this member begins, its comma included
        var first = true
        while scan.i < body.count {
            scan.skipSpace()
            guard scan.i < body.count, body[scan.i] == UInt8(ascii: "\"") else { return body }
            let keyStart = scan.i
            scan.skipString()
            let isSignature = body[keyStart..<scan.i].elementsEqual(key)
            scan.skipSpace()
            guard scan.i < body.count, body[scan.i] == UInt8(ascii: ":") else { return body }
            scan.i += 1
            scan.skipValue()
            let valueEnd = scan.i
            if isSignature {
                if first {
                    // The first member: it goes with the comma after it.
                    var end = valueEnd
                    if end < body.count, body[end] == UInt8(ascii: ",") { end += 1 }
                    return Array(body[..<keyStart] + body[end...])
                }
                return Array(body[..<memberStart] + body[valueEnd...])
            }
            guard scan.i < body.count, body[scan.i] == UInt8(ascii: ",") else { return body }
            memberStart = scan.i
            scan.i += 1
            first = false
        }
        return body
    }

    /// The change set as sent: the signed bytes with `"signature":"…"` put in at its place in
    /// canonical order, so that a sealed change set is encoded once, not again for the body.
    /// The same bytes as `ChangeSet.encoded()` after `sign`; nil when the signed bytes are not a
    /// canonical object of plain member names (then encode the change set).
    public func body(signature: String) -> [UInt8]? {
        let bytes = signedBytes
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        var member: [UInt8] = []
        JSONValue.writeCanonical(string: Self.signatureMember, to: &member)
        member.append(UInt8(ascii: ":"))
        JSONValue.writeCanonical(string: signature, to: &member)
        let name = Array(Self.signatureMember.utf8)
        if bytes.count == 2 { return [UInt8(ascii: "{")] + member + [UInt8(ascii: "}")] }
        switch Self.placeFromEnd(of: name, in: bytes) {
        case .after(let index, let first)?:
            return first ? Array(bytes[...index]) + member + [UInt8(ascii: ",")] + bytes[(index + 1)...]
                : Array(bytes[..<index]) + [UInt8(ascii: ",")] + member + bytes[index...]
        case .member?: return nil  // signed bytes hold a signature already: encode the change set
        case nil: break
        }
        var i = 1
        // Each top-level member: its name (plain, no escapes in canonical names of a change
        // set), then its value skipped whole, strings and nesting included.
        while i < bytes.count - 1 {
            guard bytes[i] == UInt8(ascii: "\"") else { return nil }
            let nameStart = i + 1
            var j = nameStart
            while j < bytes.count, bytes[j] != UInt8(ascii: "\"") {
                if bytes[j] == UInt8(ascii: "\\") { return nil }
                j += 1
            }
            if bytes[nameStart..<j].elementsEqual(name) { return nil }  // signed bytes with a signature: encode the change set
            if name.lexicographicallyPrecedes(bytes[nameStart..<j]) {
                return Array(bytes[..<i]) + member + [UInt8(ascii: ",")] + bytes[i...]
            }
            // Past the value: to the comma or brace at depth 0.
            i = j + 2
            var depth = 0
            scan: while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    i += 1
                    while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break scan }
                    depth -= 1
                case UInt8(ascii: ","): if depth == 0 { break scan }
                default: break
                }
                i += 1
            }
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "}") {
                return Array(bytes[..<i]) + [UInt8(ascii: ",")] + member + [UInt8(ascii: "}")]
            }
            i += 1
        }
        return nil
    }

    /// Where a top-level member named `name` is or goes in the canonical object `bytes`.
    enum Place: Equatable {
        /// It is there: the bytes to cut to take it out, its comma included (the one before
        /// it, or for the first member the one after it).
        case member(Range<Int>)
        /// It is not there and goes after `index`: the end of the member it follows, or with
        /// `first` the object's opening brace.
        case after(index: Int, first: Bool)
    }

    /// Where a member named `name` is or goes in the canonical object `bytes`, found from its
    /// end: the members after it (`signer`, after `signature`) are few and short, while the
    /// walk from the start crossed every record (a fiftieth of a first upload's agent). Nil when
    /// a member on the way is not a plain string or number (then the walk from the start).
    static func placeFromEnd(of name: [UInt8], in bytes: [UInt8]) -> Place? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        /// The opening quote of the string whose closing quote is at `end`: the nearest quote
        /// before it that no odd run of backslashes escapes.
        func openingQuote(before end: Int) -> Int? {
            var k = end - 1
            while k > 0 {
                if bytes[k] == quote {
                    var slashes = 0
                    while k - slashes - 1 >= 0, bytes[k - slashes - 1] == backslash { slashes += 1 }
                    if slashes % 2 == 0 { return k }
                }
                k -= 1
            }
            return nil
        }
        var end = bytes.count - 2  // the last byte of the last member's value
        while end > 0 {
            let valueStart: Int
            if bytes[end] == quote {
                guard let open = openingQuote(before: end) else { return nil }
                valueStart = open
            } else {
                var k = end
                while k > 0, Self.isNumberByte(bytes[k]) { k -= 1 }
                guard k < end else { return nil }
                valueStart = k + 1
            }
            guard valueStart >= 3, bytes[valueStart - 1] == UInt8(ascii: ":"), bytes[valueStart - 2] == quote,
                  let nameStart = openingQuote(before: valueStart - 2) else { return nil }
            let memberName = bytes[(nameStart + 1)..<(valueStart - 2)]
            if memberName.contains(backslash) { return nil }
            if memberName.lexicographicallyPrecedes(name) { return .after(index: end + 1, first: false) }
            let isName = memberName.elementsEqual(name)
            guard nameStart >= 1 else { return nil }
            if bytes[nameStart - 1] == UInt8(ascii: "{") {
                guard nameStart - 1 == 0 else { return nil }
                guard isName else { return .after(index: 0, first: true) }
                return .member(nameStart..<(bytes[end + 1] == UInt8(ascii: ",") ? end + 2 : end + 1))
            }
            guard bytes[nameStart - 1] == UInt8(ascii: ",") else { return nil }
            if isName { return .member((nameStart - 1)..<(end + 1)) }
            end = nameStart - 2
        }
        return nil
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
    }

    /// The seal of bytes kept as signed (the province's log keeps them for `changesets verify`).
    public init(signedBytes: [UInt8]) {
        self.signedBytes = signedBytes
        let sha = SHA256.hash(data: signedBytes)
        digest = Array(sha)
        hash = ContentHash.hex(sha)
    }
}

extension ChangeSet {
    /// Chains the change set after the one with hash `previous` (`""`: the first of its store)
    /// and signs it with `key`: sets `previous`, `signer` and `signature`, and returns the seal
    /// (whose `hash` the next change set names as its `previous`).
    @discardableResult
    public mutating func sign(after previous: String, with key: SigningKey) throws(SigningKeyError) -> ChangeSetSeal {
        self.previous = previous
        signer = key.publicKey.fingerprint
        signature = nil
        let seal = ChangeSetSeal(self)
        signature = try key.signature(for: seal)
        return seal
    }
}
