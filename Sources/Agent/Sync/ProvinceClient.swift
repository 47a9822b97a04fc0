import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore

/// The aggregator's HTTP API as the agent uses it, through one libcurl handle (keep-alive).
/// Blocking: call it from a thread of its own, never from Swift's cooperative pool.
public final class ProvinceClient {
    public let baseURL: String
    /// nil: the bureau signs in by its client certificate.
    private let token: String?
    public let curl: CurlClient

    public init(config: AgentConfig) throws(AgentError) {
        guard let url = config.serverURL else { throw .config("\(config.configPath): server.url is missing") }
        baseURL = url
        token = try config.readTokenIfAny()
        // libcurl names a missing file only vaguely ("problem with the local SSL certificate"):
        // say which key and which file before the first request.
        for (key, file) in [("server.caFile", config.caFile), ("server.clientCert", config.clientCert), ("server.clientKey", config.clientKey)] {
            if let file, !FileSystem.exists(file) { throw .config("\(config.configPath): \(key): \(file) does not exist") }
        }
        var options = CurlOptions()
        options.connectTimeout = config.connectTimeoutSeconds
        options.totalTimeout = config.timeoutSeconds
        options.caFile = config.caFile
        options.clientCert = config.clientCert
        options.clientKey = config.clientKey
        options.insecureSkipVerify = config.tlsVerification == .disabledInsecure
        options.userAgent = "esync-agent/\(AgentVersion.current)"
        do { curl = try CurlClient(options: options) } catch { throw .transport(error) }
    }

    /// Sends a sealed change set (already encoded as it lies in the outbox), gzip-compressed.
    public func push(_ body: [UInt8]) throws(AgentError) -> ChangeSetResult {
        try wire(.post, "/v1/changesets", body: body, as: ChangeSetResult.self)
    }

    /// `own`: include the documents of revisions this bureau wrote itself (a store set up
    /// from the province's copy has none of them).
    public func changes(since cursor: Int64, limit: Int, own: Bool = false) throws(AgentError) -> ChangePage {
        try wire(.get, "/v1/changes?since=\(cursor)&limit=\(limit)\(own ? "&own=1" : "")", as: ChangePage.self)
    }

    public func conflict(_ id: Int64) throws(AgentError) -> ConflictView {
        try wire(.get, "/v1/conflicts/\(id)", as: ConflictView.self)
    }

    public func record(_ uscc: String) throws(AgentError) -> RecordView {
        try call(.get, "/v1/records/\(uscc)", as: RecordView.self)
    }

    /// A call whose answer is one of the hot wire types, read with the project's JSON parser.
    func wire<T: WireJSON>(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, as type: T.Type) throws(AgentError) -> T {
        let (url, response) = try send(method, path, body: body)
        do { return try T.decode(response.body) } catch {
            throw .protocolError(url: url, reason: "cannot read the answer: \(error)")
        }
    }

    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, as type: T.Type) throws(AgentError) -> T {
        let (url, response) = try send(method, path, body: body)
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw .protocolError(url: url, reason: "cannot decode the answer: \(error)")
        }
    }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?) throws(AgentError) -> (String, HTTPResponse) {
        let url = baseURL + path
        var request = HTTPRequest(method: method, url: url, headers: [("Accept", "application/json")])
        if let token { request.headers.append(("Authorization", "Bearer " + token)) }
        if let body {
            request.body = body
            request.gzipBody = true
        }
        let response: HTTPResponse
        do { response = try curl.perform(request) } catch { throw .transport(error) }
        guard response.status == 200 else {
            let decoded = try? JSONDecoder().decode(APIErrorBody.self, from: Data(response.body))
            throw .server(status: response.status, code: decoded?.error ?? "http_\(response.status)",
                          message: decoded?.message ?? String(decoding: response.body.prefix(300), as: UTF8.self), url: url)
        }
        return (url, response)
    }
}

public enum AgentVersion {
    public static let current = "0.1.0"
}
