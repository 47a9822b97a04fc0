@testable import Aggregator
import Foundation
import Hummingbird
import HummingbirdTesting

/// The province's API router in process (Hummingbird's test framework, no socket), called from
/// the agent's blocking threads: each request is handed to a task and waited for, the way
/// libcurl would block the thread on a socket.
final class RouterClient: Sendable {
    let client: any TestClientProtocol

    init(_ client: any TestClientProtocol) { self.client = client }

    /// One request; never call it from Swift's cooperative pool (it blocks until the task ends).
    func perform(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8]?) throws
        -> (status: Int, headers: [String: String], body: [UInt8]) {
        guard let method = HTTPRequest.Method(method) else { throw RouterClientError(message: "method \(method)") }
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let name = HTTPFields.Element.Name(name) else { throw RouterClientError(message: "header \(name)") }
            fields.append(HTTPFields.Element(name: name, value: value))
        }
        let request = (method: method, path: path, fields: fields, body: body.map { ByteBuffer(bytes: $0) })
        let answer = Answer()
        let client = self.client
        Task {
            do {
                let response = try await client.executeRequest(uri: request.path, method: request.method, headers: request.fields, body: request.body)
                var headers: [String: String] = [:]
                for field in response.headers { headers[field.name.canonicalName] = field.value }
                answer.set(.success((Int(response.status.code), headers, response.body.getBytes(at: response.body.readerIndex, length: response.body.readableBytes) ?? [])))
            } catch {
                answer.set(.failure(RouterClientError(message: "\(error)")))
            }
        }
        return try answer.wait().get()
    }

    /// A result handed from a task to the waiting thread.
    private final class Answer: @unchecked Sendable {
        private var result: Result<(status: Int, headers: [String: String], body: [UInt8]), RouterClientError>?
        private let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()

        func set(_ result: Result<(status: Int, headers: [String: String], body: [UInt8]), RouterClientError>) {
            lock.withLock { self.result = result }
            done.signal()
        }

        func wait() -> Result<(status: Int, headers: [String: String], body: [UInt8]), RouterClientError> {
            done.wait()
            return lock.withLock { result! }
        }
    }
}

struct RouterClientError: Error, CustomStringConvertible {
    var message: String
    var description: String { "in-process router: \(message)" }
}

/// Runs `body` with the router of `server` in process, on a thread of its own (the agent blocks).
func withRouter<T: Sendable>(_ server: AggregatorServer, _ body: @escaping @Sendable (RouterClient) throws -> T) async throws -> T {
    let app = Application(router: server.makeRouter())
    let box = ResultBox<T>()
    try await app.test(.router) { client in
        let router = RouterClient(client)
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try body(router)) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        box.value = value
    }
    return box.value!
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    var value: T?
}
