#if canImport(Glibc)
import Glibc
#endif

/// The encodings a bureau's files come in. Notepad, WPS and Excel on Chinese Windows save
/// "ANSI" text in code page 936 (GBK); GB18030 is its superset, so one converter reads both.
/// Everything the project writes is UTF-8.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gbk
    case gb18030

    /// True when the bytes are well-formed UTF-8.
    public static func isUTF8(_ bytes: some Collection<UInt8>) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    /// True when the bytes are not UTF-8 but read as GB18030: most likely a file a Windows
    /// editor saved as "ANSI". UTF-8 is asked first because UTF-8 Chinese is often valid
    /// GB18030 too (as different characters); the reverse is rare for real text.
    public static func looksLikeGB18030(_ bytes: [UInt8]) -> Bool {
        guard !isUTF8(bytes) else { return false }
        return (try? utf8(fromGB18030: bytes)) != nil
    }

    /// A text file's bytes as UTF-8: read as `declared`; or, when nil, as they are if they are
    /// UTF-8, as GB18030 if they read so (`guessed` is then true, for the caller to say so), and
    /// else as they are, for the reader to name what it cannot read.
    public static func utf8(_ bytes: [UInt8], declared: TextEncoding?) throws(TextDecodingError) -> (bytes: [UInt8], guessed: Bool) {
        switch declared {
        case .utf8?: return (bytes, false)
        case .gbk?, .gb18030?: return (try utf8(fromGB18030: bytes), false)
        case nil:
            guard !isUTF8(bytes), let converted = try? utf8(fromGB18030: bytes) else { return (bytes, false) }
            return (converted, true)
        }
    }

    /// The UTF-8 bytes of GB18030 text (GBK and GB2312 are subsets), converted by glibc's iconv,
    /// which also gives the offset of the first byte that is not GB18030 (this file needs nothing
    /// of Foundation for it).
    public static func utf8(fromGB18030 bytes: [UInt8]) throws(TextDecodingError) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        let converter = iconv_open("UTF-8", "GB18030")
        guard let converter, Int(bitPattern: converter) != -1 else {
            throw TextDecodingError(offset: 0, line: 1, reason: "this system has no GB18030 converter (glibc's gconv modules)")
        }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        // A GB18030 character of n bytes is at most n + 1 bytes of UTF-8 (2 → 3, 4 → 4).
        var output = [CChar](repeating: 0, count: bytes.count * 2)
        let (consumed, produced, failed) = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = inBuffer.baseAddress, inLeft = inBuffer.count
                var outPointer = outBuffer.baseAddress, outLeft = outBuffer.count
                let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                return (inBuffer.count - inLeft, outBuffer.count - outLeft, result == -1)
            }
        }
        // EILSEQ (not GB18030) or EINVAL (cut off inside a character): either way, where it stopped.
        if failed {
            let line = 1 + bytes[..<consumed].count(where: { $0 == 0x0A })
            throw TextDecodingError(offset: consumed, line: line, reason: "not GBK/GB18030 text")
        }
        return output[..<produced].map { UInt8(bitPattern: $0) }
    }
}

/// Where bytes stopped being text of the encoding they were read as.
public struct TextDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset (from 0) of the first byte that could not be read.
    public var offset: Int
    /// The line (from 1) it is on.
    public var line: Int
    public var reason: String

    public init(offset: Int, line: Int, reason: String = "not GBK/GB18030 text") {
        self.offset = offset
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}
