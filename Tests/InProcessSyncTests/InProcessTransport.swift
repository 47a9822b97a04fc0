import Agent
import CurlHTTP

/// The agent's `ProvinceClient` over the in-process router instead of libcurl: the same
/// requests, headers and answer checks, without a socket (the body is sent as is, not gzipped).
final class InProcessTransport: ProvinceTransport, Sendable {
    static let baseURL = "http://province.in-process"
    let router: RouterClient

    init(_ router: RouterClient) { self.router = router }

    func perform(_ request: HTTPRequest) throws(CurlError) -> HTTPResponse {
        let path = String(request.url.dropFirst(Self.baseURL.count))
        do {
            let answer = try router.perform(method: request.method.rawValue, path: path, headers: request.headers, body: request.body)
            return HTTPResponse(status: answer.status, headers: answer.headers, body: answer.body)
        } catch {
            throw .transport(code: 7, message: "\(error)", url: request.url)
        }
    }
}
