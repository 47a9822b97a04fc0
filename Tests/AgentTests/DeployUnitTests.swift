import Foundation
import Testing

/// The systemd units in Deploy/ keep their hardening: a later edit that drops a line fails here,
/// not on a bureau's machine. (Tests/Systemd/run.sh checks that they load and run under a real
/// systemd; this reads the files.)
@Suite struct DeployUnitTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy").path
    static let services = ["esync-agent.service", "esync-sync.service", "esync-aggregator.service", "esync-aggregator-backup.service"]

    /// `Deploy/install.sh` builds every product in release, where Swift Testing does not exist:
    /// a library target the products build with (EndToEndSupport is one, for the tests' sake)
    /// must not import it, or the install fails on the bureau's machine.
    @Test func theInstallsReleaseBuildNeedsNoTestLibrary() throws {
        let support = URL(fileURLWithPath: Self.deploy).deletingLastPathComponent().appendingPathComponent("Tests/EndToEndSupport").path
        let files = try FileManager.default.contentsOfDirectory(atPath: support).filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOfFile: support + "/" + file, encoding: .utf8)
            #expect(!text.contains("import Testing") && !text.contains("import XCTest"), "Tests/EndToEndSupport/\(file) imports a test library")
        }
        let install = try String(contentsOfFile: Self.deploy + "/install.sh", encoding: .utf8)
        #expect(install.contains("swift build -c release"))
    }

    /// What every unit sets, to these values: the service's own user, files private to it, no
    /// privileges to gain, the file system read-only but for its state, no kernel knobs, no
    /// writable-and-executable memory, only the address families and system calls a service
    /// needs.
    static let hardening: [String: String] = [
        "User": "esync", "Group": "esync",
        "StateDirectory": "esync", "StateDirectoryMode": "0750",
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
        "ProtectClock": "yes", "ProtectHostname": "yes", "RestrictNamespaces": "yes", "RestrictRealtime": "yes",
        "RestrictSUIDSGID": "yes", "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "SystemCallArchitectures": "native",
        "SystemCallFilter": "@system-service", "CapabilityBoundingSet": "", "ReadOnlyPaths": "/etc/esync",
    ]

    /// The `[Service]` section of a unit file: each key's last value (as systemd reads a key set
    /// twice), comments and blank lines left out.
    static func service(_ name: String) throws -> [String: String] {
        let text = try String(contentsOfFile: deploy + "/" + name, encoding: .utf8)
        var section = "", keys: [String: String] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") { section = line; continue }
            guard section == "[Service]", let eq = line.firstIndex(of: "=") else { continue }
            keys[String(line[..<eq]).trimmingCharacters(in: .whitespaces)] = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        }
        return keys
    }

    @Test(arguments: services) func everyServiceIsHardened(_ name: String) throws {
        let keys = try Self.service(name)
        for (key, value) in Self.hardening.sorted(by: { $0.key < $1.key }) {
            #expect(keys[key] == value, "\(name): \(key)=\(keys[key] ?? "(missing)"), expected \(key)=\(value)")
        }
        // Files the service makes (a database, a store, metrics) are never readable by others.
        #expect(["0077", "0027"].contains(keys["UMask"] ?? ""), "\(name): UMask=\(keys["UMask"] ?? "(missing)")")
    }

    /// The province's server faces every bureau: it also hides other processes, and has limits
    /// that keep a flood of connections or a runaway request from taking the machine with it.
    @Test func theAggregatorHidesProcessesAndHasLimits() throws {
        let keys = try Self.service("esync-aggregator.service")
        #expect(keys["ProtectProc"] == "invisible")
        #expect(keys["ProcSubset"] == "pid")
        for key in ["LimitNOFILE", "TasksMax"] {
            #expect(Int(keys[key] ?? "").map { $0 > 0 } == true, "\(key)=\(keys[key] ?? "(missing)")")
        }
        #expect(keys["MemoryMax"] != nil || keys["MemoryHigh"] != nil, "neither MemoryMax nor MemoryHigh")
    }
}
