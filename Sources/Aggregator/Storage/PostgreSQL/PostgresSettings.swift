import Foundation

/// Where the province's PostgreSQL register is and how to reach it: `database.url`
/// (`postgresql://USER@HOST:PORT/DB`, or `ESYNC_DATABASE_URL`), the password from
/// `database.passwordFile` (never from the URL, so that it is never in a config, a process list
/// or a log), and TLS after `database.sslmode`.
public struct PostgresSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    /// Read from `database.passwordFile`; nil: the server asks for none (trust, peer, or a
    /// client certificate).
    public var password: String?
    public var tls: TLS
    /// Connections each aggregator process keeps open at most.
    public var connections = 8

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
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.tls = tls
    }

    /// The settings a `postgresql://USER@HOST[:PORT]/DB` URL gives (`postgres://` too). A URL
    /// with a password in it is refused: it would be in the config file, the environment and
    /// any message that quotes the URL.
    public init(url: String, password: String? = nil, tls: TLS = .disable) throws(PostgresURLError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "postgresql" || scheme == "postgres" else {
            throw PostgresURLError(reason: "is not a postgresql://USER@HOST:PORT/DB URL")
        }
        if components.password != nil {
            throw PostgresURLError(reason: "has a password in it; put the password in a file of its own (mode 0600) and name it in database.passwordFile, so that it is never in the config, the environment or a log")
        }
        guard let user = components.user, !user.isEmpty else { throw PostgresURLError(reason: "names no user (postgresql://USER@HOST:PORT/DB)") }
        guard let host = components.host, !host.isEmpty else { throw PostgresURLError(reason: "names no host (postgresql://USER@HOST:PORT/DB)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw PostgresURLError(reason: "names no database (postgresql://USER@HOST:PORT/DB)") }
        if let query = components.query, !query.isEmpty {
            throw PostgresURLError(reason: "has parameters (?\(query)); give TLS with database.sslmode and database.sslRootCert")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresURLError(reason: "has port \(port), not one in 1…65535") }
        self.init(host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port,
                  user: user.removingPercentEncoding ?? user, database: database.removingPercentEncoding ?? database, password: password, tls: tls)
    }

    /// The register's address for messages and logs: the URL without a password.
    public var location: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(shownHost):\(port)/\(database)"
    }

    /// `database.sslmode`'s values.
    public static let sslModes = ["disable", "require", "verify-full"]
}

/// A `database.url` that cannot be used, and why (the URL itself is not repeated: it may hold
/// what should not be in a log).
public struct PostgresURLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var reason: String
    public var description: String { "the database URL \(reason)" }
}
