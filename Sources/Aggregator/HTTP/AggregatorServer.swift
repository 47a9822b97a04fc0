import CompressNIO
import EnterpriseModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import SyncCore

/// The province's HTTP API (v1) on Hummingbird.
public struct AggregatorServer: Sendable {
    public let config: AggregatorConfig
    public let database: ProvinceDatabase
    let merge: MergeService
    let conflicts: ConflictService
    let tokens: TokenStore
    let certificates: ClientCertificateStore
    let stores: StoreEpochs
    let pages: ReviewPages
    public let metrics = AggregatorMetrics()
    let apiThrottle = LoginThrottle(freeFailures: 5, window: 900, maxWait: 5, failurePause: .zero)

    public init(config: AggregatorConfig, database: ProvinceDatabase, policy: FieldPolicy = .standard) {
        self.config = config
        self.database = database
        self.merge = MergeService(database: database, policy: policy,
                                  guardRule: MassChangeGuard(share: config.guardShare, minChanges: config.guardMinChanges))
        self.conflicts = ConflictService(database: database)
        self.tokens = TokenStore(database: database)
        self.certificates = ClientCertificateStore(database: database)
        self.stores = StoreEpochs(database: database)
        self.pages = ReviewPages(config: config, database: database, conflicts: conflicts, merge: merge, tokens: tokens)
    }

    /// Runs until SIGTERM or SIGINT; `onRunning` gets the bound port (useful with port 0).
    /// Serves HTTPS when `tls.*` is configured; a missing or unreadable certificate or key
    /// throws `ConfigError` naming the key and the file before anything listens.
    ///
    /// A peer cannot hold the server with connections that never finish: one with nothing read
    /// or written for `limits.idleTimeoutSeconds` is closed (the timer starts when it connects,
    /// so a TLS handshake or a request head that never completes counts), a body must arrive
    /// within `limits.bodyTimeoutSeconds`, and at most `limits.maxConnections` are served at
    /// once (more wait in the listen backlog, so file descriptors never run out).
    public func run(logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let http1: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: .seconds(Int64(config.idleTimeoutSeconds))))
        let server: HTTPServerBuilder = if let files = config.tls {
            try .tls(http1, tlsConfiguration: ServerTLS.configuration(files))
        } else {
            http1
        }
        let app = Application(
            router: makeRouter(),
            server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "esync-aggregator",
                                 availableConnectionsDelegate: .maximum(config.maxConnections, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? config.port) },
            logger: logger
        )
        try await app.runService()
    }

    func makeRouter() -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in
            try Self.json(["status": "ok"] as [String: String])
        }
        // For Prometheus on the province's network: counts and latencies, no record content.
        router.get("/metrics") { _, _ in
            let text = try await metrics.scrape(database: database)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        // The contract of this API, for any client and for the fuzzer in CI (docs/openapi.yaml).
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.post("/v1/changesets") { request, context in
            let principal = try await authenticate(request, context)
            let body = try await readBody(request)
            let changeSet: ChangeSet
            let seal: ChangeSetSeal
            do {
                let received = try ChangeSet.decodeKeepingJSON(body)
                changeSet = received.value
                seal = ChangeSetSeal(received.json)
            } catch {
                throw ServiceError.badRequest("the body is not a change set: \(error)")
            }
            let identity = try await checkStore(request, principal, context, changeSet: changeSet.id, record: false)
            guard changeSet.records.count <= config.maxRecordsPerChangeSet else {
                throw ServiceError.tooLarge("change set has \(changeSet.records.count) records; the limit is \(config.maxRecordsPerChangeSet)")
            }
            let result: ChangeSetResult
            let answer = AnswerForm(header: HTTPField.Name(AnswerForm.header).flatMap { request.headers[$0] })
            do { result = try await merge.apply(changeSet, seal: seal, from: principal, answer: answer) } catch {
                metrics.changeSet("refused")
                throw error
            }
            if let identity, let region = principal.region { try await stores.record(identity, region: region, changeSet: changeSet.id) }
            metrics.changeSet(result.held ? "held" : result.replayed ? "replayed" : "applied", records: result.replayed ? [] : result.records)
            if result.held { context.logger.warning("change set held", metadata: ["id": "\(changeSet.id)", "region": "\(changeSet.region)", "why": "\(result.message ?? "")"]) }
            context.logger.info("change set applied", metadata: ["id": "\(changeSet.id)", "region": "\(changeSet.region)",
                                                                 "records": "\(changeSet.records.count)", "replayed": "\(result.replayed)"])
            return Self.wire(result, for: request)
        }
        router.get("/v1/changes") { request, context in
            let principal = try await authenticate(request, context)
            let query = request.uri.queryParameters
            let region = try Self.region(for: principal, principal.role == .bureau ? nil : query.get("region"),
                                         example: "/v1/changes?region=410100&since=0")
            let store = try await checkStore(request, principal, context)
            guard let since = Int64(query.get("since") ?? "0"), since >= 0 else { throw ServiceError.badRequest("since must be a non-negative integer") }
            guard let limit = Int(query.get("limit") ?? "1000"), limit >= 1 else { throw ServiceError.badRequest("limit must be a positive integer") }
            let echoes = HTTPField.Name(EchoForm.header).flatMap { request.headers[$0] }?.lowercased()
            let page = try await merge.changes(region: region, since: since, limit: min(limit, config.maxPageSize),
                                               requester: principal.role == .bureau && query.get("own") != "1" ? principal.source : nil,
                                               echoHashes: echoes != EchoForm.revisionsOnly)
            if principal.role == .bureau { try await RegionActivity.notePull(region: region, cursor: page.cursor, database: database) }
            if let store { try await stores.noteHanded(page.cursor, region: region, epoch: store.epoch) }
            return Self.wire(page, for: request)
        }
        router.get("/v1/records/:uscc") { request, context in
            let principal = try await authenticate(request, context)
            let uscc = try Self.uscc(context)
            return try Self.json(try await merge.record(uscc, for: principal))
        }
        router.patch("/v1/records/:uscc") { request, context in
            let principal = try await authenticate(request, context)
            let uscc = try Self.uscc(context)
            let body = try await readBody(request)
            let patch: RecordPatch
            do { patch = try JSONDecoder().decode(RecordPatch.self, from: Data(body)) } catch {
                throw ServiceError.badRequest("the body is not a record patch {\"set\": {FIELD: VALUE}, \"remove\": [FIELD]}: \(Self.describe(error))")
            }
            let view = try await merge.patch(uscc, patch, by: principal)
            context.logger.info("record edited", metadata: ["uscc": "\(uscc)", "by": "\(principal.source)", "revision": "\(view.revision)"])
            return try Self.json(view)
        }
        router.get("/v1/conflicts") { request, context in
            let principal = try await authenticate(request, context)
            let query = request.uri.queryParameters
            let (status, kind, region) = try ConflictService.Filter.checked(status: query.get("status") ?? "open", kind: query.get("kind"),
                                                                           region: query.get("region"))
            let filter = ConflictService.Filter(status: status == "all" ? nil : status, region: region, field: query.get("field"),
                                                kind: kind, uscc: query.get("uscc"),
                                                createdBefore: try query.get("olderThan").map { age throws(ServiceError) in try ConflictService.Filter.createdBefore(age: age) },
                                                limit: try ConflictService.Filter.limit(query.get("limit")))
            return Self.wire(ConflictList(conflicts: try await conflicts.list(filter, for: principal)))
        }
        router.get("/v1/conflicts/:id") { request, context in
            let principal = try await authenticate(request, context)
            return Self.wire(try await conflicts.show(try Self.conflictID(context), for: principal))
        }
        router.post("/v1/conflicts/:id/resolution") { request, context in
            let principal = try await authenticate(request, context)
            let id = try Self.conflictID(context)
            let resolution: Resolution
            do { resolution = try Resolution.decode(try await readBody(request)) } catch let error as WireError {
                throw ServiceError.badRequest("the body is not a resolution {\"decision\": \"keep-current|take-incoming|value\", \"value\": …, \"note\": …}: \(error)")
            }
            let view = try await conflicts.resolve(id, resolution, by: principal)
            context.logger.info("conflict decided", metadata: ["id": "\(id)", "decision": "\(resolution.decision.rawValue)", "by": "\(principal.source)"])
            return Self.wire(view)
        }
        router.post("/v1/conflicts/:id/withdrawal") { request, context in
            let principal = try await authenticate(request, context)
            let id = try Self.conflictID(context)
            let view = try await conflicts.withdraw(id, by: principal)
            context.logger.info("delete request withdrawn", metadata: ["id": "\(id)", "uscc": "\(view.uscc)", "by": "\(principal.source)"])
            return Self.wire(view)
        }
        router.get("/v1/report") { request, context in try await report(request, principal: try await authenticate(request, context)) }
        registerAuditRoutes(on: router)
        pages.register(on: router)
        return router
    }

    static func conflictID(_ context: AggregatorRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw ServiceError.badRequest("conflict id must be a positive integer") }
        return id
    }

    /// The caller behind the bearer token, else behind the client certificate of the connection
    /// (when `tls.clientCA` is set): a registered, unrevoked certificate is its region's bureau.
    /// An address that keeps presenting wrong credentials is slowed down: past a few failures
    /// each of its attempts waits (doubling, up to 5 s) before it is even checked, so guessing
    /// costs time while a bureau that mistyped loses little.
    func authenticate(_ request: Request, _ context: AggregatorRequestContext) async throws -> Principal {
        let principal = try await authenticateCredentials(request, context)
        // An agent (it names its store) signed in with a reviewer's or editor's token was told
        // to add `?region=`: say what is wrong instead.
        if principal.role != .bureau, HTTPField.Name(StoreIdentity.epochHeader).flatMap({ request.headers[$0] }) != nil {
            throw ServiceError.forbidden("this is the token of \(principal.role.rawValue) \(principal.name), not a bureau's: esync-agent needs its bureau's token (`esync-aggregator token add --region CODE` at the province)")
        }
        return principal
    }

    func authenticateCredentials(_ request: Request, _ context: AggregatorRequestContext) async throws -> Principal {
        let address = ClientAddress.of(request, context, trustedProxies: config.trustedProxies)
        let wait = await apiThrottle.wait(for: address)
        if wait > 0 { try? await Task.sleep(for: .seconds(min(wait, 5))) }
        let presented: Principal?
        do {
            presented = try await credentials(request, context)
        } catch let error as ServiceError {
            await apiThrottle.failed(address)
            context.logger.notice("authentication failed", metadata: ["address": "\(address)", "path": "\(request.uri.path)", "why": "\(error)"])
            throw error
        }
        guard let principal = presented else {
            throw ServiceError.unauthorized(config.tls?.clientCAPath == nil
                ? "no bearer token: send Authorization: Bearer TOKEN (created with `esync-aggregator token add`)"
                : "no bearer token and no client certificate: send Authorization: Bearer TOKEN, or connect with a certificate registered by `esync-aggregator cert add`")
        }
        await apiThrottle.succeeded(address)
        return principal
    }

    /// A bearer token when one is sent (it decides, whatever certificate the connection has),
    /// else the connection's verified client certificate; nil when neither is there.
    func credentials(_ request: Request, _ context: AggregatorRequestContext) async throws -> Principal? {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw ServiceError.unauthorized("the Authorization header is not a bearer token: send Authorization: Bearer TOKEN")
            }
            guard let principal = try await tokens.authenticate(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
                throw ServiceError.unauthorized("unknown or revoked token")
            }
            return principal
        }
        guard config.tls?.clientCAPath != nil, let certificate = await context.peerCertificate() else { return nil }
        return try await certificates.authenticate(certificate)
    }

    /// The request body, refused with 413 before it is read when its declared length is too
    /// large, and measured after decompression when it is gzip (a small bomb is refused early).
    func readBody(_ request: Request) async throws -> [UInt8] {
        let limit = config.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw ServiceError.tooLarge("request body of \(declared) bytes is larger than the limit of \(limit) bytes")
        }
        var buffer = try await collect(request.body, upTo: limit)
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" else { throw ServiceError.badRequest("Content-Encoding \(encoding) is not supported (use gzip)") }
            do {
                buffer = try buffer.decompress(with: .gzip(), maxSize: limit)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw ServiceError.tooLarge("gzip body decompresses to more than the limit of \(limit) bytes")
            } catch {
                throw ServiceError.badRequest("gzip body cannot be decompressed: \(error)")
            }
        }
        return Array(buffer.readableBytesView)
    }

    /// The body within `limits.bodyTimeoutSeconds` (408 after it: a body trickled a byte at a
    /// time would otherwise hold its connection for as long as the peer likes).
    func collect(_ body: RequestBody, upTo limit: Int) async throws -> ByteBuffer {
        let seconds = config.bodyTimeoutSeconds
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw ServiceError.timeout("the request body did not arrive within \(seconds) s (limits.bodyTimeoutSeconds)")
            }
            return buffer
        }
    }

    static func uscc(_ context: AggregatorRequestContext) throws -> String {
        guard let raw = context.parameters.get("uscc") else { throw ServiceError.badRequest("missing credit code") }
        do { return try USCC(raw).rawValue } catch { throw ServiceError.badRequest("\(error)") }
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: Data
        do { body = try encoder.encode(value) } catch { throw ServiceError.internalError("cannot encode the answer: \(error)") }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The hot answers (change set results, change pages) in the canonical JSON writer.
    /// `request`: one whose `Accept-Encoding` allows gzip gets a body over 1 kB compressed (push
    /// answers and change pages: mostly field names and hex hashes, a third of the bytes).
    static func wire(_ value: some WireJSON, for request: Request? = nil) -> Response {
        var body = ByteBuffer(bytes: value.encoded())
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let request, body.readableBytes > 1024, Self.acceptsGzip(request.headers[.acceptEncoding]),
           let compressed = try? body.compress(with: .gzip()) {
            body = compressed
            headers[.contentEncoding] = "gzip"
            headers[.vary] = "Accept-Encoding"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// `Accept-Encoding` lists gzip with a weight above 0 (`gzip`, `gzip;q=0.5`; not `gzip;q=0`).
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.lowercased().split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "gzip" else { return false }
            let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return weight > 0
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            let key: String
            if case .keyNotFound(let k, _) = decoding { key = " (missing \(k.stringValue))" } else { key = "" }
            return "\(path.isEmpty ? "document" : String(path.drop(while: { $0 == "." }))): \(c.debugDescription)\(key)"
        @unknown default:
            return "\(error)"
        }
    }
}
