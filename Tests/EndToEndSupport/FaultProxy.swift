#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A TCP proxy on loopback between an agent and the aggregator that misbehaves on request:
/// it refuses connections, delays, cuts an answer short, or lets the request through and then
/// loses the answer (the server has committed; the agent never hears of it).
final class FaultProxy: @unchecked Sendable {
    enum Fault: String, CaseIterable, Sendable {
        case none
        /// The connection is reset as soon as it is accepted.
        case reset
        /// Every chunk in either direction waits 300 ms.
        case delay
        /// The answer stops halfway and the connection closes.
        case truncate
        /// The request reaches the server, which answers; the answer is thrown away.
        case loseAnswer
    }

    let port: Int
    private let listener: Int32
    private let target: Int
    private let lock = NSLock()
    private var _fault = Fault.none
    private var _injected = 0
    var fault: Fault {
        get { lock.withLock { _fault } }
        set { lock.withLock { _fault = newValue } }
    }
    /// Connections that met a fault.
    var injected: Int { lock.withLock { _injected } }
    private var _silent = false
    /// While set, whatever arrives on any connection, open or new, is read and dropped: a peer
    /// that stopped answering without closing anything (a hung server, a lost network).
    var silent: Bool {
        get { lock.withLock { _silent } }
        set { lock.withLock { _silent = newValue } }
    }

    init(targetPort: Int) throws {
        target = targetPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw HarnessError("proxy: cannot listen: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            let fault = self.fault
            if fault != .none { lock.withLock { _injected += 1 } }
            if fault == .reset {
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(client)
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(target).bigEndian
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard connected == 0 else { close(client); close(server); continue }
            let pair = SocketPair(client: client, server: server)
            Thread.detachNewThread { [self] in
                pump(from: client, to: server, fault: fault == .delay ? .delay : .none, onDone: { shutdown(server, Int32(SHUT_WR)) })
                pair.pumpEnded()
            }
            Thread.detachNewThread { [self] in
                pump(from: server, to: client, fault: fault, onDone: pair.cut)
                pair.pumpEnded()
            }
        }
    }

    /// A proxied connection's two sockets, closed once both pumps have ended, never before: a
    /// descriptor closed while the other pump still reads or writes it could meanwhile be
    /// another connection's (a PostgreSQL answer read away from PostgresNIO's socket, an
    /// answer that then never came), since the process reuses descriptor numbers at once.
    private final class SocketPair: @unchecked Sendable {
        let client: Int32
        let server: Int32
        private let lock = NSLock()
        private var running = 2

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }

        /// Ends the connection both ways (both are still open): the other pump's read returns.
        func cut() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(server, Int32(SHUT_RDWR))
        }

        func pumpEnded() {
            let last = lock.withLock {
                running -= 1
                return running == 0
            }
            guard last else { return }
            close(client)
            close(server)
        }
    }

    private func pump(from source: Int32, to sink: Int32, fault: Fault, onDone: () -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var forwarded = 0
        while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            if silent { continue }
            switch fault {
            case .delay: usleep(300_000)
            case .loseAnswer:
                // The server has answered: the agent never sees it.
                usleep(100_000)
                onDone()
                return
            case .truncate where forwarded > 0 || n > 64:
                _ = send(sink, buffer, max(1, n / 2), Int32(MSG_NOSIGNAL))
                onDone()
                return
            default: break
            }
            var offset = 0
            while offset < n {
                // send with MSG_NOSIGNAL, not write: a peer that has closed (an agent killed
                // mid-push) would raise SIGPIPE, which kills the whole test process.
                let w = buffer.withUnsafeBytes { send(sink, $0.baseAddress! + offset, n - offset, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { onDone(); return }
                offset += w
            }
            forwarded += n
        }
        onDone()
    }
}
