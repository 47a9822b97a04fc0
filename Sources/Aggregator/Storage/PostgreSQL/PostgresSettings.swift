import Foundation

/// Where the province's PostgreSQL register is and how to reach it: `database.url`
/// (`postgresql://USER@HOST:PORT/DB`, or `ESYNC_DATABASE_URL`; several hosts for a primary and
/// its standbys, `postgresql://USER@HOST1:PORT1,HOST2:PORT2/DB`), the password from
/// `database.passwordFile` (never from the URL, so that it is never in a config, a process list
/// or a log), TLS after `database.sslmode`, and how long a statement may go without an answer
/// (`database.statementTimeoutSeconds`).
public struct PostgresSettings: Sendable, Equatable {
    /// The servers to try, in order: every connection goes to the first that answers and
    /// accepts writes (libpq's `target_session_attrs=read-write`), so that after a standby is
    /// promoted the instances find it by themselves.
    public var hosts: [Endpoint]
    public var user: String
    public var database: String
    /// Read from `database.passwordFile`; nil: the server asks for none (trust, peer, or a
    /// client certificate).
    public var password: String?
    public var tls: TLS
    /// Connections each aggregator process keeps open at most: half for writes, half for reads.
    public var connections = 8
    /// How long a statement may wait for the server's answer before its connection is given up
    /// (closed, and the request answered 503): a server that stopped answering, or a network
    /// that lost the connection without saying so, fails the request instead of holding it for
    /// ever. Migrations wait as long as they take.
    public var statementTimeout: Duration = .seconds(60)

    /// How long the client waits for an answer: the server's own deadline (`statement_timeout`,
    /// set to `statementTimeout` at connect) first cancels a statement and lets go of its locks;
    /// this one is for a server or network that does not answer at all.
    var clientDeadline: Duration { statementTimeout + .seconds(5) }

    /// One server of `hosts`.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int = 5432) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    /// The first server's host and port (the only one's, mostly).
    public var host: String { hosts[0].host }
    public var port: Int { hosts[0].port }

    /// `database.sslmode`, as libpq names them (those that say something definite).
    public enum TLS: Sendable, Equatable {
        /// No TLS (a database on loopback or a Unix socket's host).
        case disable
        /// TLS, without checking the server's certificate (it is encrypted, not authenticated).
        case require
        /// TLS, the server's certificate checked against `rootCertificate` (a PEM file; nil: the
        /// system's trusted roots) and its name against the URL's host.
        case verifyFull(rootCertificate: String?)
    }

    public init(host: String, port: Int = 5432, user: String, database: String, password: String? = nil, tls: TLS = .disable) {
        self.init(hosts: [Endpoint(host: host, port: port)], user: user, database: database, password: password, tls: tls)
    }

    public init(hosts: [Endpoint], user: String, database: String, password: String? = nil, tls: TLS = .disable) {
        precondition(!hosts.isEmpty, "a register has at least one server")
        self.hosts = hosts
        self.user = user
        self.database = database
        self.password = password
        self.tls = tls
    }

    /// The settings a `postgresql://USER@HOST[:PORT][,HOST[:PORT]…]/DB` URL gives
    /// (`postgres://` too; an IPv6 address in brackets). A URL with a password in it is refused:
    /// it would be in the config file, the environment and any message that quotes the URL.
    public init(url: String, password: String? = nil, tls: TLS = .disable) throws(PostgresURLError) {
        let usage = "postgresql://USER@HOST:PORT/DB"
        guard let schemeEnd = url.range(of: "://"), ["postgresql", "postgres"].contains(url[..<schemeEnd.lowerBound].lowercased()) else {
            throw PostgresURLError(reason: "is not a \(usage) URL")
        }
        if let odd = url.first(where: { $0.isWhitespace || $0 == "#" }) {
            throw PostgresURLError(reason: "has \(odd == "#" ? "a fragment (#)" : "white space") in it (\(usage))")
        }
        var rest = url[schemeEnd.upperBound...]
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            if !query.isEmpty { throw PostgresURLError(reason: "has parameters (?\(query)); give TLS with database.sslmode and database.sslRootCert") }
            rest = rest[..<question]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let database = String(rest[slash...].drop { $0 == "/" })
        guard let at = authority.lastIndex(of: "@") else { throw PostgresURLError(reason: "names no user (\(usage))") }
        let userInfo = authority[..<at]
        if userInfo.contains(":") {
            throw PostgresURLError(reason: "has a password in it; put the password in a file of its own (mode 0600) and name it in database.passwordFile, so that it is never in the config, the environment or a log")
        }
        guard !userInfo.isEmpty else { throw PostgresURLError(reason: "names no user (\(usage))") }
        var hosts: [Endpoint] = []
        for server in authority[authority.index(after: at)...].split(separator: ",", omittingEmptySubsequences: false) {
            hosts.append(try Self.endpoint(server, usage: usage))
        }
        guard !database.isEmpty, !database.contains("/") else { throw PostgresURLError(reason: "names no database (\(usage))") }
        self.init(hosts: hosts, user: userInfo.removingPercentEncoding ?? String(userInfo),
                  database: database.removingPercentEncoding ?? database, password: password, tls: tls)
    }

    /// `HOST`, `HOST:PORT`, `[IPV6]` or `[IPV6]:PORT` of a URL.
    private static func endpoint(_ text: Substring, usage: String) throws(PostgresURLError) -> Endpoint {
        var host = text, portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw PostgresURLError(reason: "has an unclosed [ in a host") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PostgresURLError(reason: "has \(after) after a host in brackets") }
                portText = after.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw PostgresURLError(reason: "names no host (\(usage))") }
        var port = 5432
        if let portText {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(portText), (1...65535).contains(number) else {
                throw PostgresURLError(reason: "has port \(portText), not one in 1…65535")
            }
            port = number
        }
        return Endpoint(host: String(host), port: port)
    }

    /// The register's address for messages and logs: the URL without a password.
    public var location: String {
        "postgresql://\(user)@\(hosts.map(\.description).joined(separator: ","))/\(database)"
    }

    /// `database.sslmode`'s values.
    public static let sslModes = ["disable", "require", "verify-full"]

    /// The TLS of an `sslmode` (`database.sslmode`, `--sslmode`); nil for one that is not in
    /// `sslModes`. `rootCertificate` goes with `verify-full` only.
    public static func tls(sslmode: String, rootCertificate: String?) -> TLS? {
        switch sslmode {
        case "disable": .disable
        case "require": .require
        case "verify-full": .verifyFull(rootCertificate: rootCertificate)
        default: nil
        }
    }

    /// The password in a file (`database.passwordFile`): its first line, without a trailing CR.
    public static func password(fromFile path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }
}

/// Printed, logged or dumped, the settings are their location and TLS mode: never the password.
extension PostgresSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "\(location) (TLS \(tls), \(password == nil ? "no password" : "password from database.passwordFile"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["location": location, "tls": tls], displayStyle: .struct) }
}

/// A `database.url` that cannot be used, and why (the URL itself is not repeated: it may hold
/// what should not be in a log).
public struct PostgresURLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var reason: String
    public var description: String { "the database URL \(reason)" }
}
