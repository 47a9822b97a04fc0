import Foundation
import Crypto
import EnterpriseModel

/// The identity of a record's content: SHA-256 of its canonical JSON, in lower-case hex.
/// Both ends compute it the same way, so a delete request can say which version it deletes.
public enum ContentHash {
    public static func of(_ document: JSONValue) -> String {
        of(bytes: document.canonicalBytes())
    }

    public static func of(bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
