import CCurl
import CurlHTTP
import CZstd
@testable import EndToEndSupport
import Foundation
import Testing

/// Runs `body` expecting a `CurlError`; records an issue and returns nil if it succeeds.
private func expectCurlError(
    _ body: () throws(CurlError) -> HTTPResponse,
    sourceLocation: SourceLocation = #_sourceLocation
) -> CurlError? {
    do {
        let response = try body()
        Issue.record("expected a CurlError, got HTTP \(response.status)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Deterministic, poorly compressible bytes.
private func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// Inflates with zlib through the CCurl shim, at most `limit` bytes.
private func gunzip(_ bytes: [UInt8], limit: Int = 64 << 20) -> [UInt8]? {
    var out: UnsafeMutablePointer<UInt8>? = nil
    var outLen = 0
    let rc = bytes.withUnsafeBufferPointer { esync_gunzip($0.baseAddress, $0.count, limit, &out, &outLen) }
    defer { esync_free(out) }
    guard rc == Z_OK, let out else { return nil }
    return Array(UnsafeBufferPointer(start: out, count: outLen))
}

@Suite("CurlClient against a loopback HTTP/1.1 server")
struct CurlClientTests {
    @Test func getReturnsStatusHeadersAndBody() throws {
        let server = try LoopbackServer { _ in
            .respond(status: 200, headers: [("X-Sync-Cursor", "42"), ("Content-Type", "application/json")],
                     body: Array(#"{"changes":[]}"#.utf8))
        }
        defer { server.stop() }
        let client = try CurlClient(options: CurlOptions(userAgent: "esync-test/1"))

        let response = try client.perform(HTTPRequest(
            url: server.url("/v1/changes?since=3"), headers: [("Authorization", "Bearer t0k")]))

        #expect(response.status == 200)
        #expect(response.bodyString == #"{"changes":[]}"#)
        #expect(response.headers["x-sync-cursor"] == "42")
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.header("Content-Length") == "14")
        #expect(response.isSuccess)

        let seen = try #require(server.requests.first)
        #expect(seen.method == "GET")
        #expect(seen.path == "/v1/changes?since=3")
        #expect(seen.header("authorization") == "Bearer t0k")
        #expect(seen.header("user-agent") == "esync-test/1")
        #expect(seen.body.isEmpty)
        #expect(client.bytesReceived > response.body.count)
        #expect(client.bytesSent > 0)
    }

    @Test func errorStatusIsAResponseNotAnError() throws {
        let server = try LoopbackServer { _ in .respond(status: 409, headers: [], body: Array("conflict".utf8)) }
        defer { server.stop() }
        let client = try CurlClient()
        let response = try client.perform(HTTPRequest(method: .post, url: server.url("/v1/push"), text: "{}"))
        #expect(response.status == 409)
        #expect(!response.isSuccess)
        #expect(response.bodyString == "conflict")
    }

    @Test func largePostArrivesIntactWithoutExpectContinue() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()
        let body = noise(2 * 1024 * 1024)

        let clock = ContinuousClock()
        let start = clock.now
        let response = try client.perform(HTTPRequest(method: .post, url: server.url("/v1/push"), body: body))
        let elapsed = clock.now - start

        #expect(response.status == 200)
        let seen = try #require(server.requests.first)
        #expect(seen.method == "POST")
        #expect(seen.body == body)
        #expect(seen.header("content-type") == "application/json")
        #expect(seen.header("expect") == nil)
        #expect(seen.header("content-length") == String(body.count))
        // With `Expect: 100-continue` libcurl would stall ~1 s waiting for a 100 that never comes.
        #expect(elapsed < .milliseconds(900))
        // Bytes on the wire: the body plus a few hundred bytes of request line and headers.
        #expect(client.bytesSent >= body.count)
        #expect(client.bytesSent < body.count + 1024)
    }

    @Test func byteCountersCountEachByteOnce() throws {
        let server = try LoopbackServer() // answers "ok": 38 bytes of status line and headers + 2
        defer { server.stop() }
        let six = try CurlClient()
        let twelve = try CurlClient()
        _ = try six.perform(HTTPRequest(method: .post, url: server.url("/p"), text: "123456"))
        _ = try twelve.perform(HTTPRequest(method: .post, url: server.url("/p"), text: "123456789012"))
        // Same request but 6 more body bytes and one more Content-Length digit.
        #expect(twelve.bytesSent - six.bytesSent == 7)
        #expect(six.bytesReceived == 40)

        _ = try six.perform(HTTPRequest(url: server.url("/p")))
        #expect(six.bytesReceived == 80)
    }

    @Test func callerContentTypeReplacesTheDefault() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()
        _ = try client.perform(HTTPRequest(
            method: .post, url: server.url("/v1/push"),
            headers: [("Content-Type", "application/x-ndjson")], text: "{}\n{}\n"))
        let seen = try #require(server.requests.first)
        #expect(seen.headerCount("content-type") == 1)
        #expect(seen.header("content-type") == "application/x-ndjson")
        #expect(seen.body == Array("{}\n{}\n".utf8))
    }

    @Test func gzipBodyArrivesCompressedAndInflatesToTheOriginal() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()
        let json = "[" + (0..<2000).map { #"{"id":\#($0),"path":"/srv/share/file-\#($0).txt","size":1024}"# }
            .joined(separator: ",") + "]"
        let original = Array(json.utf8)

        _ = try client.perform(HTTPRequest(method: .post, url: server.url("/v1/push"), body: original, compressBody: true))

        let seen = try #require(server.requests.first)
        #expect(seen.header("content-encoding") == "gzip")
        #expect(seen.header("content-type") == "application/json")
        #expect(seen.body.count < original.count / 4)
        #expect(Array(seen.body.prefix(2)) == [0x1F, 0x8B])
        #expect(gunzip(seen.body) == original)
        // The counter reports what crossed the network: the compressed size.
        #expect(client.bytesSent < original.count / 2)
    }

    @Test func aZstdBodyArrivesAsOneFrameOfTheOriginalAndAnswersMayComeInZstd() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()
        let original = Array(("[" + (0..<2000).map { #"{"id":\#($0),"name":"郑州茂润钢铁有限公司"}"# }.joined(separator: ",") + "]").utf8)
        var request = HTTPRequest(method: .post, url: server.url("/v1/changesets"), body: original, compressBody: true)
        request.bodyCoding = .zstd
        _ = try client.perform(request)

        let seen = try #require(server.requests.first)
        #expect(seen.header("content-encoding") == "zstd")
        #expect(Array(seen.body.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])  // a zstd frame's magic number
        #expect(seen.body.count < original.count / 4)
        let size = seen.body.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        #expect(size == UInt64(original.count))
        var inflated = [UInt8](repeating: 0, count: original.count)
        let n = inflated.withUnsafeMutableBytes { o in seen.body.withUnsafeBytes { ZSTD_decompress(o.baseAddress, o.count, $0.baseAddress, $0.count) } }
        #expect(ZSTD_isError(n) == 0 && inflated == original)
        // Debian's libcurl inflates zstd answers: the client says it takes them, before gzip.
        #expect(seen.header("accept-encoding") == "zstd, gzip")
        // Compressed ahead (another thread, `bodyIsCompressed`), it is sent as it is.
        request.body = try CurlClient.compress(original, as: .zstd)
        request.bodyIsCompressed = true
        _ = try client.perform(request)
        #expect(server.requests.last?.body == request.body)
    }

    @Test func gzipOfAnEmptyBodyIsAValidGzipStream() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()
        _ = try client.perform(HTTPRequest(method: .put, url: server.url("/x"), body: [], compressBody: true))
        let seen = try #require(server.requests.first)
        #expect(seen.header("content-encoding") == "gzip")
        #expect(gunzip(seen.body) == [])
    }

    @Test func consecutiveRequestsReuseOneConnection() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()

        _ = try client.perform(HTTPRequest(url: server.url("/a")))
        _ = try client.perform(HTTPRequest(method: .post, url: server.url("/b"), text: "{}", compressBody: true))
        _ = try client.perform(HTTPRequest(method: .patch, url: server.url("/c"), text: "{}"))
        _ = try client.perform(HTTPRequest(url: server.url("/d")))

        #expect(server.requests.map(\.path) == ["/a", "/b", "/c", "/d"])
        #expect(server.requests.map(\.connection) == [0, 0, 0, 0])
        #expect(server.connectionCount == 1)
    }

    @Test func methodsAreSentAsRequested() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()

        _ = try client.perform(HTTPRequest(method: .patch, url: server.url("/v1/devices/7"), text: #"{"name":"x"}"#))
        _ = try client.perform(HTTPRequest(method: .put, url: server.url("/v1/devices/7")))
        _ = try client.perform(HTTPRequest(method: .delete, url: server.url("/v1/devices/7")))
        _ = try client.perform(HTTPRequest(method: .post, url: server.url("/v1/ping")))
        _ = try client.perform(HTTPRequest(method: .get, url: server.url("/v1/devices")))

        let seen = server.requests
        #expect(seen.map(\.method) == ["PATCH", "PUT", "DELETE", "POST", "GET"])
        #expect(seen[0].body == Array(#"{"name":"x"}"#.utf8))
        #expect(seen[0].header("content-type") == "application/json")
        #expect(seen[1].header("content-length") == "0")
        #expect(seen[2].body.isEmpty)
        #expect(seen[2].header("content-type") == nil)
        #expect(seen[3].header("content-length") == "0")
        #expect(seen[4].header("content-length") == nil)
    }

    @Test func connectionRefusedIsATransportErrorNamingTheURL() throws {
        let url = "http://127.0.0.1:\(LoopbackServer.closedPort())/v1/changes"
        let client = try CurlClient()
        let error = try #require(expectCurlError { () throws(CurlError) in try client.perform(HTTPRequest(url: url)) })

        guard case let .transport(code, message, errorURL) = error else {
            Issue.record("expected .transport, got \(error)")
            return
        }
        #expect(code == 7) // CURLE_COULDNT_CONNECT
        #expect(errorURL == url)
        // libcurl's detail differs by version ("... port N after 0 ms: Connection refused" or
        // ": Couldn't connect to server"); both name the address, and the reason is said once.
        #expect(message.contains("Failed to connect to 127.0.0.1 port "))
        #expect(message.components(separatedBy: "Couldn't connect to server").count <= 2, "\(message)")
        #expect(error.description.hasPrefix("cannot reach \(url): "))
        #expect(error.isConnectionProblem)
        #expect(error.curlCode == 7)
    }

    @Test func totalTimeoutOnASilentServer() throws {
        let server = try LoopbackServer { _ in .hang }
        defer { server.stop() }
        let client = try CurlClient(options: CurlOptions(connectTimeout: 1, totalTimeout: 0.4))

        let clock = ContinuousClock()
        let start = clock.now
        let error = try #require(expectCurlError { () throws(CurlError) in
            try client.perform(HTTPRequest(url: server.url("/slow")))
        })
        let elapsed = clock.now - start

        #expect(error.curlCode == 28) // CURLE_OPERATION_TIMEDOUT
        #expect(error.isConnectionProblem)
        #expect(error.description.contains(server.url("/slow")))
        #expect(elapsed >= .milliseconds(350))
        #expect(elapsed < .seconds(1))
    }

    @Test func responseLargerThanTheLimitIsRefused() throws {
        let big = noise(1024 * 1024)
        let server = try LoopbackServer { request in
            request.path == "/big" ? .respond(status: 200, headers: [], body: big) : .ok("small")
        }
        defer { server.stop() }
        let client = try CurlClient(options: CurlOptions(maxResponseBytes: 64 * 1024))

        let error = expectCurlError { () throws(CurlError) in try client.perform(HTTPRequest(url: server.url("/big"))) }
        #expect(error == .responseTooLarge(limit: 64 * 1024, url: server.url("/big")))
        #expect(error?.isConnectionProblem == false)

        // The client stays usable.
        #expect(try client.perform(HTTPRequest(url: server.url("/small"))).bodyString == "small")
    }

    @Test func responseWithoutContentLengthIsCutAtTheLimit() throws {
        // No Content-Length: libcurl cannot refuse up front, the write callback must stop it.
        let server = try LoopbackServer { _ in .closeDelimited(status: 200, body: noise(512 * 1024)) }
        defer { server.stop() }
        let client = try CurlClient(options: CurlOptions(maxResponseBytes: 100_000))
        let error = expectCurlError { () throws(CurlError) in try client.perform(HTTPRequest(url: server.url("/stream"))) }
        #expect(error == .responseTooLarge(limit: 100_000, url: server.url("/stream")))

        let roomy = try CurlClient(options: CurlOptions(maxResponseBytes: 512 * 1024))
        #expect(try roomy.perform(HTTPRequest(url: server.url("/stream"))).body.count == 512 * 1024)
    }

    @Test func cancelAbortsATransferInFlightAndStaysCancelled() throws {
        let server = try LoopbackServer { request in request.path == "/hang" ? .hang : .ok("fine") }
        defer { server.stop() }
        let client = try CurlClient(options: CurlOptions(totalTimeout: 10))

        let canceller = Thread {
            Thread.sleep(forTimeInterval: 0.2)
            client.cancel()
        }
        canceller.start()

        let clock = ContinuousClock()
        let start = clock.now
        let error = expectCurlError { () throws(CurlError) in try client.perform(HTTPRequest(url: server.url("/hang"))) }
        let elapsed = clock.now - start

        #expect(error == .cancelled(url: server.url("/hang")))
        #expect(elapsed < .milliseconds(1500))
        #expect(client.isCancelled)

        // Sticky: the next request does not start.
        let again = expectCurlError { () throws(CurlError) in try client.perform(HTTPRequest(url: server.url("/ok"))) }
        #expect(again == .cancelled(url: server.url("/ok")))
        #expect(server.requests.count == 1)

        client.resetCancellation()
        #expect(try client.perform(HTTPRequest(url: server.url("/ok"))).bodyString == "fine")
    }

    @Test func invalidHeaderIsRejectedBeforeSending() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let client = try CurlClient()
        let error = expectCurlError { () throws(CurlError) in
            try client.perform(HTTPRequest(url: server.url("/"), headers: [("X-Bad", "a\r\nInjected: 1")]))
        }
        #expect(error?.curlCode == 43) // CURLE_BAD_FUNCTION_ARGUMENT
        #expect(server.requests.isEmpty)
    }

    @Test func unsupportedSchemeIsNotAConnectionProblem() throws {
        let client = try CurlClient()
        let error = try #require(expectCurlError { () throws(CurlError) in
            try client.perform(HTTPRequest(url: "file:///etc/passwd"))
        })
        #expect(error.curlCode == 1) // CURLE_UNSUPPORTED_PROTOCOL
        #expect(!error.isConnectionProblem)
        #expect(error.description.hasPrefix("request to file:///etc/passwd failed: "))
    }
}

@Suite("CurlError and gzip shim")
struct CurlErrorAndShimTests {
    @Test func descriptionsAreReadable() {
        let refused = CurlError.transport(
            code: 7,
            message: "Couldn't connect to server (Failed to connect to 127.0.0.1 port 9 after 0 ms: Connection refused)",
            url: "http://127.0.0.1:9/v1/changes")
        #expect(refused.description
            == "cannot reach http://127.0.0.1:9/v1/changes: Couldn't connect to server (Failed to connect to 127.0.0.1 port 9 after 0 ms: Connection refused)")
        #expect(refused.isConnectionProblem)
        #expect(CurlError.transport(code: 60, message: "SSL peer certificate or SSH remote key was not OK", url: "https://a")
            .isConnectionProblem == false)
        #expect(CurlError.responseTooLarge(limit: 10, url: "http://h/x").description.contains("http://h/x"))
        #expect(CurlError.cancelled(url: "http://h/x").description == "request to http://h/x cancelled")
        #expect(!CurlError.cancelled(url: "u").isConnectionProblem)
        #expect(CurlError.compressionFailed("gzip: zlib error -4").description.contains("cannot compress request body: gzip"))
        #expect(!CurlError.initFailed.description.isEmpty)
    }

    @Test func tlsFailuresSayWhoseCertificateAndAreNotConnectionProblems() {
        let untrusted = CurlError.transport(code: 60, message: "SSL peer certificate or SSH remote key was not OK (SSL certificate problem: unable to get local issuer certificate)", url: "https://p/v1/changes")
        #expect(untrusted.tlsFailure == .serverNotTrusted)
        #expect(untrusted.description.hasPrefix("TLS: the certificate of https://p/v1/changes is not trusted: "))
        // TLS 1.3: the server's alert arrives on the first read after the handshake.
        let refused = CurlError.transport(code: 56, message: "Failure when receiving data from the peer (OpenSSL SSL_read: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0)", url: "https://p/x")
        #expect(refused.tlsFailure == .clientCertificateRefused)
        #expect(!refused.isConnectionProblem)
        #expect(refused.description.contains("https://p/x refused the client certificate"))
        #expect(CurlError.transport(code: 58, message: "Problem with the local SSL certificate", url: "https://p").tlsFailure == .localFiles)
        #expect(CurlError.transport(code: 35, message: "SSL connect error (wrong version number)", url: "https://p").tlsFailure == .handshake)
        // A reset connection is the network's problem, not TLS's.
        let reset = CurlError.transport(code: 56, message: "Failure when receiving data from the peer (Connection reset by peer)", url: "https://p")
        #expect(reset.tlsFailure == nil && reset.isConnectionProblem)
    }

    @Test func gzipShimRoundTripsAndGunzipEnforcesItsLimit() throws {
        let original = noise(300_000) + [UInt8](repeating: 65, count: 700_000)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outLen = 0
        let rc = original.withUnsafeBufferPointer { esync_gzip($0.baseAddress, $0.count, &out, &outLen) }
        #expect(rc == Z_OK)
        let compressed = Array(UnsafeBufferPointer(start: try #require(out), count: outLen))
        esync_free(out)

        #expect(compressed.count < original.count / 2)
        #expect(gunzip(compressed) == original)
        #expect(gunzip(compressed, limit: original.count) == original)
        #expect(gunzip(compressed, limit: original.count - 1) == nil) // gzip-bomb guard
        #expect(gunzip(Array(compressed.prefix(compressed.count / 2))) == nil) // truncated
        #expect(gunzip(Array("not gzip at all".utf8)) == nil)
    }
}
