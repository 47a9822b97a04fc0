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
    let authenticator: Authenticator
    public let metrics = AggregatorMetrics()

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
        self.authenticator = Authenticator(tokens: tokens, certificates: certificates, clientCA: config.tls?.clientCAPath != nil,
                                           trustedProxies: config.trustedProxies)
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

    /// The router: metrics and errors around everything, health and metrics open, the API
    /// (`/v1`) behind `AuthenticationMiddleware` in one controller per resource, and the review
    /// pages with their own sign-in.
    func makeRouter() -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in
            try APIAnswer.json(["status": "ok"] as [String: String])
        }
        // For Prometheus on the province's network: counts and latencies, no record content.
        let metrics = self.metrics, database = self.database
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
        // The register's stamp goes on every answer to a signed-in caller, refusals included; a
        // caller without a credential learns nothing about the register.
        let api = router.group("v1").add(middleware: AuthenticationMiddleware(authenticator: authenticator))
            .add(middleware: RegisterStampMiddleware(database: database))
        let request = APIRequest(maxBodyBytes: config.maxBodyBytes, bodyTimeoutSeconds: config.bodyTimeoutSeconds)
        ChangeSetsController(merge: merge, metrics: metrics, request: request, maxRecords: config.maxRecordsPerChangeSet).register(on: api)
        ChangesController(merge: merge, stores: stores, database: database, maxPageSize: config.maxPageSize).register(on: api)
        RecordsController(merge: merge, request: request).register(on: api)
        ConflictsController(conflicts: conflicts, request: request).register(on: api)
        StoresController(stores: stores, database: database, request: request).register(on: api)
        ReportController(database: database, targets: config.report).register(on: api)
        pages.register(on: router)
        return router
    }
}
