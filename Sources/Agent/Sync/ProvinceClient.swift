import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore

/// How a `ProvinceClient`'s requests reach the province: libcurl (`CurlClient`, one handle,
/// keep-alive), or in the in-process tests the province's router without a socket.
public protocol ProvinceTransport: AnyObject {
    func perform(_ request: HTTPRequest) throws(CurlError) -> HTTPResponse
}

extension CurlClient: ProvinceTransport {}

/// The aggregator's HTTP API as the agent uses it (`ProvinceAPI`): requests made and answers
/// read and checked here, a status other than 200 turned into a `ProvinceRefusal`.
/// Blocking: call it from a thread of its own, never from Swift's cooperative pool.
public final class ProvinceClient: ProvinceAPI {
    public let baseURL: String
    /// The store's region: what the province's answers are checked against (`ProvinceAnswers`).
    public let region: String
    /// nil: the bureau signs in by its client certificate.
    private let token: String?
    private let transport: any ProvinceTransport
    /// The libcurl handle, for a daemon to abort a transfer on stop; nil over another transport.
    public var curl: CurlClient? { transport as? CurlClient }
    /// The register the last answer came from (`ESync-Register`); nil before any answer, or
    /// from a province before register stamps.
    public private(set) var registerStamp: RegisterStamp?
    /// Taken from every answer that carries a register stamp (a province's own answer to a
    /// signed-in caller, not a proxy's): whether its `ESync-Accepts` names whole records.
    public private(set) var acceptsWholeRecords = false
    /// Likewise: whether it takes a change set sent before the answer to the one before
    /// (`ProvinceAccepts.pipelined`, `ChangeSetAfter`).
    public private(set) var acceptsPipelining = false
    /// Likewise: whether it takes a change set's body in zstd (`ProvinceAccepts.zstd`); until
    /// it says so, bodies go in gzip, which every province takes.
    public private(set) var acceptsZstd = false

    /// How a change set's body is compressed for this province, as far as its answers said.
    public var bodyCoding: ContentCoding { acceptsZstd ? .zstd : .gzip }

    /// A client over another transport (the in-process tests).
    public init(baseURL: String, region: String, token: String?, transport: any ProvinceTransport) {
        self.baseURL = baseURL
        self.region = region
        self.token = token
        self.transport = transport
    }

    public init(config: AgentConfig) throws(AgentError) {
        guard let url = config.serverURL else { throw .config("\(config.configPath): server.url is missing") }
        baseURL = url
        region = config.region
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
        options.maxResponseBytes = config.maxAnswerBytes
        options.userAgent = "esync-agent/\(AgentVersion.current)"
        do { transport = try CurlClient(options: options) } catch { throw .transport(error) }
    }

    /// Sends a sealed change set (`body`, encoded as it lies in the outbox, of `sent`),
    /// compressed (`bodyCoding`). `identity`: the store's, which the province checks before applying anything.
    /// The answer leaves out the documents the agent can rebuild from its base and what it sent
    /// (`ESync-Answer: short-hashes`; `SyncEngine.integrate` checks each against its hash).
    /// Answers about records not sent, or not in this store's region, are refused (`ProvinceAnswers`).
    public func push(_ body: [UInt8], sent: ChangeSet, identity: StoreIdentity?) throws(AgentError) -> (result: ChangeSetResult, refused: [RefusedRecord]) {
        try push(body, compressed: nil, sent: sent, identity: identity)
    }

    /// `push`, with the body compressed ahead when `compressed` is given
    /// (`CurlClient.compress(body, as: coding)`): a push pipeline compresses the next change set
    /// while the province merges the one before.
    /// `after`: the id of the change set sent before this one whose answer has not come yet
    /// (`ChangeSetAfter`; only to a province that `acceptsPipelining`).
    public func push(_ body: [UInt8], compressed: (bytes: [UInt8], coding: ContentCoding)?, sent: ChangeSet, identity: StoreIdentity?,
                     after: String? = nil) throws(AgentError)
        -> (result: ChangeSetResult, refused: [RefusedRecord]) {
        let headers = [(AnswerForm.header, AnswerForm.shortHashes.rawValue)] + (identity?.headers ?? []) + (after.map { [(ChangeSetAfter.header, $0)] } ?? [])
        let coding = compressed?.coding ?? bodyCoding
        let url: String, result: ChangeSetResult
        do {
            (url, result) = try wire(.post, "/v1/changesets", body: compressed?.bytes ?? body, coding: compressed?.coding, headers: headers,
                                     as: ChangeSetResult.self)
        } catch .server(let refusal) where coding == .zstd && (refusal.status == 400 || refusal.status == 415) {
            // Refused in zstd: perhaps by what does not take it after all (an instance from before
            // it behind the same address during an upgrade, a province taken back to one, a
            // proxy). The same change set once more in gzip, which every province takes, before
            // its refusal is believed; gzip again until an answer names zstd.
            acceptsZstd = false
            (url, result) = try wire(.post, "/v1/changesets", body: body, coding: nil, headers: headers, as: ChangeSetResult.self)
        }
        return try ProvinceAnswers.check(result, sent: sent, region: region, url: url)
    }

    /// Initialises libcurl (and OpenSSL under it) for the process; see `CurlClient.initializeLibrary`.
    public static func initializeLibrary() { CurlClient.initializeLibrary() }

    /// `own`: include the documents of revisions this bureau wrote itself (a store set up
    /// from the province's copy has none of them). `identity`: as for `push`; without it
    /// (`reconcile`) the province reads the region out without checking the store.
    /// Records that cannot be this store's are left out of the page and returned as refused; a
    /// cursor that goes back, or does not move while more pages follow, is an error (`ProvinceAnswers`).
    public func changes(since cursor: Int64, limit: Int, own: Bool = false, leavingOutEchoes: Bool = false,
                        identity: StoreIdentity? = nil) throws(AgentError) -> (page: ChangePage, refused: [RefusedRecord]) {
        let echoes = leavingOutEchoes ? EchoForm.none : EchoForm.revisionsOnly
        let (url, page) = try wire(.get, "/v1/changes?since=\(cursor)&limit=\(limit)\(own ? "&own=1" : "")",
                                   headers: [(EchoForm.header, echoes)] + (identity?.headers ?? []), as: ChangePage.self)
        return try ProvinceAnswers.check(page, since: cursor, region: region, url: url)
    }

    /// What the province remembers of this region's store; nil when it knows none yet.
    public func storeRegistration() throws(AgentError) -> StoreRegistration? {
        do { return try call(.get, "/v1/store-epoch", as: StoreRegistration.self).value } catch .server(let refusal) where refusal.kind == .notFound {
            return nil
        }
    }

    /// Makes this store the region's store at the province (see `StoreRegistrationRequest`).
    public func register(_ request: StoreRegistrationRequest) throws(AgentError) -> StoreRegistration {
        let body: [UInt8]
        do { body = Array(try JSONEncoder().encode(request)) } catch { throw .protocolError(url: baseURL, reason: "cannot encode the registration: \(error)") }
        return try call(.post, "/v1/store-epoch", body: body, as: StoreRegistration.self).value
    }

    /// The province's digest of each bucket of the region's records (`verify`).
    public func digests() throws(AgentError) -> RegionDigests {
        try call(.get, "/v1/digests", as: RegionDigests.self).value
    }

    public func digestBucket(_ bucket: Int) throws(AgentError) -> BucketRecords {
        try call(.get, "/v1/digests?bucket=\(bucket)", as: BucketRecords.self).value
    }

    public func conflict(_ id: Int64) throws(AgentError) -> ConflictView {
        try wire(.get, "/v1/conflicts/\(id)", as: ConflictView.self).value
    }

    /// Withdraws this bureau's delete request `id` (its record's file is back); 409 once the
    /// province has decided it.
    public func withdraw(_ id: Int64) throws(AgentError) -> ConflictView {
        try wire(.post, "/v1/conflicts/\(id)/withdrawal", as: ConflictView.self).value
    }

    /// A record this store asked for (`uscc`: a code the store already holds or was sent). An
    /// answer about another record or region throws `.refusedAnswer` (`ProvinceAnswers`).
    public func record(_ uscc: String) throws(AgentError) -> RecordView {
        let (url, view) = try call(.get, "/v1/records/\(uscc)", as: RecordView.self)
        return try ProvinceAnswers.check(view, asked: uscc, region: region, url: url)
    }

    /// A call whose answer is one of the hot wire types, read with the project's JSON parser;
    /// returns the URL with it, for the errors of the checks that follow.
    /// `coding`: the compression `body` is in already (nil: it is compressed here, `bodyCoding`).
    func wire<T: WireJSON>(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, coding: ContentCoding? = nil,
                           headers: [(name: String, value: String)] = [], as type: T.Type) throws(AgentError) -> (url: String, value: T) {
        let (url, response) = try send(method, path, body: body, coding: coding, headers: headers)
        do { return (url, try T.decode(response.body)) } catch {
            throw .protocolError(url: url, reason: "cannot read the answer: \(error)")
        }
    }

    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, as type: T.Type) throws(AgentError) -> (url: String, value: T) {
        let (url, response) = try send(method, path, body: body)
        do {
            return (url, try JSONDecoder().decode(T.self, from: Data(response.body)))
        } catch {
            throw .protocolError(url: url, reason: "cannot decode the answer: \(error)")
        }
    }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, coding: ContentCoding? = nil,
              headers: [(name: String, value: String)] = []) throws(AgentError) -> (String, HTTPResponse) {
        let url = baseURL + path
        var request = HTTPRequest(method: method, url: url, headers: [("Accept", "application/json")] + headers)
        if let token { request.headers.append(("Authorization", "Bearer " + token)) }
        if let body {
            request.body = body
            request.compressBody = true
            request.bodyCoding = coding ?? bodyCoding
            request.bodyIsCompressed = coding != nil
        }
        let response: HTTPResponse
        do { response = try transport.perform(request) } catch { throw .transport(error) }
        if let text = response.header(RegisterStamp.header), let stamp = RegisterStamp(header: text) {
            registerStamp = stamp
            let accepts = response.header(ProvinceAccepts.header) ?? ""
            acceptsWholeRecords = ProvinceAccepts.names(ProvinceAccepts.wholeRecords, in: accepts)
            acceptsPipelining = ProvinceAccepts.names(ProvinceAccepts.pipelined, in: accepts)
            acceptsZstd = ProvinceAccepts.names(ProvinceAccepts.zstd, in: accepts)
        }
        guard response.status == 200 else {
            if response.status == 409, let mismatch = try? JSONDecoder().decode(RegisterMismatch.self, from: Data(response.body)) {
                throw .registerMismatch(mismatch, url: url)
            }
            if response.status == 409, let conflict = try? JSONDecoder().decode(StoreIdentityConflict.self, from: Data(response.body)) {
                throw .storeIdentity(conflict, url: url)
            }
            let decoded = try? JSONDecoder().decode(APIErrorBody.self, from: Data(response.body))
            throw .server(ProvinceRefusal(status: response.status, code: decoded?.error ?? "http_\(response.status)",
                                          message: decoded?.message ?? String(decoding: response.body.prefix(300), as: UTF8.self), url: url,
                                          retryAfterSeconds: ProvinceRefusal.retryAfter(response.header("Retry-After"))))
        }
        return (url, response)
    }
}

public enum AgentVersion {
    public static let current = ESyncVersion.current
}
