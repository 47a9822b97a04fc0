@testable import EndToEndSupport
import Foundation
import Testing

/// The test harness's own promises about the processes it starts: a child keeps none of the
/// test process's open descriptors (the `flock` of `/tmp/esync-swift.lock` that every build on
/// this machine waits for was held by a PostgreSQL server long after its test had ended).
@Suite struct PostgresClusterTests {
    /// What each descriptor of a process points at (`/proc/PID/fd`), but `/dev/null`.
    private func descriptors(of pid: String) throws -> Set<String> {
        let folder = "/proc/\(pid)/fd"
        return Set(try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0) })
            .subtracting(["/dev/null"])
    }

    @Test func aCommandTheTestsRunHoldsNoneOfTheTestsDescriptors() throws {
        let temporary = TemporaryFolder("e2e-descriptors")
        let folder = temporary.path
        // Open without close-on-exec, as the lock a build's flock passes down is.
        let path = folder + "/held-open"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let listed = try run("/bin/sh", ["-c", "ls -l /proc/$$/fd"], in: folder)
        #expect(listed.status == 0, "\(listed)")
        #expect(!listed.stdout.contains(path), "\(listed.stdout)")
    }

    @Test(.enabled(if: PostgresCluster.installed, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
    func theClustersServerSharesNoDescriptorWithTheTestProcess() throws {
        let cluster = try PostgresCluster.get()
        let pid = try String(contentsOfFile: cluster.folder + "/data/postmaster.pid", encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
        let server = try descriptors(of: pid)
        #expect(!server.isEmpty, "the postmaster \(pid) has descriptors")
        let shared = server.intersection(try descriptors(of: "self"))
        #expect(shared.isEmpty, "the postmaster holds what the test process holds: \(shared.sorted())")
    }
}
