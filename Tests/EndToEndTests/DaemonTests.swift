#if canImport(Glibc)
import Glibc
#endif
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// A systemd-style notify socket: the datagrams `esync-agent run` sends to $NOTIFY_SOCKET.
final class NotifyListener {
    let path: String
    let fd: Int32
    private(set) var messages: [String] = []

    init(folder: String) throws {
        path = folder + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind \(path): \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Reads datagrams until one satisfies `predicate` or `seconds` pass.
    @discardableResult
    func wait(seconds: Double, for predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let message = String(decoding: buffer[..<n], as: UTF8.self)
            messages.append(message)
            if predicate(message) { return message }
        }
        return nil
    }
}

@Suite(.serialized) struct DaemonTests {
    func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    @Test func theDaemonSyncsByItselfSurvivesAnOutageAndStopsCleanly() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "daemon")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(5, seed: 30)
        let notify = try NotifyListener(folder: zz.folder)

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Binaries.agent)
        daemon.arguments = ["run", "--config", zz.configPath]
        daemon.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ESYNC_") }.merging([
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000",
            "ESYNC_SYNC_INTERVAL_SECONDS": "1", "ESYNC_SYNC_JITTER_SECONDS": "0", "ESYNC_SYNC_MAX_BACKOFF_SECONDS": "1",
        ]) { $1 }
        _ = FileManager.default.createFile(atPath: zz.folder + "/daemon.log", contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: zz.folder + "/daemon.log"))
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }
        let log = { (try? String(contentsOfFile: zz.folder + "/daemon.log", encoding: .utf8)) ?? "" }

        #expect(notify.wait(seconds: 15) { $0.contains("READY=1") } != nil, "\(log())")
        // The first sync at start sends the store's records, and says so in STATUS.
        #expect(notify.wait(seconds: 15) { $0.contains("STATUS=last sync") && $0.contains("ok") && $0.contains("5 records sent") } != nil, "\(notify.messages)")
        for uscc in codes { #expect(try province.record(uscc).revision == 1) }
        #expect(notify.messages.filter { $0.contains("WATCHDOG=1") }.count >= 1)

        // An edit reaches the province by itself.
        try zz.edit(codes[0], ["employees": 4321])
        #expect(waitUntil(15) { try province.record(codes[0]).document["employees"] == 4321 }, "\(log())")

        // The province goes down: the daemon reports it and keeps trying; it comes back: healed.
        province.stop()
        try zz.edit(codes[1], ["employees": 1234])
        #expect(notify.wait(seconds: 15) { $0.contains("FAILED") } != nil, "\(notify.messages.suffix(3))")
        try province.restart()
        #expect(waitUntil(20) { try province.record(codes[1]).document["employees"] == 1234 }, "\(log())")
        #expect(notify.messages.filter { $0.contains("WATCHDOG=1") }.count >= 3)

        // SIGHUP with a broken config: reported, the old one kept, the daemon goes on.
        let good = try String(contentsOfFile: zz.configPath, encoding: .utf8)
        try "region: [broken\n".write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        #expect(notify.wait(seconds: 10) { $0.contains("RELOADING=1") } != nil)
        #expect(waitUntil(10) { log().contains("the old configuration stays") }, "\(log())")
        try good.write(toFile: zz.configPath, atomically: true, encoding: .utf8)
        try zz.edit(codes[2], ["employees": 2222])
        #expect(waitUntil(15) { try province.record(codes[2]).document["employees"] == 2222 }, "\(log())")
        #expect(daemon.isRunning)

        // SIGTERM: STOPPING=1 and exit 0, promptly.
        kill(daemon.processIdentifier, SIGTERM)
        #expect(notify.wait(seconds: 10) { $0.contains("STOPPING=1") } != nil)
        #expect(waitUntil(10) { !daemon.isRunning })
        #expect(daemon.terminationStatus == 0, "\(log())")
        #expect(log().contains("stopped"))
    }
}
