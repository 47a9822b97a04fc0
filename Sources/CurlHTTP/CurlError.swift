internal import CCurl

/// Why a request produced no usable response. Every case carries what an operator needs to act
/// on a log line without reproducing the failure: the URL and libcurl's own explanation.
public enum CurlError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libcurl failed the transfer. `code` is the `CURLE_*` value; `message` is
    /// `curl_easy_strerror` followed by libcurl's detailed error buffer in parentheses.
    case transport(code: Int, message: String, url: String)
    /// The response body would exceed `CurlOptions.maxResponseBytes`; the transfer was aborted.
    case responseTooLarge(limit: Int, url: String)
    /// `CurlClient.cancel()` was called (typically on SIGTERM) before or during the transfer.
    case cancelled(url: String)
    /// The request body could not be compressed (zlib error text).
    case gzipFailed(String)
    /// libcurl could not be initialised or could not allocate a handle.
    case initFailed

    public var description: String {
        switch self {
        case let .transport(code, message, url):
            if Self.connectionCodes.contains(code) {
                return "cannot reach \(url): \(message)"
            }
            return "request to \(url) failed: \(message)"
        case let .responseTooLarge(limit, url):
            return "response from \(url) exceeds the limit of \(limit) bytes; transfer aborted"
        case let .cancelled(url):
            return "request to \(url) cancelled"
        case let .gzipFailed(detail):
            return "cannot gzip request body: \(detail)"
        case .initFailed:
            return "cannot initialise libcurl (curl_global_init or curl_easy_init failed)"
        }
    }

    /// True when the server could not be reached or the connection broke: the network or the
    /// server is down, so a daemon should back off and retry later rather than treat the data or
    /// its configuration as wrong (TLS, protocol and size errors are false here).
    public var isConnectionProblem: Bool {
        if case let .transport(code, _, _) = self { return Self.connectionCodes.contains(code) }
        return false
    }

    /// The `CURLE_*` code for `.transport`, nil otherwise.
    public var curlCode: Int? {
        if case let .transport(code, _, _) = self { return code }
        return nil
    }

    static let connectionCodes: Set<Int> = Set([
        CURLE_COULDNT_RESOLVE_PROXY,
        CURLE_COULDNT_RESOLVE_HOST,
        CURLE_COULDNT_CONNECT,
        CURLE_PARTIAL_FILE,
        CURLE_OPERATION_TIMEDOUT,
        CURLE_GOT_NOTHING,
        CURLE_SEND_ERROR,
        CURLE_RECV_ERROR,
    ].map { Int($0.rawValue) })
}
