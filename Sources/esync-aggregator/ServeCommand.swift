import Aggregator
import ArgumentParser
import CommandSupport
import Foundation
import Logging
import SyncCore
import Synchronization

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API and the review pages (/review) until SIGTERM or SIGINT.",
        discussion: """
            Reviewers sign in to http://HOST:PORT/review with their name and the token from `token add --reviewer NAME`; bureau tokens cannot.

            With tls.cert and tls.key it serves HTTPS instead of HTTP; with tls.clientCA too it asks each client for a certificate \
            signed by that CA, and a certificate registered with `cert add` signs a bureau in without a token. A missing or \
            unreadable certificate or key stops it at once with exit code 2, naming the key and the file; so does an \
            address it cannot listen on (a port in use, a host that is not this machine's), naming host and port.
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "Override listen.port (0 picks a free port; the bound port is printed).")
    var port: Int?

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        try await reporting {
            var (config, database) = try await options.open(create: true)
            if let port { config.port = port }
            let policy: FieldPolicy
            do { policy = try config.loadPolicy() } catch { throw CommandFailure(message: "\(error)", code: .usage) }
            let server = AggregatorServer(config: config, database: database, policy: policy)
            var logger = Logger(label: "esync-aggregator")
            logger.logLevel = .info
            let host = config.host
            let path = config.databaseLocation
            let scheme = config.tls == nil ? "http" : "https"
            let clientCertificates = config.tls?.clientCAPath == nil ? "" : " client-certificates=on"
            let listening = Mutex(false)
            // The stop is logged as the agent's daemon logs it: the signal, then "stopped" once
            // the requests in flight have finished (Hummingbird handles the signal itself;
            // a second dispatch source on it only listens). Its handler runs on a queue of its
            // own, which the stop waits on before it says "stopped": a server with nothing in
            // flight stopped before a handler on a shared queue had run, and the signal went
            // unlogged.
            let signalQueue = DispatchQueue(label: "esync-aggregator.signals")
            let stopSignals = [SIGTERM, SIGINT].map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
                source.setEventHandler { [logger] in logger.notice("signal \(number): stopping (requests in flight finish first)") }
                source.resume()
                return source
            }
            defer { stopSignals.forEach { $0.cancel() } }
            do {
                try await server.run(logger: logger) { port in
                    listening.withLock { $0 = true }
                    // Scripts and tests read the URL from this line.
                    print("esync-aggregator listening on \(scheme)://\(host):\(port) database=\(path)\(clientCertificates)")
                    fflush(nil)
                }
            } catch let error as ConfigError {
                throw CommandFailure(message: "\(error)", code: .usage)
            } catch where !listening.withLock({ $0 }) {
                // Before it listened, an address problem is the configuration's (listen.host, listen.port).
                guard let reason = ListenFailure.reason(error, host: host, port: config.port) else { throw error }
                throw CommandFailure(message: "cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(config.port): \(reason)", code: .usage)
            }
            signalQueue.sync {}
            logger.notice("stopped")
        }
    }
}
