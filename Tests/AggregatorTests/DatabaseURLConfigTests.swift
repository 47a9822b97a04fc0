@testable import Aggregator
import ConfigSupport
import EndToEndSupport
import Foundation
import Testing

/// `database.url` selects the register on PostgreSQL: its parts, TLS, and the password that must
/// never come from (or go into a message with) the URL.
@Suite struct DatabaseURLConfigTests {
    let temporary = TemporaryFolder("database-url")
    var folder: String { temporary.path }

    func load(_ yaml: String, environment: [String: String] = [:]) async throws -> AggregatorConfig {
        try yaml.write(toFile: folder + "/aggregator.yaml", atomically: true, encoding: .utf8)
        let values = try await ConfigValues.load(path: folder + "/aggregator.yaml", keys: AggregatorConfig.keys, environment: environment)
        return try AggregatorConfig.from(values)
    }

    @Test func aURLSelectsPostgreSQLAndThePasswordComesFromItsFile() async throws {
        try "s3cret\n".write(toFile: folder + "/pw", atomically: true, encoding: .utf8)
        let config = try await load("database: { url: \"postgresql://esync@db.example:6543/province\", passwordFile: pw, sslmode: require }\n")
        let settings = try #require(try config.postgresWithPassword())
        #expect(settings.host == "db.example" && settings.port == 6543 && settings.user == "esync" && settings.database == "province")
        #expect(settings.password == "s3cret" && settings.tls == .require)
        #expect(config.databaseLocation == "postgresql://esync@db.example:6543/province")
        #expect(config.postgres?.password == nil, "the password is read when the register is opened, not kept from the config")
        for shown in ["\(settings)", String(reflecting: settings), "\(Mirror(reflecting: settings).children.map(\.value))"] {
            #expect(!shown.contains("s3cret"), "\(shown)")
        }
    }

    @Test func theEnvironmentsURLOverridesThePath() async throws {
        let config = try await load("database: { path: province.sqlite }\n", environment: ["ESYNC_DATABASE_URL": "postgres://esync@127.0.0.1/p"])
        #expect(config.postgres?.port == 5432 && config.postgres?.database == "p")
        #expect(config.databasePath.isEmpty)
    }

    @Test func aURLWithAPasswordIsRefusedWithoutRepeatingIt() async throws {
        do {
            _ = try await load("database: { url: \"postgresql://esync:hunter2@db.example/province\" }\n")
            Issue.record("a URL with a password was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("database.passwordFile") && message.contains("aggregator.yaml:1"), "\(message)")
            #expect(!message.contains("hunter2"), "\(message)")
        }
    }

    @Test func sslmodeIsOneOfThreeAndTheRootCertGoesWithVerifyFull() async throws {
        await #expect(throws: ConfigError.self) { try await load("database: { url: \"postgresql://u@h/d\", sslmode: prefer }\n") }
        await #expect(throws: ConfigError.self) { try await load("database: { url: \"postgresql://u@h/d\", sslRootCert: ca.pem }\n") }
        await #expect(throws: ConfigError.self) { try await load("database: { path: p.sqlite, passwordFile: pw }\n") }
        let config = try await load("database: { url: \"postgresql://u@h/d\", sslmode: verify-full, sslRootCert: ca.pem }\n")
        #expect(config.postgres?.tls == .verifyFull(rootCertificate: folder + "/ca.pem"))
    }

    @Test func aURLMayNameAPrimaryAndItsStandbys() async throws {
        let config = try await load("database: { url: \"postgresql://esync@db1.example:6543,db2.example,[fd00::2]:5433/province\", statementTimeoutSeconds: 15 }\n")
        let settings = try #require(config.postgres)
        #expect(settings.hosts == [.init(host: "db1.example", port: 6543), .init(host: "db2.example", port: 5432), .init(host: "fd00::2", port: 5433)])
        #expect(settings.location == "postgresql://esync@db1.example:6543,db2.example:5432,[fd00::2]:5433/province")
        #expect(settings.statementTimeout == .seconds(15))
        #expect(try await load("database: { url: \"postgresql://u@h/d\" }\n").postgres?.statementTimeout == .seconds(60))
        for bad in ["postgresql://u@h1,/d", "postgresql://u@h1:0/d", "postgresql://u@h1:x/d", "postgresql://u@[::1/d", "postgresql://h/d", "postgresql://u@h:+5432/d", "postgresql://u@h/d#x", "postgresql://u@h/my db"] {
            await #expect(throws: ConfigError.self, "\(bad)") { try await load("database: { url: \"\(bad)\" }\n") }
        }
        await #expect(throws: ConfigError.self) { try await load("database: { url: \"postgresql://u@h/d\", statementTimeoutSeconds: 0 }\n") }
    }
}
