import EnterpriseModel
import Foundation
import Testing

/// Issue 20: files a Windows editor or Excel saved in the ANSI code page of Chinese Windows
/// (GBK, a subset of GB18030) are told apart from UTF-8 and read through iconv.
@Suite struct TextEncodingTests {
    /// "河南省郑州市 A-1" in GB18030 (as `iconv -t GB18030` writes it).
    static let gbk: [UInt8] = [0xBA, 0xD3, 0xC4, 0xCF, 0xCA, 0xA1, 0xD6, 0xA3, 0xD6, 0xDD, 0xCA, 0xD0, 0x20, 0x41, 0x2D, 0x31]

    @Test func gb18030BytesAreReadAsTheTextTheyHold() throws {
        #expect(try TextEncoding.utf8(fromGB18030: Self.gbk) == Array("河南省郑州市 A-1".utf8))
        // A four-byte GB18030 sequence (U+1F600, outside GBK) and an empty file.
        #expect(try TextEncoding.utf8(fromGB18030: [0x94, 0x39, 0xFC, 0x36]) == Array("😀".utf8))
        #expect(try TextEncoding.utf8(fromGB18030: []) == [])
    }

    @Test func bytesThatAreNotGB18030AreNamedByLine() {
        let bytes = Array("uscc\n".utf8) + [0x41, 0xFF, 0x42]
        #expect(throws: TextDecodingError(offset: 6, line: 2)) { try TextEncoding.utf8(fromGB18030: bytes) }
        // Cut off in the middle of a character.
        #expect(throws: TextDecodingError(offset: 1, line: 1)) { try TextEncoding.utf8(fromGB18030: [0x41, 0xBA]) }
    }

    @Test func onlyTextThatIsNotUTF8ButIsGB18030LooksLikeGB18030() {
        #expect(TextEncoding.looksLikeGB18030(Self.gbk))
        // UTF-8 Chinese is often valid GB18030 as well: UTF-8 is always taken first.
        #expect(!TextEncoding.looksLikeGB18030(Array("河南省郑州市".utf8)))
        #expect(!TextEncoding.looksLikeGB18030(Array("plain ASCII".utf8)))
        #expect(!TextEncoding.looksLikeGB18030([0x7B, 0x80, 0xFF, 0x7D]))
        #expect(TextEncoding.isUTF8(Array("河南".utf8)) && !TextEncoding.isUTF8(Self.gbk))
    }

    @Test func theCommandLineNamesAreTheEncodings() {
        #expect(TextEncoding(rawValue: "gbk") == .gbk && TextEncoding(rawValue: "gb18030") == .gb18030)
        #expect(TextEncoding(rawValue: "utf-8") == .utf8)
    }
}
