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

    /// The digest in lower-case hexadecimal, written straight into the string's storage: an
    /// array of the digits made for each call, and one of the text copied into a `String`, were
    /// 1 % of a province's first upload, which hashes every record. (The string still checks
    /// the 64 bytes it is given, a pass over plain ASCII.)
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (n, byte) in bytes.enumerated() {
                    out[2 * n] = hexDigit(byte >> 4)
                    out[2 * n + 1] = hexDigit(byte & 0x0F)
                }
                return bytes.count * 2
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
