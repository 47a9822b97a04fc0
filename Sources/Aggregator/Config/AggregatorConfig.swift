import Configuration
import Foundation
import SyncCore
import SystemPackage

/// The aggregator's configuration: a YAML file, every key overridable by an environment
/// variable (`listen.port` → `ESYNC_LISTEN_PORT`). Relative paths are relative to the file.
public struct AggregatorConfig: Sendable, Equatable {
    public var configPath: String
    public var host = "127.0.0.1"
    public var port = 8080
    /// Addresses of the reverse proxies in front of the aggregator: only from these is
    /// `X-Forwarded-For` believed (see `ClientAddress`).
    public var trustedProxies: Set<String> = []
    public var databasePath: String
    /// Largest request body, after gzip decompression.
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
        let reader: ConfigReader
        do {
            let file = try await FileProvider<YAMLSnapshot>(filePath: FilePath(absolutePath))
            reader = ConfigReader(providers: [EnvironmentVariablesProvider().prefixKeys(with: "esync"), file])
        } catch {
            throw ConfigError("\(absolutePath): \(error)")
        }
        let folder = (absolutePath as NSString).deletingLastPathComponent
        guard let database = reader.string(forKey: "database.path") else {
            throw ConfigError("\(absolutePath): database.path is missing (the SQLite file of the province's register)")
        }
        var config = AggregatorConfig(configPath: absolutePath, databasePath: database.hasPrefix("/") ? database : folder + "/" + database)
        config.host = reader.string(forKey: "listen.host") ?? config.host
        config.port = try integer(reader, "listen.port", config.port, file: absolutePath, range: 0...65535)
        for proxy in reader.stringArray(forKey: "listen.trustedProxies") ?? [] {
            guard ClientAddress.isIPAddress(proxy) else {
                throw ConfigError("\(absolutePath): listen.trustedProxies must list IP addresses (such as 127.0.0.1 or ::1), found \"\(proxy)\"")
            }
            config.trustedProxies.insert(proxy)
        }
        config.maxBodyBytes = try integer(reader, "limits.maxBodyBytes", config.maxBodyBytes, file: absolutePath, range: 1024...Int(Int32.max))
        config.maxRecordsPerChangeSet = try integer(reader, "limits.maxRecordsPerChangeSet", config.maxRecordsPerChangeSet, file: absolutePath, range: 1...1_000_000)
        if let share = reader.string(forKey: "guard.maxChangeShare") {
            guard let value = Double(share), value > 0, value <= 1 else {
                throw ConfigError("\(absolutePath): guard.maxChangeShare must be a number in (0, 1], found \"\(share)\"")
            }
            config.guardShare = value
        }
        config.guardMinChanges = try integer(reader, "guard.minChanges", config.guardMinChanges, file: absolutePath, range: 1...10_000_000)
        config.policyPath = reader.string(forKey: "policy").map { $0.hasPrefix("/") ? $0 : folder + "/" + $0 }
        config.maxPageSize = try integer(reader, "limits.maxPageSize", config.maxPageSize, file: absolutePath, range: 1...100_000)
        config.idleTimeoutSeconds = try integer(reader, "limits.idleTimeoutSeconds", config.idleTimeoutSeconds, file: absolutePath, range: 1...3_600)
        config.bodyTimeoutSeconds = try integer(reader, "limits.bodyTimeoutSeconds", config.bodyTimeoutSeconds, file: absolutePath, range: 1...86_400)
        config.maxConnections = try integer(reader, "limits.maxConnections", config.maxConnections, file: absolutePath, range: 1...1_000_000)
        config.reviewSessionIdleMinutes = try integer(reader, "review.sessionIdleMinutes", config.reviewSessionIdleMinutes, file: absolutePath, range: 1...10_080)
        config.reviewSessionMaxHours = try integer(reader, "review.sessionMaxHours", config.reviewSessionMaxHours, file: absolutePath, range: 1...720)
        if let secure = reader.string(forKey: "review.secureCookie") {
            guard let value = Bool(secure.lowercased()) else {
                throw ConfigError("\(absolutePath): review.secureCookie must be true or false, found \"\(secure)\"")
            }
            config.reviewSecureCookie = value
        }
        if let stale = reader.string(forKey: "review.staleAfterHours") {
            guard let value = Double(stale), value > 0 else {
                throw ConfigError("\(absolutePath): review.staleAfterHours must be a positive number of hours, found \"\(stale)\"")
            }
            config.reviewStaleAfterHours = value
        }
        config.report = try ReportTargets.load(reader, file: absolutePath)
        config.tls = try tlsFiles(reader, file: absolutePath, folder: folder)
        // Behind our own TLS the review pages' cookies can be Secure without asking.
        if config.tls != nil, reader.string(forKey: "review.secureCookie") == nil { config.reviewSecureCookie = true }
        return config
    }

    /// The field policy the config names, validated (errors name the file and line).
    public func loadPolicy() throws -> FieldPolicy {
        guard let policyPath else { return .standard }
        do { return try PolicyFile.load(path: policyPath) } catch { throw ConfigError(error.description) }
    }

    /// `tls.cert` and `tls.key` together, or neither; `tls.clientCA` only with them.
    static func tlsFiles(_ reader: ConfigReader, file: String, folder: String) throws -> TLSFiles? {
        func path(_ key: String) -> String? {
            reader.string(forKey: ConfigKey(key)).map { $0.hasPrefix("/") ? $0 : folder + "/" + $0 }
        }
        let cert = path("tls.cert"), key = path("tls.key"), clientCA = path("tls.clientCA")
        switch (cert, key) {
        case let (cert?, key?):
            return TLSFiles(certPath: cert, keyPath: key, clientCAPath: clientCA)
        case (nil, nil):
            guard clientCA == nil else { throw ConfigError("\(file): tls.clientCA needs tls.cert and tls.key (client certificates work over HTTPS only)") }
            return nil
        case (_?, nil):
            throw ConfigError("\(file): tls.cert is set but tls.key is missing (the server certificate's private key)")
        case (nil, _?):
            throw ConfigError("\(file): tls.key is set but tls.cert is missing (the server's certificate chain)")
        }
    }

    static func integer(_ reader: ConfigReader, _ key: String, _ fallback: Int, file: String, range: ClosedRange<Int>) throws -> Int {
        guard let text = reader.string(forKey: ConfigKey(key)) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigError("\(file): \(key) must be an integer in \(range.lowerBound)…\(range.upperBound), found \"\(text)\"")
        }
        return value
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = "configuration: " + description }
}
