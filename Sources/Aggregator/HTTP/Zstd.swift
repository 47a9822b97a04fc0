internal import CZstd

/// zstd (RFC 8878) on the API: request bodies inflated (agents send change sets so to a province
/// whose answers name `ProvinceAccepts.zstd`) and answers compressed for a client that accepts it.
///
/// A hostile body gets no more than a clear refusal: output past `limit` stops the inflation
/// (413, as for gzip), a frame asking for a window over 8 MB is refused before its memory is
/// taken (an agent's level-1 frames use at most 512 kB), and anything that is not whole zstd
/// frames (cut short, corrupt, empty) is a 400 naming zstd's reason.
enum Zstd {
    enum Failure: Error, Equatable {
        case tooLarge
        case corrupt(String)
    }

    /// The largest window a frame may ask for: 2^23 bytes.
    static let windowLogMax: Int32 = 23

    /// `bytes` as one zstd frame at level 1 (zstd's fastest regular level), nil when zstd fails.
    static func compress(_ bytes: [UInt8]) -> [UInt8]? {
        let bound = ZSTD_compressBound(bytes.count)
        guard ZSTD_isError(bound) == 0, !bytes.isEmpty else { return nil }
        var failed = false
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = bytes.withUnsafeBytes { ZSTD_compress(buffer.baseAddress, buffer.count, $0.baseAddress, $0.count, 1) }
            if ZSTD_isError(written) != 0 { failed = true } else { count = written }
        }
        return failed ? nil : out
    }

    /// The zstd frames of a request body, inflated (see above).
    static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw .corrupt("no memory for a zstd decoder") }
        defer { ZSTD_freeDStream(stream) }
        let set = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, windowLogMax)
        guard ZSTD_isError(set) == 0 else { throw .corrupt(String(cString: ZSTD_getErrorName(set))) }
        var output: [UInt8] = []
        // A frame that says how large its content is, over the limit, is refused from its header.
        let declared = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if declared < UInt64.max - 1 {  // (max: the size is not written, max - 1: not a frame)
            guard declared <= UInt64(limit) else { throw .tooLarge }
            // (Reserved up to 1 MB: past that the output grows as it comes, not on a header's word.)
            output.reserveCapacity(Int(min(declared, 1 << 20)))
        }
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var remaining = 0
        var failure: Failure?
        input.withUnsafeBytes { raw in
            var source = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: 0)
            while true {
                var produced = 0
                let rc = chunk.withUnsafeMutableBytes { out in
                    var target = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let rc = ZSTD_decompressStream(stream, &target, &source)
                    produced = target.pos
                    return rc
                }
                if ZSTD_isError(rc) != 0 {
                    failure = .corrupt(String(cString: ZSTD_getErrorName(rc)))
                    return
                }
                guard output.count + produced <= limit else {
                    failure = .tooLarge
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                remaining = rc
                // Done when the body is read and nothing more comes out: a frame that ended with
                // it (0), or one cut short. (A full chunk may have more behind it; a call after a
                // frame that filled it exactly would start a new frame and ask for its header.)
                if source.pos == source.size && (rc == 0 || produced < chunk.count) { break }
            }
        }
        if let failure { throw failure }
        // 0: the last frame ended where the body did.
        guard remaining == 0 else { throw .corrupt(input.isEmpty ? "the body is empty" : "the body ends inside a zstd frame") }
        return output
    }
}
