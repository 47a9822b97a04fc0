@testable import Aggregator
@testable import EndToEndSupport
import Foundation
import Testing

/// How the PostgreSQL register reaches its server: a server that stops answering fails the
/// statement within `database.statementTimeout` as unavailable (503), instead of holding a
/// request (or a whole test run) for ever; with several hosts, every connection goes to the
/// first that answers and takes writes.
@Suite struct PostgresConnectionTests {
    static let needsCluster: Comment = "needs PostgreSQL's server binaries (apt-get install postgresql-15)"

    @Test(.enabled(if: PostgresCluster.installed, needsCluster))
    func aServerThatStopsAnsweringFailsTheStatementAndTheNextConnectionWorks() async throws {
        let cluster = try PostgresCluster.get()
        var settings = try PostgresSettings(url: try cluster.createDatabase("statement-timeout"))
        let proxy = try FaultProxy(targetPort: cluster.port)
        settings.hosts = [.init(host: "127.0.0.1", port: proxy.port)]
        settings.statementTimeout = .seconds(1)
        let register = try await ProvinceDatabase.open(postgres: settings)
        let identity = try await register.read { try $0.registerIdentity() }

        proxy.silent = true
        let started = ContinuousClock.now
        do {
            _ = try await register.read { try $0.registerIdentity() }
            Issue.record("a read through a silent connection returned")
        } catch let error as PostgresRegisterError {
            #expect(error.unavailable, "\(error)")
            #expect("\(error)".contains("database.statementTimeout"), "\(error)")
        }
        // Not sooner than the deadline (how much later depends on how busy the machine is).
        #expect(ContinuousClock.now - started >= .seconds(1))

        // The session that timed out was closed and is not used again; a new one works.
        proxy.silent = false
        #expect(try await register.read { try $0.registerIdentity() } == identity)
        await register.close()
    }

    @Test(.enabled(if: PostgresCluster.installed, needsCluster))
    func severalHostsConnectToTheFirstThatAnswers() async throws {
        let cluster = try PostgresCluster.get()
        let url = try cluster.createDatabase("several-hosts")
        // A port nobody listens on (a primary that is down), then the cluster.
        let closed = try FaultProxy(targetPort: cluster.port)
        closed.fault = .reset
        var settings = try PostgresSettings(url: url)
        settings.hosts = [.init(host: "127.0.0.1", port: closed.port), .init(host: "127.0.0.1", port: cluster.port)]
        let register = try await ProvinceDatabase.open(postgres: settings)
        #expect(try await register.appliedMigrations() == register.knownMigrations)
        await register.close()

        // None answers: the error names each server and is "unavailable".
        settings.hosts = [.init(host: "127.0.0.1", port: closed.port), .init(host: "127.0.0.1", port: closed.port)]
        do {
            _ = try await ProvinceDatabase.open(postgres: settings, schema: .asFound)
            Issue.record("a register with no server answering opened")
        } catch let error as PostgresRegisterError {
            #expect(error.unavailable, "\(error)")
            // Each server with why it would not do (the URL names both too, followed by , and /).
            #expect("\(error)".components(separatedBy: "127.0.0.1:\(closed.port): ").count == 3, "\(error)")
        }
    }
}
