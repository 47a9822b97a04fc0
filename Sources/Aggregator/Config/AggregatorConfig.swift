import ConfigSupport
import Foundation
import SyncCore

/// The aggregator's configuration: a YAML file, every key overridable by an environment
/// variable (`listen.port` → `ESYNC_LISTEN_PORT`). Relative paths are relative to the file.
public struct AggregatorConfig: Sendable, Equatable {
    public var configPath: String
    public var host = "127.0.0.1"
    public var port = 8080
    /// Addresses of the reverse proxies in front of the aggregator: only from these is
    /// `X-Forwarded-For` believed (see `ClientAddress`).
    public var trustedProxies: Set<String> = []
    /// The SQLite file of the register (`database.path`); empty when `postgres` is set.
    public var databasePath: String
    /// Where `databasePath` came from (the file's line, or `ESYNC_DATABASE_PATH`), for a
    /// message about a register that is not there.
    public var databasePathOrigin = ""
    /// The register on PostgreSQL (`database.url`, or `ESYNC_DATABASE_URL`, with
    /// `database.passwordFile`, `database.sslmode` and `database.sslRootCert`); nil: the SQLite
    /// file at `databasePath`.
    public var postgres: PostgresSettings?
    /// `database.passwordFile`: read when the register is opened (`postgresWithPassword`).
    public var databasePasswordFile: String?
    var databasePasswordFileOrigin = ""

    /// Where the register is, for messages: the SQLite file, or the database's URL without a
    /// password.
    public var databaseLocation: String { postgres?.location ?? databasePath }
    /// Largest request body, after gzip or zstd decompression.
    public var maxBodyBytes = 33_554_432
    public var maxRecordsPerChangeSet = 5_000
    public var maxPageSize = 5_000
    /// A connection with nothing sent or answered for this long is closed: one that never
    /// finishes its TLS handshake or its request head, or sits idle between requests.
    public var idleTimeoutSeconds = 30
    /// The longest a request body may take to arrive, however steadily it trickles (408).
    public var bodyTimeoutSeconds = 300
    /// Connections served at once; more wait in the listen backlog until one closes.
    public var maxConnections = 1_000
    /// The mass-change guard: a change set that changes or deletes more than this share of its
    /// region's records (and at least `guardMinChanges` of them) is held whole for approval.
    public var guardShare = 0.25
    public var guardMinChanges = 50
    /// The field policy file; nil: the built-in default (the same as Config/policy.yaml).
    public var policyPath: String?
    /// The review pages: a reviewer's session ends after this long without a request …
    public var reviewSessionIdleMinutes = 480
    /// … or this long after signing in, whichever comes first.
    public var reviewSessionMaxHours = 24
    /// Mark the review pages' cookies Secure: set when a TLS proxy serves them.
    public var reviewSecureCookie = false
    /// A region with no push or pull for this long is marked stale on /review/regions.
    public var reviewStaleAfterHours = 24.0
    /// The progress report's yearly targets and their split over the regions.
    public var report = ReportTargets()
    /// HTTPS instead of plain HTTP, and client certificates; nil: plain HTTP (loopback, tests,
    /// or behind a TLS proxy).
    public var tls: TLSFiles?
    /// `cli.by`: the name the command line records its edits, decisions and key registrations
    /// under when `--by` is not given. There is no fallback to the Unix login: under sudo or
    /// systemd that is `root` or the service's user, which names no person.
    public var cliBy: String?

    /// The PEM files of `tls.*`, as absolute paths. They are read when `serve` starts.
    public struct TLSFiles: Sendable, Equatable {
        /// `tls.cert`: the server's certificate chain, leaf first.
        public var certPath: String
        /// `tls.key`: the server certificate's private key (unencrypted).
        public var keyPath: String
        /// `tls.clientCA`: the CA that issues the bureaus' client certificates. When set, the
        /// server asks every client for a certificate (without requiring one, so bearer tokens
        /// still work) and refuses a connection whose certificate that CA did not sign.
        public var clientCAPath: String?
    }

    public static let defaultPath = "/etc/esync/aggregator.yaml"
    public static let pathVariable = "ESYNC_AGGREGATOR_CONFIG"

    public init(configPath: String, databasePath: String) {
        self.configPath = configPath
        self.databasePath = databasePath
    }

    public static func resolvePath(_ explicit: String?) -> String {
        explicit ?? ProcessInfo.processInfo.environment[pathVariable] ?? defaultPath
    }

    public static func load(path: String) async throws -> AggregatorConfig {
        let absolutePath = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard FileManager.default.fileExists(atPath: absolutePath) else {
            throw ConfigError("\(absolutePath) does not exist (give --config FILE or set \(pathVariable))")
        }
        let values: ConfigValues
        do { values = try await ConfigValues.load(path: absolutePath, keys: keys) } catch { throw ConfigError(error.description) }
        return try from(values)
    }

    /// Every key of the aggregator's file, as `from` reads them (`ConfigKeys`: any other key is
    /// an error naming its line); the report's keys are declared where they are read.
    /// Config/aggregator.yaml and the README's Configuration list them too.
    static let keys = ConfigKeys([
        "listen.host", "listen.port", "listen.trustedProxies",
        "database.path", "database.url", "database.passwordFile", "database.sslmode", "database.sslRootCert",
        "database.statementTimeoutSeconds",
        "tls.cert", "tls.key", "tls.clientCA",
        "policy",
        "guard.maxChangeShare", "guard.minChanges",
        "limits.maxBodyBytes", "limits.maxRecordsPerChangeSet", "limits.maxPageSize", "limits.idleTimeoutSeconds",
        "limits.bodyTimeoutSeconds", "limits.maxConnections",
        "review.sessionIdleMinutes", "review.sessionMaxHours", "review.secureCookie", "review.staleAfterHours",
        "cli.by",
    ]) + ReportTargets.keys

    /// The configuration `values` give. A bad value is blamed on where it came from: the
    /// file's line, or the environment variable that overrides it.
    static func from(_ values: ConfigValues) throws -> AggregatorConfig {
        let file = values.file.path
        let postgres = try postgresSettings(values)
        guard let database = values.path("database.path") ?? (postgres == nil ? nil : "") else {
            throw ConfigError("\(file): database.path is missing (the SQLite file of the province's register), and so is database.url (a PostgreSQL database)")
        }
        var config = AggregatorConfig(configPath: file, databasePath: postgres == nil ? database : "")
        config.databasePathOrigin = values.origin("database.path")
        config.postgres = postgres
        config.databasePasswordFile = values.path("database.passwordFile")
        config.databasePasswordFileOrigin = values.origin("database.passwordFile")
        config.host = values.string("listen.host") ?? config.host
        config.port = try integer(values, "listen.port", config.port, range: 0...65535)
        for proxy in values.stringArray("listen.trustedProxies") ?? [] {
            guard ClientAddress.isIPAddress(proxy) else {
                throw ConfigError("\(values.origin("listen.trustedProxies")): listen.trustedProxies must list IP addresses (such as 127.0.0.1 or ::1), found \"\(proxy)\"")
            }
            config.trustedProxies.insert(proxy)
        }
        config.maxBodyBytes = try integer(values, "limits.maxBodyBytes", config.maxBodyBytes, range: 1024...Int(Int32.max))
        config.maxRecordsPerChangeSet = try integer(values, "limits.maxRecordsPerChangeSet", config.maxRecordsPerChangeSet, range: 1...1_000_000)
        if let share = values.string("guard.maxChangeShare") {
            guard let value = Double(share), value > 0, value <= 1 else { throw ConfigError(values.invalid("guard.maxChangeShare", "a number in (0, 1]")) }
            config.guardShare = value
        }
        config.guardMinChanges = try integer(values, "guard.minChanges", config.guardMinChanges, range: 1...10_000_000)
        config.policyPath = values.path("policy")
        config.maxPageSize = try integer(values, "limits.maxPageSize", config.maxPageSize, range: 1...100_000)
        config.idleTimeoutSeconds = try integer(values, "limits.idleTimeoutSeconds", config.idleTimeoutSeconds, range: 1...3_600)
        config.bodyTimeoutSeconds = try integer(values, "limits.bodyTimeoutSeconds", config.bodyTimeoutSeconds, range: 1...86_400)
        config.maxConnections = try integer(values, "limits.maxConnections", config.maxConnections, range: 1...1_000_000)
        config.reviewSessionIdleMinutes = try integer(values, "review.sessionIdleMinutes", config.reviewSessionIdleMinutes, range: 1...10_080)
        config.reviewSessionMaxHours = try integer(values, "review.sessionMaxHours", config.reviewSessionMaxHours, range: 1...720)
        let secure = values.string("review.secureCookie")
        if let secure {
            guard let value = Bool(secure.lowercased()) else { throw ConfigError(values.invalid("review.secureCookie", "true or false")) }
            config.reviewSecureCookie = value
        }
        if let stale = values.string("review.staleAfterHours") {
            guard let value = Double(stale), value > 0 else { throw ConfigError(values.invalid("review.staleAfterHours", "a positive number of hours")) }
            config.reviewStaleAfterHours = value
        }
        config.report = try ReportTargets.load(values)
        config.tls = try tlsFiles(values)
        // Behind our own TLS the review pages' cookies can be Secure without asking.
        if config.tls != nil, secure == nil { config.reviewSecureCookie = true }
        config.cliBy = values.string("cli.by").flatMap { $0.isEmpty ? nil : $0 }
        return config
    }

    /// The field policy the config names, validated (errors name the file and line).
    public func loadPolicy() throws -> FieldPolicy {
        guard let policyPath else { return .standard }
        do { return try PolicyFile.load(path: policyPath) } catch { throw ConfigError(error.description) }
    }

    /// `database.url` and what goes with it: TLS after `database.sslmode` (`disable`, the
    /// default; `require`; `verify-full`, checking the server's certificate against
    /// `database.sslRootCert` or the system's roots). Nil without a URL. The password is read
    /// from `database.passwordFile` when the register is opened (`withPassword`), never from
    /// the URL, which is refused with one in it. No message quotes the URL.
    static func postgresSettings(_ values: ConfigValues) throws -> PostgresSettings? {
        let others = ["database.passwordFile", "database.sslmode", "database.sslRootCert", "database.statementTimeoutSeconds"].filter { values.string($0) != nil }
        guard let url = values.string("database.url"), !url.isEmpty else {
            if let other = others.first {
                throw ConfigError("\(values.origin(other)): \(other) is set but database.url is not (it goes with a PostgreSQL database)")
            }
            return nil
        }
        guard let tls = PostgresSettings.tls(sslmode: values.string("database.sslmode") ?? "disable", rootCertificate: values.path("database.sslRootCert")) else {
            throw ConfigError(values.invalid("database.sslmode", PostgresSettings.sslModes.joined(separator: ", ")))
        }
        if values.string("database.sslRootCert") != nil, tls != .verifyFull(rootCertificate: values.path("database.sslRootCert")) {
            throw ConfigError("\(values.origin("database.sslRootCert")): database.sslRootCert is set but database.sslmode is not verify-full (the certificate is only used to check the server's)")
        }
        var settings: PostgresSettings
        do { settings = try PostgresSettings(url: url, tls: tls) } catch {
            throw ConfigError("\(values.origin("database.url")): database.url: \(error)")
        }
        settings.statementTimeout = .seconds(try integer(values, "database.statementTimeoutSeconds", 60, range: 1...86_400))
        return settings
    }

    /// `postgres` with the password of `database.passwordFile` (its first line), read now.
    public func postgresWithPassword() throws -> PostgresSettings? {
        guard var settings = postgres else { return nil }
        guard let passwordFile = databasePasswordFile else { return settings }
        do { settings.password = try PostgresSettings.password(fromFile: passwordFile) } catch {
            throw ConfigError("\(databasePasswordFileOrigin): cannot read database.passwordFile \(passwordFile): \((error as NSError).localizedDescription)")
        }
        return settings
    }

    /// `tls.cert` and `tls.key` together, or neither; `tls.clientCA` only with them.
    static func tlsFiles(_ values: ConfigValues) throws -> TLSFiles? {
        let cert = values.path("tls.cert"), key = values.path("tls.key"), clientCA = values.path("tls.clientCA")
        switch (cert, key) {
        case let (cert?, key?):
            return TLSFiles(certPath: cert, keyPath: key, clientCAPath: clientCA)
        case (nil, nil):
            guard clientCA == nil else { throw ConfigError("\(values.origin("tls.clientCA")): tls.clientCA needs tls.cert and tls.key (client certificates work over HTTPS only)") }
            return nil
        case (_?, nil):
            throw ConfigError("\(values.origin("tls.cert")): tls.cert is set but tls.key is missing (the server certificate's private key)")
        case (nil, _?):
            throw ConfigError("\(values.origin("tls.key")): tls.key is set but tls.cert is missing (the server's certificate chain)")
        }
    }

    /// The integer `key` gives, in `range`; `fallback` when it gives none.
    static func integer(_ values: ConfigValues, _ key: String, _ fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = values.string(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigError(values.invalid(key, "an integer in \(range.lowerBound)…\(range.upperBound)"))
        }
        return value
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = "configuration: " + description }
}
