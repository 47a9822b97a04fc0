@testable import Agent
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
private final class NotifyReceiver {
    let fd: Int32
    /// What goes into NOTIFY_SOCKET: a path, or `@name` for the abstract namespace.
    let notifySocket: String
    private let directory: String?

    /// Binds in a fresh temp directory (`abstract == false`) or as `@esync-test-<random>`.
    init(abstract: Bool) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        self.fd = fd
        var bytes: [UInt8]
        if abstract {
            notifySocket = "@esync-test-\(UInt64.random(in: 0 ... .max))"
            bytes = Array(notifySocket.utf8)
            bytes[0] = 0
            directory = nil
        } else {
            var template = Array("/tmp/esync-notify-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            try #require(made != nil)
            let dir = String(cString: made!)
            directory = dir
            notifySocket = dir + "/notify"
            bytes = Array(notifySocket.utf8) + [0]
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(rc == 0, "bind \(notifySocket): \(String(cString: strerror(errno)))")
        // A missing datagram fails the test after 2 s instead of hanging it.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if let directory {
            unlink(directory + "/notify")
            rmdir(directory)
        }
    }

    /// The next datagram as text, or nil after the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Whether a datagram is waiting (without blocking).
    func hasPending() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK)) >= 0
    }
}

@Suite struct SystemdNotifierTests {
    @Test(arguments: [false, true])
    func sendsExactDatagrams(abstract: Bool) throws {
        let receiver = try NotifyReceiver(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        #expect(notifier.isEnabled)

        try notifier.ready()
        #expect(receiver.receive() == "READY=1")
        try notifier.status("syncing 410100:\n12 records\r\nsent")
        #expect(receiver.receive() == "STATUS=syncing 410100: 12 records sent")
        try notifier.watchdog()
        #expect(receiver.receive() == "WATCHDOG=1")
        try notifier.stopping()
        #expect(receiver.receive() == "STOPPING=1")
        try notifier.extendTimeout(seconds: 90)
        #expect(receiver.receive() == "EXTEND_TIMEOUT_USEC=90000000")
        try notifier.extendTimeout(seconds: 1.5e300)
        #expect(receiver.receive() == "EXTEND_TIMEOUT_USEC=9000000000000000000")
        try notifier.extendTimeout(seconds: -1)
        #expect(receiver.receive() == "EXTEND_TIMEOUT_USEC=0")
        try notifier.send(["STATUS": "ready", "READY": "1"])
        #expect(receiver.receive() == "READY=1\nSTATUS=ready")
        #expect(!receiver.hasPending())
    }

    @Test func reloadingCarriesMonotonicTimestamp() throws {
        let receiver = try NotifyReceiver(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        let before = SystemdNotifier.monotonicMicroseconds()
        try notifier.reloading()
        let after = SystemdNotifier.monotonicMicroseconds()
        let message = try #require(receiver.receive())
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(stamp >= before && stamp <= after)
    }

    @Test func disabledWithoutNotifySocket() throws {
        for environment in [[:], ["NOTIFY_SOCKET": ""]] as [[String: String]] {
            let notifier = SystemdNotifier(environment: environment)
            #expect(!notifier.isEnabled)
            #expect(notifier.socketPath == nil)
            try notifier.ready()
            try notifier.status("x")
            try notifier.watchdog()
            try notifier.reloading()
            try notifier.stopping()
            try notifier.send(["BAD=KEY": "1"])   // not even validated: nothing is sent
        }
    }

    @Test func sendErrorsAreTypedAndNameTheSocket() throws {
        let missing = "/tmp/esync-no-such-dir-\(UInt64.random(in: 0 ... .max))/notify"
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": missing])
        let error = try #require(throws: SystemdNotifier.Error.self) { try notifier.ready() }
        #expect(error.operation == "sendto")
        #expect(error.code == ENOENT)
        #expect(error.socketPath == missing)
        #expect(error.description.contains(missing))
        #expect(error.description.contains(String(cString: strerror(ENOENT))))

        // Nobody bound to this abstract name.
        let nobody = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@esync-test-nobody-\(UInt64.random(in: 0 ... .max))"])
        #expect(throws: SystemdNotifier.Error.self) { try nobody.watchdog() }

        let relative = SystemdNotifier(environment: ["NOTIFY_SOCKET": "run/notify"])
        let unsupported = try #require(throws: SystemdNotifier.Error.self) { try relative.ready() }
        #expect(unsupported.code == EAFNOSUPPORT)

        let long = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)])
        let tooLong = try #require(throws: SystemdNotifier.Error.self) { try long.ready() }
        #expect(tooLong.code == ENAMETOOLONG)
    }

    @Test func rejectsMalformedKeys() throws {
        let receiver = try NotifyReceiver(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        for key in ["", "A=B", "A\nB"] {
            let error = try #require(throws: SystemdNotifier.Error.self) { try notifier.send([key: "1"]) }
            #expect(error.code == EINVAL)
        }
        #expect(!receiver.hasPending())
    }

    @Test func watchdogInterval() {
        let me = String(getpid())
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000"]).watchdogInterval == .seconds(5))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": me]).watchdogInterval == .seconds(5))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "3"]).watchdogInterval == .microseconds(1))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": String(getpid() + 1)]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "self"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
        for garbage in ["", "0", "-5", "ten", "10s", " 100", "1e6", "99999999999999999999999"] {
            #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": garbage]).watchdogInterval == nil, "\(garbage)")
        }
    }
}
