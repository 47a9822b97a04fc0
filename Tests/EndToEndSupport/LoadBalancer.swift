#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// nginx from Debian in front of aggregator instances on loopback, round robin, as a province
/// runs several: `http://127.0.0.1:PORT` reaches them in turn. A request that an instance could
/// not answer (it was killed) is not sent to another one, since a push is not idempotent to
/// nginx: the agent sees a 502 and sends its change set again, as it would in the field.
final class LoadBalancer: @unchecked Sendable {
    static let nginx = "/usr/sbin/nginx"
    let folder: String
    let url: String
    private let process = Process()

    init(upstreams: [String], folder parent: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.nginx) else {
            throw HarnessError("\(Self.nginx) is not installed (Debian package nginx; .ci/run installs it)")
        }
        folder = parent + "/nginx"
        try FileManager.default.createDirectory(atPath: folder + "/temp", withIntermediateDirectories: true)
        let port = try Self.freePort()
        url = "http://127.0.0.1:\(port)"
        let servers = upstreams.map { "server \($0.replacingOccurrences(of: "http://", with: "")) max_fails=0;" }.joined(separator: " ")
        try """
            daemon off;
            master_process on;
            worker_processes 1;
            user root;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log warn;
            events { worker_connections 256; }
            http {
                log_format upstream '$request $status $upstream_addr';
                access_log \(folder)/access.log upstream;
                client_body_temp_path \(folder)/temp/body;
                proxy_temp_path \(folder)/temp/proxy;
                fastcgi_temp_path \(folder)/temp/fastcgi;
                uwsgi_temp_path \(folder)/temp/uwsgi;
                scgi_temp_path \(folder)/temp/scgi;
                upstream esync { \(servers) }
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size 64m;
                    location / {
                        proxy_pass http://esync;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_read_timeout 120s;
                    }
                }
            }
            """.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.nginx)
        process.arguments = ["-p", folder, "-c", folder + "/nginx.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/error.log").creatingFile())
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if Self.accepts(port) { return }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        throw HarnessError("nginx did not start: \((try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? "")")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// The requests nginx passed on, as `METHOD PATH HTTP/1.1 STATUS UPSTREAM` lines.
    func accessLog() -> [String] {
        ((try? String(contentsOfFile: folder + "/access.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HarnessError("no free port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

extension URL {
    /// The file at this URL, made empty if it is not there.
    fileprivate func creatingFile() -> URL {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        return self
    }
}

/// What several threads produce, each at an index of its own (`DispatchQueue.concurrentPerform`),
/// read once they are done.
final class Collected<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element]
    init(_ initial: [Element]) { storage = initial }
    func set(_ index: Int, _ element: Element) { lock.withLock { storage[index] = element } }
    var values: [Element] { lock.withLock { storage } }
}
