import Foundation
import Hummingbird
import Logging
import NIOCore

/// Signing in with the reviewer's name and token (`esync-aggregator token add --reviewer NAME`),
/// and out. Before there is a session, the login form is protected by a double-submit token:
/// a random value in a SameSite cookie that must come back in the form.
extension ReviewPages {
    func loginPage(_ request: Request) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters.get("next"))
        if try await session(request) != nil { return Self.redirect(next) }
        var flash: ReviewPageModels.Flash?
        if request.uri.queryParameters.get("bye") != nil {
            flash = .init(lines: ["已退出登录。"], isError: false)
        } else if request.uri.queryParameters.get("next") != nil {
            flash = .init(lines: ["请先登录。（未登录或登录已过期）"], isError: false)
        }
        return loginForm(next: next, name: "", flash: flash, status: .ok)
    }

    func loginForm(next: String, name: String, flash: ReviewPageModels.Flash?, status: HTTPResponse.Status) -> Response {
        let token = ReviewSessions.randomToken()
        var response = Self.render(ReviewPageModels.Login(flash: flash, csrf: token, next: next, name: name), template: "login", status: status)
        response.setCookie(cookie(Self.loginCookie, token, path: "/review/login", maxAge: 3600))
        return response
    }

    func login(_ request: Request, _ context: AggregatorRequestContext) async throws -> Response {
        let form = FormData(Array(try await request.body.collect(upTo: Self.maxFormBytes).readableBytesView))
        let next = Self.safeNext(form["next"])
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let expected = request.cookies[Self.loginCookie]?.value, ReviewSessions.csrfMatches(form["csrf"], expected) else {
            return loginForm(next: next, name: name, flash: .init(lines: ["登录表单已失效，请重新输入。（CSRF token missing or wrong）"], isError: true),
                             status: .forbidden)
        }
        let address = ClientAddress.of(request, context, trustedProxies: trustedProxies)
        let wait = await throttle.wait(for: address)
        if wait > 0 {
            return loginForm(next: next, name: name, flash: .init(lines: ["失败次数过多，请 \(wait) 秒后再试。"], isError: true), status: .tooManyRequests)
        }
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let principal = token.isEmpty || token.count > 256 ? nil : try await tokens.authenticate(token)
        guard let principal, principal.role == .reviewer, principal.name == name else {
            await throttle.failed(address)
            try? await Task.sleep(for: throttle.failurePause)
            let bureau = principal?.role == .bureau
            context.logger.notice("review login refused", metadata: ["name": "\(name)", "address": "\(address)", "bureauToken": "\(bureau)"])
            let message = bureau
                ? "区局令牌不能登录审核页面：审核页面只对省厅审核员开放，区局令牌只用于 esync-agent。（a bureau token cannot sign in to review）"
                : "姓名或令牌不正确。（unknown name or token）"
            return loginForm(next: next, name: name, flash: .init(lines: [message], isError: true), status: bureau ? .forbidden : .unauthorized)
        }
        await throttle.succeeded(address)
        let (cookieValue, session) = try await sessions.start(reviewer: principal.name, token: token, address: address)
        try await sessions.setFlash(.init(["欢迎，\(principal.name)。"]), for: session)
        context.logger.info("reviewer signed in", metadata: ["reviewer": "\(principal.name)", "address": "\(address)"])
        var response = Self.redirect(next)
        response.setCookie(cookie(Self.sessionCookie, cookieValue, path: "/review"))
        response.setCookie(cookie(Self.loginCookie, "", path: "/review/login", maxAge: 0))
        return response
    }

    func logout(_ session: ReviewSessions.Session) async throws -> Response {
        try await sessions.end(session)
        var response = Self.redirect("/review/login?bye=1")
        response.setCookie(cookie(Self.sessionCookie, "", path: "/review", maxAge: 0))
        return response
    }

    /// Where to go after signing in: a review page, never another site (`//host`, `/\host`).
    static func safeNext(_ next: String?) -> String {
        guard let next, next == "/review" || next.hasPrefix("/review/") || next.hasPrefix("/review?"),
              !next.contains("//"), !next.contains("\\"), !next.hasPrefix("/review/login"), next.count <= 2000,
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return "/review" }
        return next
    }
}
