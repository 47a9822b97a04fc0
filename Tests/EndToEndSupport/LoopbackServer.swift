import Foundation
import Glibc
import Synchronization

/// One request as the loopback server saw it on the wire.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// 0 for the first accepted TCP connection, 1 for the second, …
    var connection: Int

    /// First value of a header, case-insensitive.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headerCount(_ name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }
}

/// What the server does with a request.
enum Reply: Sendable {
    /// A normal keep-alive response with Content-Length.
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// No Content-Length: the body ends when the server closes the connection.
    case closeDelimited(status: Int, body: [UInt8])
    /// Read the request and never answer.
    case hang

    static func ok(_ text: String) -> Reply { .respond(status: 200, headers: [], body: Array(text.utf8)) }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (port chosen by the kernel), POSIX sockets, one thread for
/// accept and one per connection. Supports keep-alive with Content-Length bodies; records every
/// request and the connection it came on.
final class LoopbackServer: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var requests: [RecordedRequest] = []
        var connections = 0
        var openFDs: Set<Int32> = []
        var stopped = false
    }

    let port: UInt16
    private let listenFD: Int32
    private let handler: @Sendable (RecordedRequest) -> Reply
    private let state = Mutex(State())

    init(handler: @escaping @Sendable (RecordedRequest) -> Reply = { _ in .ok("ok") }) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw Failure(description: "bind/listen: errno \(errno)")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = UInt16(bigEndian: addr.sin_port)
        self.listenFD = fd
        self.handler = handler
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    var connectionCount: Int { state.withLock { $0.connections } }

    /// Wakes every blocked thread; each closes its own socket. The shutdowns happen under the
    /// lock the threads take to give up their descriptors: a descriptor already closed could be
    /// another connection's by now (the process reuses numbers at once).
    func stop() {
        state.withLock { state in
            if !state.stopped { shutdown(listenFD, Int32(SHUT_RDWR)) }
            state.stopped = true
            for fd in state.openFDs { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// A port on which nothing listens: bound by the kernel's choice, then closed without listen().
    static func closedPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        return ok ? UInt16(bigEndian: addr.sin_port) : 9
    }

    // MARK: - Threads

    private func acceptLoop() {
        defer {
            state.withLock { state in
                state.stopped = true
                close(listenFD)
            }
        }
        while true {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let id: Int? = state.withLock { state in
                if state.stopped { return nil }
                state.openFDs.insert(client)
                defer { state.connections += 1 }
                return state.connections
            }
            guard let id else {
                close(client)
                return
            }
            let thread = Thread { [self] in serve(client, connection: id) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        defer {
            state.withLock { _ = $0.openFDs.remove(fd) }
            close(fd)
        }
        var buffer: [UInt8] = []
        while true {
            guard let request = readRequest(fd, &buffer, connection: connection) else { return }
            state.withLock { $0.requests.append(request) }
            switch handler(request) {
            case let .respond(status, headers, body):
                var head = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\nContent-Length: \(body.count)\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                head += "\r\n"
                guard sendAll(fd, Array(head.utf8)), sendAll(fd, body) else { return }
            case let .closeDelimited(status, body):
                let head = "HTTP/1.1 \(status) OK\r\nConnection: close\r\n\r\n"
                _ = sendAll(fd, Array(head.utf8)) && sendAll(fd, body)
                return
            case .hang:
                while receive(fd, &buffer) {}
                return
            }
        }
    }

    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8], connection: Int) -> RecordedRequest? {
        var headEnd: Int?
        while true {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd != nil { break }
            guard receive(fd, &buffer) else { return nil }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst().split(separator: " ").map(String.init)
        guard requestLine.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd + 4
        while buffer.count < bodyStart + length {
            guard receive(fd, &buffer) else { return nil }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return RecordedRequest(
            method: requestLine[0], path: requestLine[1], headers: headers, body: body, connection: connection)
    }

    private func receive(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
