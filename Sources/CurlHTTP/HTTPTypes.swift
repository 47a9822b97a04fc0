/// The methods the sync protocol uses. A closed set so that a typo cannot reach the wire and
/// so the client knows which ones carry a body.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET"
    case post = "POST"
    case patch = "PATCH"
    case put = "PUT"
    case delete = "DELETE"
}

/// A compression of a request body, by its `Content-Encoding` name.
public enum ContentCoding: String, Sendable, Hashable, CaseIterable {
    /// What every server of the sync protocol takes.
    case gzip
    /// zstd (RFC 8878), to a server that said it takes it: on a change set it takes a fifth of
    /// gzip's CPU to compress and a tenth to inflate, for fewer bytes.
    case zstd
}

/// One request, as a value: it can be built on any task and handed to the thread that owns a
/// `CurlClient`.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    /// Extra request headers, in order. A list rather than a dictionary so repeated names survive.
    /// A `Content-Type` given here replaces the `application/json` default.
    public var headers: [(name: String, value: String)]
    /// Request body. `nil` sends none for GET and DELETE, and an empty body (`Content-Length: 0`)
    /// for POST, PUT and PATCH.
    public var body: [UInt8]?
    /// Compress the body with `bodyCoding` and say so with `Content-Encoding`: change sets are
    /// repetitive JSON and shrink several-fold, which is what matters on slow branch-office links.
    public var compressBody: Bool
    /// The compression of a `compressBody` request: gzip unless the server said it takes zstd.
    public var bodyCoding = ContentCoding.gzip
    /// With `compressBody`: `body` is compressed already (`CurlClient.compress`, done ahead on
    /// another thread), sent as it is.
    public var bodyIsCompressed = false

    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        compressBody: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.compressBody = compressBody
    }

    /// A request whose body is the UTF-8 of `text` (typically JSON already encoded by the caller).
    public init(
        method: HTTPMethod,
        url: String,
        headers: [(name: String, value: String)] = [],
        text: String,
        compressBody: Bool = false
    ) {
        self.init(method: method, url: url, headers: headers, body: Array(text.utf8), compressBody: compressBody)
    }
}

/// What came back. Any HTTP status is a response, not an error: the caller decides what a 409 or a
/// 503 means for its protocol; `CurlError` is reserved for "no usable response at all".
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased so lookups need not guess the server's spelling; repeated headers
    /// are joined with ", " as RFC 9110 allows.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid sequences replaced), for logs and error messages.
    public var bodyString: String { String(decoding: body, as: UTF8.self) }

    /// Case-insensitive header lookup.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// 2xx: the request did what was asked.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// Transport settings fixed for the life of a `CurlClient`, so every request on its connection
/// uses the same TLS identity and limits.
public struct CurlOptions: Sendable {
    /// Seconds allowed to establish TCP (and TLS). 0 means libcurl's default (300 s).
    public var connectTimeout: Double
    /// Seconds allowed for the whole request, connect included. 0 means no limit.
    public var totalTimeout: Double
    /// PEM bundle of CAs to trust instead of the system store (a private enterprise CA).
    public var caFile: String?
    /// PEM client certificate for mutual TLS.
    public var clientCert: String?
    /// PEM private key for `clientCert`.
    public var clientKey: String?
    /// Turns off certificate and host-name checks. For lab set-ups only: it makes TLS useless
    /// against an active attacker.
    public var insecureSkipVerify: Bool
    /// Largest response body accepted, in bytes. A misbehaving or hostile server must not be able
    /// to make the agent allocate without bound; exceeding it throws `.responseTooLarge`.
    public var maxResponseBytes: Int
    public var userAgent: String

    public static let defaultMaxResponseBytes = 256 * 1024 * 1024

    public init(
        connectTimeout: Double = 10,
        totalTimeout: Double = 120,
        caFile: String? = nil,
        clientCert: String? = nil,
        clientKey: String? = nil,
        insecureSkipVerify: Bool = false,
        maxResponseBytes: Int = CurlOptions.defaultMaxResponseBytes,
        userAgent: String = "EnterpriseSync/1"
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.caFile = caFile
        self.clientCert = clientCert
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }
}
