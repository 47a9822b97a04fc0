@testable import Aggregator
import CZstd
import Testing

/// zstd request bodies, inflated within the limit whatever a peer sends, and zstd answers.
@Suite struct ZstdTests {
    /// A change set's worth of JSON text.
    static let text = Array((0..<3000).map { #"{"uscc":"91410100MA\#($0)","employees":\#($0),"name":"郑州茂润钢铁有限公司"}"# }.joined(separator: ",").utf8)

    /// One frame made with zstd's advanced API: `contentSize` false leaves its size out of the
    /// header (a streaming compressor's frame), `windowLog` sets the window it asks for.
    static func frame(_ bytes: [UInt8], contentSize: Bool = true, windowLog: Int32? = nil) throws -> [UInt8] {
        let context = try #require(ZSTD_createCCtx())
        defer { ZSTD_freeCCtx(context) }
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, contentSize ? 1 : 0)
        if let windowLog { _ = ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, windowLog) }
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = out.withUnsafeMutableBytes { o in bytes.withUnsafeBytes { ZSTD_compress2(context, o.baseAddress, o.count, $0.baseAddress, $0.count) } }
        #expect(ZSTD_isError(written) == 0)
        return Array(out[0..<written])
    }

    @Test func aBodyComesBackAsItWasSentWithOrWithoutItsSizeAndInSeveralFrames() throws {
        let compressed = try #require(Zstd.compress(Self.text))
        #expect(compressed.count < Self.text.count / 4)
        #expect(try Zstd.decompress(compressed, limit: Self.text.count) == Self.text)
        // Without a size in the header the output grows as it comes, in chunks of 128 kB.
        let big = Array((0..<6).flatMap { _ in Self.text })
        #expect(try Zstd.decompress(Self.frame(big, contentSize: false), limit: big.count) == big)
        // A body that fills the decoder's chunks exactly (2 × 128 kB), with or without its size.
        let exact = Array(big[0..<(2 * ZSTD_DStreamOutSize())])
        #expect(try Zstd.decompress(Self.frame(exact, contentSize: false), limit: exact.count) == exact)
        #expect(try Zstd.decompress(Self.frame(exact), limit: exact.count) == exact)
        // Frames one after the other are one body (RFC 8878 §3.1).
        let two = try Self.frame(Array(Self.text[0..<1000])) + Self.frame(Array(Self.text[1000...]), contentSize: false)
        #expect(try Zstd.decompress(two, limit: Self.text.count) == Self.text)
    }

    @Test func aBombIsRefusedAtTheLimitWhetherItsSizeIsDeclaredOrNot() throws {
        let zeros = [UInt8](repeating: 0, count: 20_000_000)
        let declared = try Self.frame(zeros)
        #expect(declared.count < 2_000)
        #expect(throws: Zstd.Failure.tooLarge) { try Zstd.decompress(declared, limit: 1_000_000) }
        let streamed = try Self.frame(zeros, contentSize: false)
        #expect(throws: Zstd.Failure.tooLarge) { try Zstd.decompress(streamed, limit: 1_000_000) }
        // Exactly at the limit is within it.
        #expect(try Zstd.decompress(Self.frame(Array(zeros[0..<1_000_000]), contentSize: false), limit: 1_000_000).count == 1_000_000)
    }

    @Test func whatIsNotWholeFramesIsRefusedWithZstdsReason() throws {
        func reason(_ body: [UInt8]) -> String? {
            do { _ = try Zstd.decompress(body, limit: 1 << 20); return nil } catch {
                guard case .corrupt(let reason) = error else { return "too large" }
                return reason
            }
        }
        #expect(reason(Array("not zstd at all".utf8)) == "Unknown frame descriptor")
        #expect(reason([]) == "the body is empty")
        let whole = try #require(Zstd.compress(Self.text))
        #expect(reason(Array(whole.dropLast(10))) == "the body ends inside a zstd frame")
        var flipped = whole
        flipped[whole.count / 2] ^= 0xFF
        #expect(reason(flipped) != nil)
        // A frame asking for a 16 MB window is refused before that memory is taken.
        let wide = try Self.frame([UInt8](repeating: 7, count: 20_000_000), contentSize: false, windowLog: 24)
        #expect(reason(wide) == "Frame requires too much memory for decoding")
    }

    @Test func answersTakeZstdBeforeGzipAndOnlyWhatTheClientNames() {
        #expect(APIAnswer.accepts("zstd", in: "zstd, gzip"))
        #expect(APIAnswer.accepts("gzip", in: "zstd, gzip"))
        #expect(!APIAnswer.accepts("zstd", in: "gzip"))
        #expect(!APIAnswer.accepts("zstd", in: "zstd;q=0, gzip"))
        #expect(APIAnswer.accepts("gzip", in: "GZIP;q=0.5"))
        #expect(!APIAnswer.accepts("gzip", in: nil))
    }
}
