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
    /// The request body could not be compressed (the compression and its library's error).
    case compressionFailed(String)
    /// libcurl could not be initialised or could not allocate a handle.
    case initFailed

    public var description: String {
        switch self {
        case let .transport(code, message, url):
            switch tlsFailure {
            case .serverNotTrusted?: return "TLS: the certificate of \(url) is not trusted: \(message)"
            case .clientCertificateRefused?: return "TLS: \(url) refused the client certificate: \(message)"
            case .localFiles?: return "TLS: cannot use the CA file or the client certificate or key for \(url): \(message)"
            case .handshake?: return "TLS handshake with \(url) failed: \(message)"
            case nil: break
            }
            if Self.connectionCodes.contains(code) {
                return "cannot reach \(url): \(message)"
            }
            return "request to \(url) failed: \(message)"
        case let .responseTooLarge(limit, url):
            return "response from \(url) exceeds the limit of \(limit) bytes; transfer aborted"
        case let .cancelled(url):
            return "request to \(url) cancelled"
        case let .compressionFailed(detail):
            return "cannot compress request body: \(detail)"
        case .initFailed:
            return "cannot initialise libcurl (curl_global_init or curl_easy_init failed)"
        }
    }

    /// True when the server could not be reached or the connection broke: the network or the
    /// server is down, so a daemon should back off and retry later rather than treat the data or
    /// its configuration as wrong (TLS, protocol and size errors are false here).
    public var isConnectionProblem: Bool {
        if case let .transport(code, _, _) = self { return Self.connectionCodes.contains(code) && tlsFailure == nil }
        return false
    }

    /// What went wrong with TLS, for a failure that is about certificates rather than the network.
    public enum TLSFailure: Sendable, Equatable {
        /// The server's certificate does not chain to a trusted CA or does not name the host.
        case serverNotTrusted
        /// The server refused the client's certificate (or wanted one): a TLS alert from the peer.
        case clientCertificateRefused
        /// The local CA file, client certificate or key cannot be read or used.
        case localFiles
        /// Any other failed handshake (no common protocol or cipher, …).
        case handshake
    }

    /// Non-nil when the transfer failed on TLS. A refused client certificate shows up as an alert
    /// from the server, during the handshake or (TLS 1.3) on the first read after it.
    public var tlsFailure: TLSFailure? {
        guard case let .transport(code, message, _) = self else { return nil }
        let alert = message.contains("alert") && (message.contains("certificate") || message.contains("unknown ca") || message.contains("access denied"))
        switch code {
        case Self.code(CURLE_PEER_FAILED_VERIFICATION), Self.code(CURLE_SSL_ISSUER_ERROR), Self.code(CURLE_SSL_PINNEDPUBKEYNOTMATCH),
             Self.code(CURLE_SSL_INVALIDCERTSTATUS):
            return .serverNotTrusted
        case Self.code(CURLE_SSL_CLIENTCERT):
            return .clientCertificateRefused
        case Self.code(CURLE_SSL_CERTPROBLEM), Self.code(CURLE_SSL_CACERT_BADFILE), Self.code(CURLE_SSL_CRL_BADFILE):
            return .localFiles
        case Self.code(CURLE_SSL_CONNECT_ERROR):
            return alert ? .clientCertificateRefused : .handshake
        case Self.code(CURLE_SSL_CIPHER), Self.code(CURLE_SSL_ENGINE_NOTFOUND), Self.code(CURLE_SSL_ENGINE_SETFAILED), Self.code(CURLE_SSL_ENGINE_INITFAILED):
            return .handshake
        case Self.code(CURLE_RECV_ERROR), Self.code(CURLE_SEND_ERROR):
            return alert ? .clientCertificateRefused : nil
        default:
            return nil
        }
    }

    private static func code(_ value: CURLcode) -> Int { Int(value.rawValue) }

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
