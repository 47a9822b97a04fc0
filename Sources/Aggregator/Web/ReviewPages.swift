import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import SyncCore

/// The review pages under `/review`: the reviewers' login, the queue, each conflict, the
/// regions' overview. Server-rendered HTML, no JavaScript; every decision goes through
/// `ConflictService` with the signed-in reviewer as principal, exactly like the API and the CLI.
///
/// Without a session every page answers 303 to the login page, with nothing of the data in
/// the body. Every POST checks the session's CSRF token before it reads anything else, and
/// answers 303 with a flash message (post/redirect/get).
struct ReviewPages: Sendable {
    let conflicts: ConflictService
    let merge: MergeService
    let tokens: TokenStore
    let sessions: ReviewSessions
    let throttle: LoginThrottle
    /// Mark cookies Secure: the pages are served over TLS (by a proxy in front).
    let secureCookie: Bool
    let staleAfterHours: Double
    let reportTargets: ReportTargets
    /// `listen.trustedProxies`: whose `X-Forwarded-For` the login throttle believes.
    let trustedProxies: Set<String>

    static let sessionCookie = "esync_session"
    static let loginCookie = "esync_login"
    static let maxFormBytes = 1 << 20

    init(config: AggregatorConfig, database: ProvinceDatabase, conflicts: ConflictService, merge: MergeService, tokens: TokenStore) {
        self.conflicts = conflicts
        self.merge = merge
        self.tokens = tokens
        sessions = ReviewSessions(database: database, idle: Double(config.reviewSessionIdleMinutes) * 60,
                                  maxAge: Double(config.reviewSessionMaxHours) * 3600)
        throttle = LoginThrottle()
        secureCookie = config.reviewSecureCookie
        staleAfterHours = config.reviewStaleAfterHours
        reportTargets = config.report
        trustedProxies = config.trustedProxies
    }

    func register(on router: Router<AggregatorRequestContext>) {
        router.get("/review/login") { request, _ in try await loginPage(request) }
        router.post("/review/login") { request, context in try await login(request, context) }
        router.post("/review/logout") { request, context in
            try await form(request, context) { session, _ in try await logout(session) }
        }
        router.get("/review") { request, context in
            try await page(request, context) { session in try await queuePage(request, session) }
        }
        router.post("/review/bulk") { request, context in
            try await form(request, context) { session, form in try await bulkResolve(form, session, context) }
        }
        router.get("/review/conflicts/:id") { request, context in
            try await page(request, context) { session in try await conflictPage(try Self.conflictID(context), session) }
        }
        router.post("/review/conflicts/:id/resolve") { request, context in
            try await form(request, context) { session, form in try await resolve(try Self.conflictID(context), form, session, context) }
        }
        router.post("/review/conflicts/:id/reopen") { request, context in
            try await form(request, context) { session, _ in try await reopen(try Self.conflictID(context), session, context) }
        }
        router.get("/review/regions") { request, context in
            try await page(request, context) { session in try await regionsPage(request, session) }
        }
        registerReport(on: router)
    }

    // MARK: - Sessions and forms

    /// The signed-in reviewer, or nil.
    func session(_ request: Request) async throws -> ReviewSessions.Session? {
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty, cookie.count <= 128 else { return nil }
        return try await sessions.find(cookie: cookie)
    }

    /// A page for a signed-in reviewer; anyone else is sent to the login page.
    func page(_ request: Request, _ context: AggregatorRequestContext,
              _ body: (ReviewSessions.Session) async throws -> Response) async throws -> Response {
        guard let session = try await session(request) else {
            let here = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return Self.redirect("/review/login?next=" + QueueFilters.encode(here))
        }
        do { return try await body(session) } catch { return failure(error, session: session, context: context) }
    }

    /// A POST from one of the pages: signed in, and carrying the session's CSRF token, or
    /// nothing happens.
    func form(_ request: Request, _ context: AggregatorRequestContext,
              _ body: (ReviewSessions.Session, FormData) async throws -> Response) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/review/login") }
        let form = FormData(Array(try await request.body.collect(upTo: Self.maxFormBytes).readableBytesView))
        guard ReviewSessions.csrfMatches(form["csrf"], session.csrf) else {
            context.logger.warning("review form refused: no valid CSRF token", metadata: ["path": "\(request.uri.path)", "reviewer": "\(session.reviewer)"])
            return Self.render(ReviewPageModels.Failure(
                title: "表单已失效", nav: nav(session), status: 403, heading: "表单已失效，未作任何修改",
                message: "这个表单没有带有效的校验码（CSRF token），可能来自旧页面或其他网站。请回到页面重新操作。",
                backHref: "/review", backLabel: "返回审核队列"), template: "failure", status: .forbidden)
        }
        do { return try await body(session, form) } catch { return failure(error, session: session, context: context) }
    }

    func flashAndRedirect(_ session: ReviewSessions.Session, _ flash: ReviewSessions.Flash, to location: String) async throws -> Response {
        try await sessions.setFlash(flash, for: session)
        return Self.redirect(location)
    }

    func nav(_ session: ReviewSessions.Session, queue: Bool = false, regions: Bool = false, report: Bool = false) -> ReviewPageModels.Nav {
        ReviewPageModels.Nav(reviewer: session.reviewer, csrf: session.csrf, queueActive: queue, regionsActive: regions, reportActive: report)
    }

    static func flash(_ session: ReviewSessions.Session) -> ReviewPageModels.Flash? {
        session.flash.map { ReviewPageModels.Flash(lines: $0.lines, isError: $0.isError) }
    }

    /// An error page for what a handler threw: the service's refusals with their status, anything
    /// else as 500 with the details in the log only.
    func failure(_ error: any Error, session: ReviewSessions.Session, context: AggregatorRequestContext) -> Response {
        let status: Int, message: String
        if let error = error as? ServiceError {
            status = error.statusCode
            message = ReviewText.refusal(error)
            if status >= 500 { context.logger.error("review page: \(error)") }
        } else {
            status = 500
            message = "服务器内部错误，详情见 esync-aggregator 的日志。"
            context.logger.error("review page: \(error)")
        }
        return Self.render(ReviewPageModels.Failure(title: "出错了", nav: nav(session), status: status, heading: status == 404 ? "找不到" : "无法完成",
                                                   message: message, backHref: "/review", backLabel: "返回审核队列"),
                           template: "failure", status: .init(code: status))
    }

    static func conflictID(_ context: AggregatorRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw ServiceError.notFound("conflict id must be a positive integer") }
        return id
    }

    // MARK: - Responses

    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in ReviewTemplates.all {
            do { try library.register(text, named: name) } catch { preconditionFailure("review template \(name) does not parse: \(error)") }
        }
        return library
    }()

    /// An HTML page: never cached, never framed, no scripts at all, forms only to this server.
    static func render(_ model: Any, template: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(model, withTemplate: template) ?? "missing template \(template)"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func cookie(_ name: String, _ value: String, path: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secureCookie, httpOnly: true, sameSite: .strict)
    }
}
