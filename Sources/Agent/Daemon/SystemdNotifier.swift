#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The systemd notification protocol (`sd_notify(3)`), spoken directly to `$NOTIFY_SOCKET`
/// without linking libsystemd.
///
/// systemd passes the address of a datagram socket in `NOTIFY_SOCKET`: either a filesystem path
/// (`/run/systemd/notify`) or, with a leading `@`, a name in the Linux abstract namespace. Each
/// notification is one datagram of `KEY=VALUE` lines separated by `\n`.
///
/// When `NOTIFY_SOCKET` is unset or empty (run by hand, or from a unit that is not `Type=notify`)
/// ``isEnabled`` is false and every send is a no-op that opens nothing.
///
/// A socket is opened per message, so the value is freely shareable between threads and tasks.
/// Sends fail with ``SystemdNotifier/Error``: callers log it and go on, a lost notification must
/// never stop the daemon.
public struct SystemdNotifier: Sendable {
    /// A notification that could not be sent.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// The step that failed: `socket`, `sendto`, `address` or `message`.
        public var operation: String
        /// The `errno` value of the failure.
        public var code: Int32
        /// `strerror(code)`.
        public var message: String
        /// `$NOTIFY_SOCKET` as given (`@name` for an abstract socket).
        public var socketPath: String

        public init(operation: String, code: Int32, socketPath: String) {
            self.operation = operation
            self.code = code
            self.message = String(cString: strerror(code))
            self.socketPath = socketPath
        }

        public var description: String {
            "systemd notification to \(socketPath) failed (\(operation)): \(message)"
        }
    }

    /// `$NOTIFY_SOCKET`, or nil when it is unset or empty.
    public let socketPath: String?
    private let watchdogUsec: String?
    private let watchdogPID: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let socket = environment["NOTIFY_SOCKET"] ?? ""
        self.socketPath = socket.isEmpty ? nil : socket
        self.watchdogUsec = environment["WATCHDOG_USEC"]
        self.watchdogPID = environment["WATCHDOG_PID"]
    }

    /// Whether systemd listens: false when `NOTIFY_SOCKET` is unset or empty.
    public var isEnabled: Bool { socketPath != nil }

    /// The period at which `WATCHDOG=1` must be sent: half of `$WATCHDOG_USEC`, as `sd_watchdog_enabled(3)`
    /// recommends. nil when the watchdog is off: `WATCHDOG_USEC` unset, invalid or 0, or
    /// `WATCHDOG_PID` set to another process (the variables were inherited from a parent).
    public var watchdogInterval: Duration? {
        guard let text = watchdogUsec, let usec = UInt64(text), usec > 0 else { return nil }
        if let pidText = watchdogPID {
            guard let pid = pid_t(pidText), pid == getpid() else { return nil }
        }
        return .microseconds(Int64(clamping: usec / 2))
    }

    // MARK: Messages

    /// Sends the assignments as one datagram, `KEY=VALUE` lines in key order. Newlines in values
    /// become spaces (a newline would start another assignment); a key that is empty or contains
    /// `=` or a newline is rejected with `EINVAL`.
    public func send(_ assignments: [String: String]) throws(Error) {
        try send(lines: assignments.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// `READY=1`: start-up finished (`Type=notify`), or a reload finished (`Type=notify-reload`).
    public func ready() throws(Error) {
        try send(lines: [("READY", "1")])
    }

    /// `STATUS=…`: a one-line status shown by `systemctl status`. Newlines become spaces.
    public func status(_ text: String) throws(Error) {
        try send(lines: [("STATUS", text)])
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() throws(Error) {
        try send(lines: [("STOPPING", "1")])
    }

    /// `WATCHDOG=1`: keep-alive, due every ``watchdogInterval``.
    public func watchdog() throws(Error) {
        try send(lines: [("WATCHDOG", "1")])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (now, `CLOCK_MONOTONIC`), which `Type=notify-reload`
    /// requires; send ``ready()`` when the reload is done.
    public func reloading() throws(Error) {
        try send(lines: [("RELOADING", "1"), ("MONOTONIC_USEC", String(Self.monotonicMicroseconds()))])
    }

    /// `EXTEND_TIMEOUT_USEC=…`: asks for that much more time for the current start-up, reload or
    /// shutdown step (negative values and NaN count as 0; huge ones are clamped).
    public func extendTimeout(seconds: Double) throws(Error) {
        let usec = seconds.isNaN ? 0 : UInt64(min(max(0, seconds * 1_000_000), 9e18).rounded())
        try send(lines: [("EXTEND_TIMEOUT_USEC", String(usec))])
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    // MARK: Wire

    private func send(lines: [(String, String)]) throws(Error) {
        guard let socketPath else { return }
        var text: [String] = []
        for (key, value) in lines {
            if key.isEmpty || key.contains("=") || key.contains(where: \.isNewline) {
                throw Error(operation: "message", code: EINVAL, socketPath: socketPath)
            }
            let flat = String(value.map { $0.isNewline ? " " : $0 })
            text.append("\(key)=\(flat)")
        }
        try Self.sendDatagram(Array(text.joined(separator: "\n").utf8), to: socketPath)
    }

    /// One `sendto` on a fresh `AF_UNIX` datagram socket.
    private static func sendDatagram(_ payload: [UInt8], to socketPath: String) throws(Error) {
        // sockaddr_un: the path is NUL-terminated; an abstract name (`@name`) starts with a NUL
        // byte instead of the `@`, is not terminated, and its length is exactly what is passed.
        var pathBytes = Array(socketPath.utf8)
        let abstract: Bool
        switch pathBytes.first {
        case UInt8(ascii: "/"): abstract = false
        case UInt8(ascii: "@"): abstract = true; pathBytes[0] = 0
        default: throw Error(operation: "address", code: EAFNOSUPPORT, socketPath: socketPath)
        }
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let used = abstract ? pathBytes.count : pathBytes.count + 1
        guard used <= capacity, abstract || !pathBytes.contains(0) else {
            throw Error(operation: "address", code: ENAMETOOLONG, socketPath: socketPath)
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(pathOffset + used)

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Error(operation: "socket", code: errno, socketPath: socketPath) }
        defer { close(fd) }
        // A wedged receiver must not block the daemon forever.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        while true {
            let sent = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                        sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
                    }
                }
            }
            if sent >= 0 { return }
            let code = errno
            if code == EINTR { continue }
            throw Error(operation: "sendto", code: code, socketPath: socketPath)
        }
    }
}
