internal import CCurl
internal import CZstd
import Synchronization

/// A blocking HTTP/1.1 client over one libcurl easy handle.
///
/// Why one handle: libcurl keeps the connection (and TLS session) in the handle's cache, so
/// reusing the handle across requests gives keep-alive for free; a daemon that pushes change sets
/// every few seconds then pays the TCP and TLS handshakes once, not per request.
///
/// Threading: `perform` blocks the calling thread for the whole transfer, so call it from a
/// dedicated thread or queue, never from Swift's cooperative pool. One handle serves one
/// transfer at a time: calling `perform` concurrently on the same client is a programmer error
/// and traps. Use one client per worker thread.
///
/// Why `@unchecked Sendable`: `cancel()` and the byte counters must be reachable from other
/// threads (a SIGTERM handler, a metrics endpoint) while `perform` is blocked. Those are
/// `Atomic`s; the handle and error buffer are touched only inside `perform`, which an atomic
/// busy flag makes exclusive; `options` is immutable. Nothing else is mutable.
public final class CurlClient: @unchecked Sendable {
    /// Settings applied to every request (re-applied after each `curl_easy_reset`).
    public let options: CurlOptions

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let errorBufferSize = Int(CURL_ERROR_SIZE)
    private let cancelFlag = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)
    private let sentCounter = Atomic<Int>(0)
    private let receivedCounter = Atomic<Int>(0)

    /// `curl_global_init` is not thread-safe and must run once per process; a `static let` is
    /// initialised exactly once, atomically, on first use.
    private static let globalInitSucceeded: Bool =
        curl_global_init(esync_curl_global_default()) == CURLE_OK

    /// Runs `curl_global_init` now if it has not run. It initialises OpenSSL too and must not
    /// run while another thread of the program runs: a program that starts threads calls this
    /// first. False when libcurl cannot initialise.
    @discardableResult
    public static func initializeLibrary() -> Bool { globalInitSucceeded }

    /// Fails only if libcurl cannot initialise or allocate a handle.
    public init(options: CurlOptions = CurlOptions()) throws(CurlError) {
        guard Self.globalInitSucceeded, let handle = curl_easy_init() else { throw .initFailed }
        self.options = options
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    // MARK: - Counters and cancellation

    /// Bytes sent by all requests so far, failed ones included: request lines, headers and bodies
    /// as sent (after compression), counted at the HTTP level (TLS framing not included), so benchmarks
    /// can report real network cost.
    public var bytesSent: Int { sentCounter.load(ordering: .relaxed) }

    /// Bytes received by all requests so far: status lines, headers and bodies as transferred
    /// (still compressed, chunk framing included), at the HTTP level like `bytesSent`.
    public var bytesReceived: Int { receivedCounter.load(ordering: .relaxed) }

    /// Aborts the transfer in flight (it throws `.cancelled`) and makes every later `perform`
    /// throw `.cancelled` at once, until `resetCancellation()`. Sticky so that a shutdown request
    /// racing with the start of the next transfer is not lost. Safe from any thread; the transfer
    /// notices at the next progress callback (libcurl calls it at least once a second).
    public func cancel() { cancelFlag.store(true, ordering: .releasing) }

    /// Lets the client perform requests again after `cancel()`.
    public func resetCancellation() { cancelFlag.store(false, ordering: .releasing) }

    /// Whether `cancel()` has been called since the last `resetCancellation()`.
    public var isCancelled: Bool { cancelFlag.load(ordering: .acquiring) }

    // MARK: - Perform

    /// Runs one request to completion on the calling thread and returns whatever HTTP status the
    /// server sent; throws only when there is no complete response (see `CurlError`).
    public func perform(_ request: HTTPRequest) throws(CurlError) -> HTTPResponse {
        let acquired = busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        precondition(acquired, "CurlClient.perform called concurrently: a client owns one libcurl handle and serves one thread at a time")
        defer { busy.store(false, ordering: .releasing) }

        if isCancelled { throw .cancelled(url: request.url) }

        curl_easy_reset(handle)
        errorBuffer.update(repeating: 0, count: errorBufferSize)

        let transfer = Transfer(client: self, limit: options.maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer {
            // Drop the options again so no callback keeps a pointer to `transfer` (libcurl may log
            // through the debug callback while closing cached connections in curl_easy_cleanup).
            curl_easy_reset(handle)
            curl_slist_free_all(headerList)
        }

        try configure(request, transfer: transfer, headerList: &headerList)

        let rc = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        sentCounter.add(transfer.bytesOut, ordering: .relaxed)
        receivedCounter.add(transfer.bytesIn, ordering: .relaxed)

        if transfer.tooLarge || rc == CURLE_FILESIZE_EXCEEDED {
            throw .responseTooLarge(limit: options.maxResponseBytes, url: request.url)
        }
        if transfer.cancelled || (rc == CURLE_ABORTED_BY_CALLBACK && isCancelled) {
            throw .cancelled(url: request.url)
        }
        guard rc == CURLE_OK else { throw transportError(rc, url: request.url) }

        var status = 0
        _ = esync_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)
    }

    // MARK: - Private

    private func configure(
        _ request: HTTPRequest,
        transfer: Transfer,
        headerList: inout UnsafeMutablePointer<curl_slist>?
    ) throws(CurlError) {
        let url = request.url
        let h = handle
        let context = Unmanaged.passUnretained(transfer).toOpaque()

        try check(esync_setopt_str(h, CURLOPT_URL, url), url)
        try check(esync_setopt_long(h, CURLOPT_NOSIGNAL, 1), url)
        try check(esync_setopt_str(h, CURLOPT_PROTOCOLS_STR, "http,https"), url)
        try check(esync_setopt_ptr(h, CURLOPT_ERRORBUFFER, errorBuffer), url)
        try check(esync_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1), url)
        try check(esync_setopt_str(h, CURLOPT_USERAGENT, options.userAgent), url)
        // Answers may come compressed; libcurl inflates them (the body handed on is plain).
        try check(esync_setopt_str(h, CURLOPT_ACCEPT_ENCODING, Self.acceptEncoding), url)
        if options.connectTimeout > 0 {
            try check(esync_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(options.connectTimeout)), url)
        }
        if options.totalTimeout > 0 {
            try check(esync_setopt_long(h, CURLOPT_TIMEOUT_MS, Self.milliseconds(options.totalTimeout)), url)
        }

        // TLS
        if let caFile = options.caFile { try check(esync_setopt_str(h, CURLOPT_CAINFO, caFile), url) }
        if let cert = options.clientCert { try check(esync_setopt_str(h, CURLOPT_SSLCERT, cert), url) }
        if let key = options.clientKey { try check(esync_setopt_str(h, CURLOPT_SSLKEY, key), url) }
        if options.insecureSkipVerify {
            try check(esync_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0), url)
            try check(esync_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0), url)
        }

        // Response handling: body and headers into `transfer`, progress for cancellation.
        if options.maxResponseBytes > 0 {
            // Lets libcurl refuse early when Content-Length already says too much.
            try check(esync_setopt_off(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maxResponseBytes)), url)
        }
        try check(esync_setopt_write(h, CURLOPT_WRITEFUNCTION, curlHTTPWriteBody), url)
        try check(esync_setopt_ptr(h, CURLOPT_WRITEDATA, context), url)
        try check(esync_setopt_write(h, CURLOPT_HEADERFUNCTION, curlHTTPWriteHeader), url)
        try check(esync_setopt_ptr(h, CURLOPT_HEADERDATA, context), url)
        try check(esync_setopt_xferinfo(h, CURLOPT_XFERINFOFUNCTION, curlHTTPProgress), url)
        try check(esync_setopt_ptr(h, CURLOPT_XFERINFODATA, context), url)
        try check(esync_setopt_long(h, CURLOPT_NOPROGRESS, 0), url)
        // Byte accounting: the debug callback sees exactly what goes out and comes in (HTTP level,
        // before TLS). CURLINFO_REQUEST_SIZE + SIZE_UPLOAD would count a small body twice when
        // libcurl sends it in the same write as the headers.
        try check(esync_setopt_debug(h, CURLOPT_DEBUGFUNCTION, curlHTTPDebug), url)
        try check(esync_setopt_ptr(h, CURLOPT_DEBUGDATA, context), url)
        try check(esync_setopt_long(h, CURLOPT_VERBOSE, 1), url)

        // Method and body.
        let sendsBody = request.body != nil || [.post, .put, .patch].contains(request.method)
        var extraHeaders: [String] = []
        if sendsBody {
            var payload = request.body ?? []
            if request.compressBody {
                if !request.bodyIsCompressed { payload = try Self.compress(payload, as: request.bodyCoding) }
                extraHeaders.append("Content-Encoding: " + request.bodyCoding.rawValue)
            }
            try check(esync_setopt_long(h, CURLOPT_POST, 1), url)
            try check(esync_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(payload.count)), url)
            // COPYPOSTFIELDS copies, so `payload` need not outlive perform. An empty body still
            // needs a non-null pointer.
            let rc: CURLcode = payload.isEmpty
                ? esync_setopt_str(h, CURLOPT_COPYPOSTFIELDS, "")
                : payload.withUnsafeMutableBytes { esync_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            try check(rc, url)
            // libcurl would otherwise send `Expect: 100-continue` for bodies over 1 MiB and wait
            // up to a second for a `100 Continue` that many servers never send.
            extraHeaders.append("Expect:")
            if !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                extraHeaders.append("Content-Type: application/json")
            }
            if request.method != .post {
                try check(esync_setopt_str(h, CURLOPT_CUSTOMREQUEST, request.method.rawValue), url)
            }
        } else if request.method == .get {
            try check(esync_setopt_long(h, CURLOPT_HTTPGET, 1), url)
        } else {
            try check(esync_setopt_str(h, CURLOPT_CUSTOMREQUEST, request.method.rawValue), url)
        }

        // Headers.
        for (name, value) in request.headers {
            guard Self.isValidHeader(name: name, value: value) else {
                throw .transport(
                    code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                    message: "invalid request header \"\(name)\" (empty name, or CR/LF/colon where not allowed)",
                    url: url)
            }
            // "Name;" is libcurl's way to send a header with an empty value ("Name:" removes it).
            extraHeaders.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        for line in extraHeaders {
            guard let appended = curl_slist_append(headerList, line) else {
                throw transportError(CURLE_OUT_OF_MEMORY, url: url)
            }
            headerList = appended
        }
        try check(esync_setopt_slist(h, CURLOPT_HTTPHEADER, headerList), url)
    }

    private func check(_ rc: CURLcode, _ url: String) throws(CurlError) {
        if rc != CURLE_OK { throw transportError(rc, url: url) }
    }

    private func transportError(_ rc: CURLcode, url: String) -> CurlError {
        let summary = String(cString: curl_easy_strerror(rc))
        let detail = String(cString: errorBuffer).trimmingHTTPWhitespace()
        // libcurl's detail often ends with the summary itself ("Failed to connect to … port 9
        // after 0 ms: Couldn't connect to server"): the reason is said once.
        let message = detail.isEmpty || detail == summary ? summary : detail.contains(summary) ? detail : "\(summary) (\(detail))"
        return .transport(code: Int(rc.rawValue), message: message, url: url)
    }

    /// `bytes` compressed with `coding`, as a request with `compressBody` sends them (a caller
    /// may compress a body ahead, off the thread that sends it: `HTTPRequest.bodyIsCompressed`).
    public static func compress(_ bytes: [UInt8], as coding: ContentCoding) throws(CurlError) -> [UInt8] {
        switch coding {
        case .gzip: return try gzip(bytes)
        case .zstd: return try zstd(bytes)
        }
    }

    /// `bytes` in gzip (level 3, see `esync_gzip`).
    public static func gzip(_ bytes: [UInt8]) throws(CurlError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outLen = 0
        let rc = bytes.withUnsafeBufferPointer { esync_gzip($0.baseAddress, $0.count, &out, &outLen) }
        defer { esync_free(out) }
        guard rc == Z_OK, let out else {
            throw .compressionFailed("gzip: zlib error \(rc): \(String(cString: zError(rc)))")
        }
        return Array(UnsafeBufferPointer(start: out, count: outLen))
    }

    /// What answers may come in: zstd first when this libcurl inflates it.
    static let acceptEncoding = esync_curl_has_zstd() != 0 ? "zstd, gzip" : "gzip"

    /// zstd's level for request bodies. Level 1, its fastest regular one: on 100,000 records'
    /// change sets it took a fifth of gzip level 3's CPU and wrote 15 % fewer bytes (zstd's
    /// default, 3, takes twice level 1's time for 3 % fewer).
    static let zstdLevel: Int32 = 1

    /// `bytes` as one zstd frame (its content size written in its header).
    public static func zstd(_ bytes: [UInt8]) throws(CurlError) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        guard ZSTD_isError(bound) == 0 else { throw .compressionFailed("zstd: a body of \(bytes.count) bytes is too large") }
        var failure: Int?
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = bytes.withUnsafeBytes { input in
                ZSTD_compress(buffer.baseAddress, buffer.count, input.baseAddress ?? UnsafeRawPointer(buffer.baseAddress!), input.count, zstdLevel)
            }
            if ZSTD_isError(written) != 0 { failure = written } else { count = written }
        }
        if let failure { throw .compressionFailed("zstd: " + String(cString: ZSTD_getErrorName(failure))) }
        return out
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        let ms = (seconds * 1000).rounded(.up)
        return ms >= Double(Int.max) ? Int.max : max(1, Int(ms))
    }

    private static func isValidHeader(name: String, value: String) -> Bool {
        let forbidden: Set<UInt8> = [0, 10, 13]
        return !name.isEmpty
            && !name.utf8.contains(where: { forbidden.contains($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: " ") })
            && !value.utf8.contains(where: { forbidden.contains($0) })
    }
}

// MARK: - Per-transfer state and libcurl callbacks

/// State of one transfer, reached from the C callbacks through an opaque pointer. Only the thread
/// inside `curl_easy_perform` touches it.
private final class Transfer {
    unowned let client: CurlClient
    let limit: Int
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var tooLarge = false
    var cancelled = false
    var bytesOut = 0
    var bytesIn = 0

    init(client: CurlClient, limit: Int) {
        self.client = client
        self.limit = limit
    }
}

private func curlHTTPWriteBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let n = size * count
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    if transfer.body.count + n > transfer.limit {
        transfer.tooLarge = true
        return 0 // a short count makes libcurl abort with CURLE_WRITE_ERROR
    }
    if let data, n > 0 {
        transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
    }
    return n
}

private func curlHTTPWriteHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let n = size * count
    guard let context, let data, n > 0 else { return n }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let line = UnsafeRawBufferPointer(start: data, count: n)
    if line.starts(with: "HTTP/".utf8) {
        // A new status line (after a 1xx or a proxy CONNECT): only the final response's headers count.
        transfer.headers.removeAll()
        return n
    }
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return n }
    let name = String(decoding: line[..<colon], as: UTF8.self).trimmingHTTPWhitespace().lowercased()
    let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingHTTPWhitespace()
    guard !name.isEmpty else { return n }
    if let existing = transfer.headers[name] {
        transfer.headers[name] = existing + ", " + value
    } else {
        transfer.headers[name] = value
    }
    return n
}

private func curlHTTPProgress(
    _ context: UnsafeMutableRawPointer?, _ dlTotal: curl_off_t, _ dlNow: curl_off_t,
    _ ulTotal: curl_off_t, _ ulNow: curl_off_t
) -> Int32 {
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    if transfer.client.isCancelled {
        transfer.cancelled = true
        return 1 // non-zero aborts with CURLE_ABORTED_BY_CALLBACK
    }
    return 0
}

private func curlHTTPDebug(
    _ handle: UnsafeMutableRawPointer?, _ type: curl_infotype, _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int, _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    if type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT {
        transfer.bytesOut += size
    } else if type == CURLINFO_HEADER_IN || type == CURLINFO_DATA_IN {
        transfer.bytesIn += size
    }
    return 0
}

extension String {
    /// Trims spaces, tabs, CR and LF (the whitespace HTTP allows around header fields) without
    /// pulling in Foundation.
    func trimmingHTTPWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
