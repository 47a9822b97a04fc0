import EnterpriseModel
import Foundation

/// A bureau's base log (`.esync/bases`) read and written by its documented format
/// (docs/store.md), independently of the agent's code: what the end-to-end tests look at and
/// break behind the agent's back.
struct BaseLogFile {
    let path: String

    /// Every code's base JSON (`{"document":…,"revision":N}`), the last entry of a code winning,
    /// up to the first torn entry.
    func bases() throws -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[..<8]) == Array("EBASES01".utf8) else { throw CocoaError(.fileReadCorruptFile) }
        var bases: [String: JSONValue] = [:]
        var at = 16
        while at + 8 <= bytes.count {
            let length = Int(Self.uint32(bytes, at)), sum = Self.uint32(bytes, at + 4)
            guard length >= 2, at + 8 + length <= bytes.count else { break }
            let payload = Array(bytes[(at + 8)..<(at + 8 + length)])
            guard Self.crc32(payload) == sum else { break }
            let codeLength = Int(payload[1])
            let code = String(decoding: payload[2..<(2 + codeLength)], as: UTF8.self)
            if payload[0] == UInt8(ascii: "B") {
                bases[code] = try JSONValue.parse(Array(payload[(2 + codeLength)...]))
            } else {
                bases[code] = nil
            }
            at += 8 + length
        }
        return bases
    }

    /// Appends an entry that drops the base of `code` (a base lost at the bureau).
    func drop(_ code: String) throws {
        let payload = [UInt8(ascii: "D"), UInt8(code.utf8.count)] + Array(code.utf8)
        var entry: [UInt8] = []
        for value in [UInt32(payload.count), Self.crc32(payload)] {
            for i in 0..<4 { entry.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: entry + payload)
    }

    static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    /// CRC-32 (IEEE, zlib's).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

extension AgentHandle {
    /// The store's base log.
    var baseLog: BaseLogFile { BaseLogFile(path: storePath + "/.esync/bases") }
}
