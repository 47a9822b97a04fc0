#if canImport(Glibc)
import Glibc
#endif
import ConfigSupport
import SyncCore
import EnterpriseModel

/// The agent's configuration: a YAML file, every key overridable by an environment variable
/// (`server.url` → `ESYNC_SERVER_URL`). Relative paths are relative to the config file's folder.
public struct AgentConfig: Sendable, Equatable {
    public var configPath: String
    public var region: String
    public var storePath: String
    public var serverURL: String?
    public var tokenFile: String?
    public var caFile: String?
    public var clientCert: String?
    public var clientKey: String?
    /// `server.tlsVerification`: whether the province's certificate is checked. Only the words
    /// `disabled-insecure` turn the check off; a typo is an error, never a silent "off".
    public var tlsVerification = TLSVerification.full
    public var connectTimeoutSeconds: Double = 10
    public var timeoutSeconds: Double = 300
    /// `server.maxAnswerBytes`: the largest answer taken from the province (libcurl stops the
    /// transfer past it). A province, or anyone on the path, must not make the agent read without
    /// bound; a page of 1,000 typical records is about 3 MB.
    public var maxAnswerBytes = 64 << 20
    public var syncIntervalSeconds: Double = 300
    public var syncJitterSeconds: Double = 30
    /// The longest wait between retries while the province is unreachable.
    public var maxBackoffSeconds: Double = 300
    /// Records per sealed change set at most: bounds the request size (the province refuses large
    /// bodies). A push's change sets grow to it (`recordsInChangeSet(after:)`).
    public var maxRecordsPerChangeSet = 1_000
    /// How many change sets a push keeps in flight at once, once the province said it takes them
    /// in turn (`ProvinceAccepts.pipelined`): 1 sends each after the answer to the one before.
    public var changeSetsInFlight = 2

    /// The records a push puts in its change set after `changeSets` others: 250 first, doubling up
    /// to `maxRecordsPerChangeSet` (TCP's slow start, as it were). A small first one reaches the
    /// province soon, so that it merges while the agent reads on; larger ones after it cost the
    /// province less each: every change set is a request, a transaction and its commit, about
    /// 1.8 ms of the province's CPU whatever it holds (10,000 records in change sets of 10 and
    /// of 1,000). A first upload of 100,000 records in change sets of 500 took the province 13 %
    /// less CPU than in change sets of 250; of 1,000, 17 % less. Three change sets of 1,000 at
    /// hand (one sealed while two are in flight) first took the agent's peak memory over 100 MB;
    /// with the scan's list of names kept packed (`StatIndex.NameList`) and bodies mapped on
    /// their own (`Memory.shareOneHeap`), 94 MB.
    public func recordsInChangeSet(after changeSets: Int) -> Int {
        min(maxRecordsPerChangeSet, Self.firstChangeSetRecords << min(changeSets, 20))
    }

    /// The records of a push's first change set (fewer when `maxRecordsPerChangeSet` is less).
    static let firstChangeSetRecords = 250
    /// Records per page on pull.
    public var pageSize = 1000
    public var logLevel = "info"
    /// Watch `records/` with inotify and sync soon after a change (the daemon only).
    public var syncWatch = false
    /// With `syncWatch`: the sync starts this long after the last change.
    public var settleSeconds: Double = 3
    /// The daemon writes Prometheus metrics here after every sync (node_exporter's textfile collector).
    public var metricsFile: String?
    /// The daemon runs `verify` after a sync when the last one is this old; 0: never.
    public var verifyIntervalSeconds: Double = 86_400

    public enum TLSVerification: String, Sendable, Equatable {
        /// The province's certificate must chain to `server.caFile` (else the system's CAs) and
        /// name the host of `server.url`.
        case full
        /// No check at all: anyone on the path can read and change what the agent sends. For a
        /// lab with a self-signed certificate only; the agent warns on every run.
        case disabledInsecure = "disabled-insecure"
    }

    public static let defaultPath = "/etc/esync/agent.yaml"
    public static let pathVariable = "ESYNC_AGENT_CONFIG"

    public init(configPath: String, region: String, storePath: String) {
        self.configPath = configPath
        self.region = region
        self.storePath = storePath
    }

    /// The config file named on the command line, else `$ESYNC_AGENT_CONFIG`, else the default.
    public static func resolvePath(_ explicit: String?, environment: [String: String]) -> String {
        explicit ?? environment[pathVariable] ?? defaultPath
    }

    public static func load(path: String) async throws(AgentError) -> AgentConfig {
        let absolutePath = FileSystem.absolute(path, relativeTo: FileSystem.currentDirectory())
        guard FileSystem.exists(absolutePath) else {
            throw .config("\(absolutePath) does not exist (give --config FILE or set \(pathVariable))")
        }
        let values: ConfigValues
        do { values = try await ConfigValues.load(path: absolutePath, keys: keys) } catch { throw .config(error.description) }
        return try from(values)
    }

    /// Every key of the agent's file, as `from` reads them (`ConfigKeys`: any other key is an
    /// error naming its line). Config/agent.yaml and the README's Configuration list them too.
    static let keys = ConfigKeys([
        "region", "store",
        "server.url", "server.tokenFile", "server.caFile", "server.clientCert", "server.clientKey", "server.tlsVerification",
        "server.connectTimeoutSeconds", "server.timeoutSeconds", "server.maxAnswerBytes",
        "sync.intervalSeconds", "sync.jitterSeconds", "sync.maxBackoffSeconds", "sync.maxRecordsPerChangeSet", "sync.pageSize",
        "sync.changeSetsInFlight", "sync.watch", "sync.settleSeconds", "sync.verifyIntervalSeconds",
        "log.level", "metrics.file",
    ])

    /// The configuration `values` give. A bad value is blamed on where it came from: the
    /// file's line, or the environment variable that overrides it.
    static func from(_ values: ConfigValues) throws(AgentError) -> AgentConfig {
        let configPath = values.file.path
        func number(_ key: String, _ fallback: Double) throws(AgentError) -> Double {
            guard let text = values.string(key) else { return fallback }
            guard let value = Double(text), value >= 0 else { throw .config(values.invalid(key, "a non-negative number")) }
            return value
        }
        guard let region = values.string("region") else { throw .config("\(configPath): region is missing (the bureau's 6-digit region code)") }
        guard Regions.region(code: region) != nil else {
            throw .config("\(values.origin("region")): region \(region) is not one of the 18 regions (410100 … 411700, 419001)")
        }
        guard let store = values.path("store") else { throw .config("\(configPath): store is missing (the folder of the record store)") }
        var config = AgentConfig(configPath: configPath, region: region, storePath: store)
        config.serverURL = values.string("server.url").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        config.tokenFile = values.path("server.tokenFile")
        config.caFile = values.path("server.caFile")
        config.clientCert = values.path("server.clientCert")
        config.clientKey = values.path("server.clientKey")
        if let text = values.string("server.tlsVerification") {
            guard let value = TLSVerification(rawValue: text) else {
                throw .config(values.invalid("server.tlsVerification", "\"full\" (the default) or \"disabled-insecure\" (no check of the province's certificate; for a lab only)"))
            }
            config.tlsVerification = value
        }
        if config.clientKey != nil, config.clientCert == nil {
            throw .config("\(values.origin("server.clientKey")): server.clientKey is set but server.clientCert is missing (the client certificate, PEM)")
        }
        config.connectTimeoutSeconds = try number("server.connectTimeoutSeconds", config.connectTimeoutSeconds)
        config.timeoutSeconds = try number("server.timeoutSeconds", config.timeoutSeconds)
        let answerBytes = try number("server.maxAnswerBytes", Double(config.maxAnswerBytes))
        guard answerBytes >= 65_536 else { throw .config(values.invalid("server.maxAnswerBytes", "at least 65536 (bytes)")) }
        config.maxAnswerBytes = Int(min(answerBytes, Double(1 << 40)))
        config.syncIntervalSeconds = try number("sync.intervalSeconds", config.syncIntervalSeconds)
        config.syncJitterSeconds = try number("sync.jitterSeconds", config.syncJitterSeconds)
        config.maxBackoffSeconds = max(1, try number("sync.maxBackoffSeconds", config.maxBackoffSeconds))
        config.maxRecordsPerChangeSet = max(1, Int(try number("sync.maxRecordsPerChangeSet", Double(config.maxRecordsPerChangeSet))))
        config.pageSize = max(1, Int(try number("sync.pageSize", Double(config.pageSize))))
        let inFlight = try number("sync.changeSetsInFlight", Double(config.changeSetsInFlight))
        guard [1, 2, 3, 4].contains(inFlight) else {
            throw .config(values.invalid("sync.changeSetsInFlight", "1, 2, 3 or 4 (change sets a push keeps in flight)"))
        }
        config.changeSetsInFlight = Int(inFlight)
        config.logLevel = values.string("log.level") ?? config.logLevel
        if let text = values.string("sync.watch") {
            switch text.lowercased() {
            case "true", "yes", "on", "1": config.syncWatch = true
            case "false", "no", "off", "0": config.syncWatch = false
            default: throw .config(values.invalid("sync.watch", "true or false"))
            }
        }
        config.settleSeconds = try number("sync.settleSeconds", config.settleSeconds)
        config.verifyIntervalSeconds = try number("sync.verifyIntervalSeconds", config.verifyIntervalSeconds)
        config.metricsFile = values.path("metrics.file")
        return config
    }

    /// What this configuration leaves open, for every run to warn about: each command that
    /// contacts the province, the daemon when it starts and on every reload. Warnings, not
    /// refusals: a lab or a migration may need them for a while, and the warning names the fix.
    /// - certificate checks off (`server.tlsVerification: disabled-insecure`);
    /// - plain HTTP to another machine: the token and the records cross the network in clear text;
    /// - `server.tokenFile` or `server.clientKey` readable by group or others: whoever reads one
    ///   signs in as this bureau.
    public func securityWarnings() -> [String] {
        var warnings: [String] = []
        if tlsVerification == .disabledInsecure {
            warnings.append("server.tlsVerification is disabled-insecure in \(configPath): the province's certificate is not checked, so anyone on the network path can read and change this bureau's records and credentials")
        }
        if let serverURL, let host = Self.plainHTTPHost(serverURL) {
            warnings.append("server.url \(serverURL) is plain HTTP to another machine (\(host)): the bureau's token and records travel in clear text, so anyone on the network path can read them and sign in as this bureau; use an https:// URL (tls.cert at the province)")
        }
        for (key, path) in [("server.tokenFile", tokenFile), ("server.clientKey", clientKey)] {
            guard let path, let mode = FileSystem.permissions(path), mode & 0o077 != 0 else { continue }
            let octal = String(mode, radix: 8)
            warnings.append("\(key) \(path) is readable by group or others (mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal)): whoever can read it signs in as this bureau; run `chmod 600 \(path)` (owned by the agent's user)")
        }
        return warnings
    }

    /// The host of `url` when it is plain `http://` to a host that is not this machine; nil for
    /// https, and for localhost, 127.0.0.0/8 and ::1 (the token then never leaves the machine).
    static func plainHTTPHost(_ url: String) -> String? {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        var authority = url.dropFirst("http://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        return isLoopback(String(host)) ? nil : String(host)
    }

    /// localhost, an IPv4 address in 127.0.0.0/8, ::1, or an IPv4-mapped 127.x address.
    static func isLoopback(_ host: String) -> Bool {
        if ["localhost", "localhost."].contains(host.lowercased()) { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        let loopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        return loopback || mapped
    }

    /// The bureau token from `server.tokenFile`; nil when the bureau signs in by its client
    /// certificate alone (`server.clientCert` without `server.tokenFile`).
    public func readTokenIfAny() throws(AgentError) -> String? {
        if tokenFile == nil, clientCert != nil {
            guard serverURL?.lowercased().hasPrefix("https://") == true else {
                throw .config("\(configPath): server.clientCert signs in only over https, but server.url is \(serverURL ?? "missing"); give an https:// URL or a server.tokenFile")
            }
            return nil
        }
        return try readToken()
    }

    /// How the province registers this store's signing key: with the selector of the token the
    /// agent holds (its first 16 characters after `esync_`, which `token list` shows; never the
    /// token itself), or with the client certificate it signs in with.
    public func keyRegistrationCommand(_ key: PublicSigningKey) -> String {
        if tokenFile == nil, let clientCert {
            return "esync-aggregator cert key FINGERPRINT \(key.base64)   (FINGERPRINT: of \(clientCert), see `esync-aggregator cert list`)"
        }
        guard let token = try? readToken(), token.hasPrefix("esync_"), token.utf8.count > 22 else {
            return "esync-aggregator token key --selector SELECTOR \(key.base64)   (SELECTOR: the bureau token's, see `esync-aggregator token list`)"
        }
        return "esync-aggregator token key --selector \(token.dropFirst(6).prefix(16)) \(key.base64)"
    }

    /// The bureau token, read from `server.tokenFile` (never from the config itself, never logged).
    public func readToken() throws(AgentError) -> String {
        guard let tokenFile else { throw .config("\(configPath): server.tokenFile is missing (or give server.clientCert and server.clientKey to sign in by certificate)") }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(tokenFile) } catch { throw .config("cannot read the token: \(error)") }
        let token = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        guard !token.isEmpty else { throw .config("\(tokenFile) is empty") }
        return token
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
