import CurlHTTP
import Foundation
import Testing

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
        let loginCookie = try #require(cookie("esync_login", in: page))
        let csrf = try #require(field("csrf", in: page.bodyString))
        return try post(base, "/review/login", ["name": name, "token": token, "csrf": csrf, "next": "/review"], cookie: "esync_login=" + loginCookie)
    }

    /// A signed-in reviewer: the session cookie header and the CSRF token of its forms.
    static func session(_ province: AggregatorProcess) throws -> (cookie: String, csrf: String) {
        try session(province.url, token: province.reviewerToken)
    }

    static func session(_ base: String, token: String) throws -> (cookie: String, csrf: String) {
        let response = try signIn(base, name: "wang", token: token)
        #expect(response.status == 303, "\(response.bodyString)")
        let setCookie = try #require(response.header("set-cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/review"))
        let header = "esync_session=" + (try #require(cookie("esync_session", in: response)))
        let queue = try get(base, "/review", cookie: header)
        #expect(queue.status == 200)
        return (header, try #require(field("csrf", in: queue.bodyString)))
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
