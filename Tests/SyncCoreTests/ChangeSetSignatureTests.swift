import EnterpriseModel
import Foundation
@testable import SyncCore
import Testing

/// What a bureau signs, byte for byte, and how its change sets chain.
@Suite struct ChangeSetSignatureTests {
    static func changeSet(_ id: String = "cs-1", employees: Int64 = 120) -> ChangeSet {
        let change = RecordChange(uscc: "91410100MA44XFHC3R", op: .update,
                                  fields: ["employees": FieldChange(expected: 100, value: .int(employees)), "contact.phone": FieldChange(expected: nil, value: "0371-1234")],
                                  baseRevision: 3)
        var changeSet = ChangeSet(id: id, region: "410100", createdAt: "2026-03-01T08:00:00Z", agent: "esync-agent/0.1.0", records: [change])
        changeSet.clock = HybridTimestamp(milliseconds: 1_795_763_524_123, counter: 2, node: "410100")
        return changeSet
    }

    @Test func theSignedBytesAreTheCanonicalJSONWithoutTheSignature() throws {
        var changeSet = Self.changeSet()
        let seal = try changeSet.sign(after: "", with: SigningKey())
        let text = String(decoding: seal.signedBytes, as: UTF8.self)
        // Members sorted by name, no whitespace, `previous` and `signer` covered, `signature` not.
        #expect(text == #"{"agent":"esync-agent/0.1.0","clock":"1795763524123.0002@410100","createdAt":"2026-03-01T08:00:00Z","format":1,"id":"cs-1","#
            + #""previous":"","records":[{"baseRevision":3,"fields":{"contact.phone":{"value":"0371-1234"},"employees":{"expected":100,"value":120}},"#
            + #""op":"update","uscc":"91410100MA44XFHC3R"}],"region":"410100","signer":"\#(changeSet.signer!)"}"#)
        #expect(seal.hash == ContentHash.of(bytes: seal.signedBytes))
        #expect(seal.hash.count == 64)
        #expect(ChangeSetSeal(changeSet) == seal, "the signature member does not change the seal")
    }

    @Test func aSignedChangeSetVerifiesAsTheProvinceReceivesIt() throws {
        let key = SigningKey()
        var changeSet = Self.changeSet()
        try changeSet.sign(after: "", with: key)
        let received = try ChangeSet.decodeKeepingJSON(changeSet.encoded())
        #expect(key.publicKey.verifies(received.value, ChangeSetSeal(received.json)))
        // Whitespace and member order on the wire do not matter: the seal is of the canonical form.
        let pretty = received.json.prettyBytes()
        let again = try ChangeSet.decodeKeepingJSON(pretty)
        #expect(key.publicKey.verifies(again.value, ChangeSetSeal(again.json)))
    }

    @Test func anyEditAfterSigningBreaksTheSignature() throws {
        let key = SigningKey()
        var changeSet = Self.changeSet()
        try changeSet.sign(after: "", with: key)
        let sent = changeSet.encoded()
        func verifies(_ bytes: [UInt8]) throws -> Bool {
            let received = try ChangeSet.decodeKeepingJSON(bytes)
            return key.publicKey.verifies(received.value, ChangeSetSeal(received.json))
        }
        #expect(try verifies(sent))
        let text = String(decoding: sent, as: UTF8.self)
        for (from, to) in [(#""value":120"#, #""value":121"#), (#""previous":"""#, #""previous":"ab""#),
                           (#""region":"410100""#, #""region":"410200""#), (#""id":"cs-1""#, #""id":"cs-2""#)] {
            #expect(text.contains(from))
            #expect(try !verifies(Array(text.replacingOccurrences(of: from, with: to).utf8)), "\(from) → \(to)")
        }
        // A member this version does not know is covered too.
        #expect(try !verifies(Array(text.replacingOccurrences(of: #"{"agent""#, with: #"{"added":1,"agent""#).utf8)))
        var unsigned = changeSet
        unsigned.signature = nil
        #expect(!key.publicKey.verifies(unsigned, ChangeSetSeal(unsigned)))
    }

    @Test func anotherKeysSignatureDoesNotVerify() throws {
        var changeSet = Self.changeSet()
        let seal = try changeSet.sign(after: "", with: SigningKey())
        let other = SigningKey().publicKey
        #expect(!other.verifies(changeSet, seal))
        #expect(changeSet.signer != other.fingerprint)
    }

    @Test func eachChangeSetNamesTheHashOfTheOneBefore() throws {
        let key = SigningKey()
        var first = Self.changeSet("cs-1")
        let firstSeal = try first.sign(after: "", with: key)
        var second = Self.changeSet("cs-2", employees: 130)
        let secondSeal = try second.sign(after: firstSeal.hash, with: key)
        #expect(first.previous == "")
        #expect(second.previous == firstSeal.hash)
        #expect(secondSeal.hash != firstSeal.hash)
        // Signing again after another previous (a change set set aside before it) is a new seal.
        var resigned = second
        let moved = try resigned.sign(after: "", with: key)
        #expect(moved.hash != secondSeal.hash && key.publicKey.verifies(resigned, moved))
    }

    @Test func keysTravelAsBase64AndAreNamedByAFingerprint() throws {
        let key = SigningKey()
        let restored = try SigningKey(base64: key.base64 + "\n")
        #expect(restored.publicKey == key.publicKey)
        let registered = try PublicSigningKey(base64: key.publicKey.base64)
        #expect(registered == key.publicKey)
        #expect(registered.fingerprint.count == 16 && registered.fingerprint.allSatisfy(\.isHexDigit))
        #expect(registered.fingerprint == String(ContentHash.of(bytes: registered.rawRepresentation).prefix(16)))
        #expect(throws: SigningKeyError.self) { try PublicSigningKey(base64: "not a key") }
        #expect(throws: SigningKeyError.self) { try PublicSigningKey(base64: Data(repeating: 1, count: 31).base64EncodedString()) }
        #expect(throws: SigningKeyError.self) { try SigningKey(base64: "") }
    }
}

/// The province cuts the signature out of the bytes received instead of encoding the change set
/// again (issue 15).
@Suite struct ReceivedSealTests {
    func signed() throws -> ChangeSet {
        var generator = SampleGenerator(seed: 3)
        var document = generator.next(region: Regions.region(code: "410100")).json
        // A member named like the signature inside a record is data, not the signature.
        FieldPath.set(&document, path: "contact.signature", to: .string("\"signature\":\"x\""))
        var changeSet = ChangeSet(id: "cs-1", region: "410100", createdAt: "now",
                                  records: [RecordDiff.change(uscc: document["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: document)!])
        try changeSet.sign(after: "", with: SigningKey())
        return changeSet
    }

    @Test func theBytesAgentsSendGiveTheSealTheySigned() throws {
        let changeSet = try signed()
        let body = changeSet.encoded()
        let seal = ChangeSetSeal(received: body, json: try JSONValue.parse(body))
        var unsigned = changeSet
        unsigned.signature = nil
        #expect(seal.signedBytes == unsigned.encoded())
        #expect(seal.hash == ChangeSetSeal(changeSet).hash && seal.hash != ChangeSetSeal(signedBytes: body).hash)
    }

    @Test func aBodyInAnotherFormFallsBackOnItsCanonicalForm() throws {
        let changeSet = try signed()
        let pretty = changeSet.json.prettyBytes()
        let seal = ChangeSetSeal(received: pretty, json: try JSONValue.parse(pretty))
        #expect(seal.signedBytes != ChangeSetSeal(changeSet).signedBytes)
        #expect(seal.canonical?.signedBytes == ChangeSetSeal(changeSet).signedBytes)
        // The signature as the first member, and no signature at all.
        let first = Array(#"{"signature":"c2ln","id":"a"}"#.utf8), none = Array(#"{"id":"a","x":[1,{"signature":"y"}]}"#.utf8)
        #expect(ChangeSetSeal(received: first, json: .null).signedBytes == Array(#"{"id":"a"}"#.utf8))
        #expect(ChangeSetSeal(received: none, json: .null).signedBytes == none)
    }

    /// The signature is cut from the end of a canonical body, and from the start otherwise: the
    /// same bytes either way.
    @Test func theSignatureIsCutFromEitherEndAlike() throws {
        let cases: [(String, String)] = [
            (#"{"a":1,"signature":"c2ln","signer":"k\\"}"#, #"{"a":1,"signer":"k\\"}"#),  // found from the end
            (#"{"records":[{"signature":"x"}],"signature":"c2ln"}"#, #"{"records":[{"signature":"x"}]}"#),  // last
            (#"{"signature":"c2ln"}"#, "{}"),  // alone
            (#"{"signature":"c2ln","t":"\"","u":null}"#, #"{"t":"\"","u":null}"#),  // first, found from the end
            (#"{"signature":"c2ln","a":1}"#, #"{"a":1}"#),  // first, out of order
            (#"{"a":"\",\"signature\":\"x","z":2}"#, #"{"a":"\",\"signature\":\"x","z":2}"#),  // only inside a string
            (#"{"signature":"c2ln","x":[1]}"#, #"{"x":[1]}"#),  // from the start: an array on the way
            (#"{ "a": 1, "signature": "c2ln" }"#, #"{ "a": 1}"#),  // from the start: white space (after the value, cut with it)
        ]
        for (received, signed) in cases {
            #expect(ChangeSetSeal.cuttingSignature(from: Array(received.utf8)) == Array(signed.utf8), "\(received)")
        }
        let changeSet = try signed()
        let body = changeSet.encoded()
        #expect(ChangeSetSeal.placeFromEnd(of: Array("signature".utf8), in: body).map { if case .member = $0 { true } else { false } } == true,
                "an agent's body is cut from the end")
        var unsigned = changeSet
        unsigned.signature = nil
        #expect(ChangeSetSeal(received: body, json: try JSONValue.parse(body)).signedBytes == unsigned.encoded())
    }

    /// The agent sends the signed bytes with the signature put in, not the change set encoded
    /// again: the same bytes either way, wherever `signature` falls among the members.
    @Test func theBodyIsTheSignedBytesWithTheSignaturePutIn() throws {
        let changeSet = try signed()
        let seal = ChangeSetSeal(changeSet)
        #expect(seal.body(signature: changeSet.signature!) == changeSet.encoded())
        let cases: [(String, String)] = [
            (#"{"a":1,"z":{"s":"}"}}"#, #"{"a":1,"signature":"c2ln","z":{"s":"}"}}"#),   // in the middle; a brace in a string
            (#"{"id":"a\"b","region":[1,[2]]}"#, #"{"id":"a\"b","region":[1,[2]],"signature":"c2ln"}"#),  // last
            (#"{"zone":1}"#, #"{"signature":"c2ln","zone":1}"#),   // first
            ("{}", #"{"signature":"c2ln"}"#),
            // Found from the end: strings ending in escapes, a number, a literal, a member of a
            // record named as the top level's.
            (#"{"records":[{"signer":"a"}],"region":"41","signer":"k\\"}"#,
             #"{"records":[{"signer":"a"}],"region":"41","signature":"c2ln","signer":"k\\"}"#),
            (#"{"a":"x\"","t":true}"#, #"{"a":"x\"","signature":"c2ln","t":true}"#),
            (#"{"a":"s","u":-1.5e3}"#, #"{"a":"s","signature":"c2ln","u":-1.5e3}"#),
            (#"{"t":"\"","u":null}"#, #"{"signature":"c2ln","t":"\"","u":null}"#),
        ]
        for (signed, sent) in cases {
            #expect(ChangeSetSeal(signedBytes: Array(signed.utf8)).body(signature: "c2ln") == Array(sent.utf8), "\(signed)")
        }
        #expect(ChangeSetSeal(signedBytes: Array("[1]".utf8)).body(signature: "x") == nil)
        // Signed bytes that hold a signature already (found from the end, or from the start
        // past an array): the change set is encoded again rather than given a second one.
        #expect(ChangeSetSeal(signedBytes: Array(#"{"a":1,"signature":"x","signer":"k"}"#.utf8)).body(signature: "c2ln") == nil)
        #expect(ChangeSetSeal(signedBytes: Array(#"{"a":[1],"signature":"x","z":[2]}"#.utf8)).body(signature: "c2ln") == nil)
        #expect(ChangeSetSeal(signedBytes: Array(#"{"a\u0041":1}"#.utf8)).body(signature: "x") == nil, "an escaped name: encode instead")
    }
}

