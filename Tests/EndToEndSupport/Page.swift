import CurlHTTP
import Foundation

/// Requests as a browser sends them: form bodies and cookies, no redirects followed.
/// Each takes the province (its own URL) or a URL (a load balancer in front of several).
enum Page {
    static func request(_ province: AggregatorProcess, _ method: HTTPMethod, _ path: String, form: [String: String]? = nil,
                        cookie: String? = nil) throws -> HTTPResponse {
        try request(province.url, method, path, form: form, cookie: cookie)
    }

    static func request(_ base: String, _ method: HTTPMethod, _ path: String, form: [String: String]? = nil,
                        cookie: String? = nil) throws -> HTTPResponse {
        var headers: [(name: String, value: String)] = []
        if let cookie { headers.append(("Cookie", cookie)) }
        var body: [UInt8]?
        if let form {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(form.map { "\(encode($0.key))=\(encode($0.value))" }.joined(separator: "&").utf8)
        }
        return try CurlClient().perform(HTTPRequest(method: method, url: base + path, headers: headers, body: body))
    }

    static func get(_ province: AggregatorProcess, _ path: String, cookie: String? = nil) throws -> HTTPResponse {
        try request(province.url, .get, path, cookie: cookie)
    }

    static func get(_ base: String, _ path: String, cookie: String? = nil) throws -> HTTPResponse {
        try request(base, .get, path, cookie: cookie)
    }

    static func post(_ province: AggregatorProcess, _ path: String, _ form: [String: String], cookie: String? = nil) throws -> HTTPResponse {
        try request(province.url, .post, path, form: form, cookie: cookie)
    }

    static func post(_ base: String, _ path: String, _ form: [String: String], cookie: String? = nil) throws -> HTTPResponse {
        try request(base, .post, path, form: form, cookie: cookie)
    }

    /// Fills in the login form the page served (with its login cookie).
    static func signIn(_ province: AggregatorProcess, name: String, token: String) throws -> HTTPResponse {
        try signIn(province.url, name: name, token: token)
    }

    static func signIn(_ base: String, name: String, token: String) throws -> HTTPResponse {
        let page = try get(base, "/review/login")
        let loginCookie = try need(cookie("esync_login", in: page), "the login page sets no esync_login cookie")
        let csrf = try need(field("csrf", in: page.bodyString), "the login page has no csrf field")
        return try post(base, "/review/login", ["name": name, "token": token, "csrf": csrf, "next": "/review"], cookie: "esync_login=" + loginCookie)
    }

    /// A signed-in reviewer: the session cookie header and the CSRF token of its forms.
    static func session(_ province: AggregatorProcess) throws -> (cookie: String, csrf: String) {
        try session(province.url, token: province.reviewerToken)
    }

    static func session(_ base: String, token: String) throws -> (cookie: String, csrf: String) {
        let response = try signIn(base, name: "wang", token: token)
        guard response.status == 303 else { throw HarnessError("sign-in answered \(response.status): \(response.bodyString)") }
        let setCookie = try need(response.header("set-cookie"), "sign-in sets no cookie")
        guard setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/review") else {
            throw HarnessError("the session cookie lacks HttpOnly, SameSite=Strict or Path=/review: \(setCookie)")
        }
        let header = "esync_session=" + (try need(cookie("esync_session", in: response), "sign-in sets no esync_session cookie"))
        let queue = try get(base, "/review", cookie: header)
        guard queue.status == 200 else { throw HarnessError("the queue answered \(queue.status) after sign-in") }
        return (header, try need(field("csrf", in: queue.bodyString), "the queue has no csrf field"))
    }

    /// `value`, or a harness error saying what was missing. (EndToEndSupport is built with the
    /// products, so it cannot use Swift Testing's `#require`: a release build has no Testing.)
    static func need<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw HarnessError(what) }
        return value
    }

    static func cookie(_ name: String, in response: HTTPResponse) -> String? {
        guard let header = response.header("set-cookie"), let range = header.range(of: name + "=") else { return nil }
        return String(header[range.upperBound...].prefix { $0 != ";" && $0 != "," })
    }

    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }
}
