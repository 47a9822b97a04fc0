import EnterpriseModel
import SyncCore
import Testing

/// A content hash is SHA-256 in lower-case hexadecimal, of a document's canonical text.
@Suite struct ContentHashTests {
    /// FIPS 180-2's test vectors, and every digit: a hexadecimal digit written wrong (an upper-case
    /// letter, an off-by-one past 9) shows in one of them.
    @Test func isSHA256InLowerCaseHexadecimal() {
        #expect(ContentHash.of(bytes: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.of(bytes: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var digits = Set<Character>()
        for n in 0..<64 { digits.formUnion(ContentHash.of(bytes: [UInt8(n)])) }
        #expect(digits == Set("0123456789abcdef"))
    }

    /// A document's hash is its canonical text's, whatever order its members came in.
    @Test func ofADocumentIsOfItsCanonicalText() throws {
        let document = try JSONValue.parse(#"{"b": [1, "洛阳"], "a": {"c": null}}"#)
        #expect(ContentHash.of(document) == ContentHash.of(bytes: Array(#"{"a":{"c":null},"b":[1,"洛阳"]}"#.utf8)))
    }
}
