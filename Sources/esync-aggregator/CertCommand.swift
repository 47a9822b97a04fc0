import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import SyncCore
import Foundation

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Register, list and revoke the client certificates bureaus sign in with.",
        discussion: """
            Needs tls.cert, tls.key and tls.clientCA in the config: the server then asks each client for a \
            certificate signed by tls.clientCA. A registered certificate (by the SHA-256 of its DER form, as \
            `openssl x509 -noout -fingerprint -sha256 -in FILE.pem` prints it) is its region's bureau, with the \
            same rights as a bureau token; a bearer token still works, and when both are sent the token decides.

            A bureau that signs in by certificate registers its store's signing key with it (`cert key`), as a \
            token's is registered with `token key`. Once any key is registered for a region, every change set of \
            that region must be signed by a key registered for it, whatever the credential it comes with.
            """,
        subcommands: [Add.self, List.self, Revoke.self, Key.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a bureau's client certificate (PEM) for its region; prints the fingerprint.",
            discussion: "Exit codes: 0 registered; 1 the file is not a certificate, or the certificate is registered or revoked already.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The bureau's 6-digit region code (410100 … 411700, 419001).") var region: String
        @Option(help: "A name for the certificate in `cert list` (e.g. the host and year: zz-agent-2025).") var name: String
        @Argument(help: "The certificate, PEM (the first certificate of the file counts).") var file: String

        func validate() throws { try validateRegion(region) }

        func run() async throws {
            try await reporting {
                guard let pem = FileManager.default.contents(atPath: file) else { throw CommandFailure(message: "cannot read \(file)", code: .failure) }
                let (config, database) = try await options.open(create: true)
                let entry = try await ClientCertificateStore(database: database).add(pem: Array(pem), file: file, region: region, name: name)
                printSafe("registered \(entry.subject) as \(entry.name) for the bureau of \(region) \(Regions.region(code: region)!.name) (valid until \(entry.notAfter.prefix(10)))")
                print("sha256 \(entry.fingerprint)")
                if config.tls?.clientCAPath == nil {
                    StandardError.write("esync-aggregator: note: tls.clientCA is not set in \(config.configPath), so `serve` asks no client for a certificate yet")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered client certificates: fingerprint (first 16 hex digits), region, name, subject, expiry, revoked.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Print JSON for scripts (with the whole fingerprint).") var json = false

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let entries = try await ClientCertificateStore(database: database).list()
                if json { return try printJSON(entries) }
                var rows = [["SHA256", "REGION", "NAME", "SUBJECT", "VALID UNTIL", "REVOKED"]]
                for e in entries {
                    rows.append([String(e.fingerprint.prefix(16)), "\(e.region) \(Regions.region(code: e.region)?.name ?? "")", e.name, e.subject,
                                 String(e.notAfter.prefix(10)), e.revokedAt.map { BeijingTime.text($0) } ?? ""])
                }
                print(TextTable.render(rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a client certificate by its fingerprint (at least the first 16 hex digits): it stops working on the next request.",
            discussion: "Exit codes: 0 revoked; 1 not a fingerprint, or it matches more than one certificate; 4 no such certificate that is not already revoked.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The fingerprint as `cert list` shows it, or whole as openssl prints it (AB:CD:…).") var fingerprint: String

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                guard let entry = try await ClientCertificateStore(database: database).revoke(selector: fingerprint) else {
                    throw CommandFailure(message: "no active client certificate with fingerprint \(fingerprint) (see `esync-aggregator cert list`)", code: .notFound)
                }
                printSafe("revoked the client certificate \(entry.name) (\(entry.subject)) of \(entry.region)")
            }
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a bureau store's public signing key with its client certificate, or reset the certificate's chain.",
            discussion: """
                From then on the certificate's change sets must be signed with KEY (the last line of `esync-agent key` \
                or `esync-agent init`) and chained, as with `token key`. A new key replaces the old one (a re-created store); \
                registering a key, and --reset-chain, let the next signed change set start a new chain.

                Exit codes: 0 done; 1 --reset-chain for a certificate without a key, or an ambiguous fingerprint; \
                2 not a key; 4 no such active certificate.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The certificate's fingerprint as `cert list` shows it (at least 16 hex digits).") var fingerprint: String
        @OptionGroup var registration: KeyRegistration

        func run() async throws {
            try await reporting {
                let publicKey = try registration.publicKey()
                let (_, who, database) = try await options.open(by: registration.by)
                let certificates = ClientCertificateStore(database: database)
                let entry = if let publicKey {
                    try await certificates.registerKey(publicKey, selector: fingerprint, by: who)
                } else {
                    try await certificates.resetChain(selector: fingerprint, by: who, note: registration.note)
                }
                guard let entry else {
                    throw CommandFailure(message: "no active client certificate with fingerprint \(fingerprint) (see `esync-aggregator cert list`)", code: .notFound)
                }
                if let publicKey {
                    print("key \(publicKey.fingerprint) registered with the client certificate \(entry.name) of \(entry.region): its next signed change set starts its chain")
                } else {
                    print("the next signed change set of the client certificate \(entry.name) (\(entry.region)) may start a new chain")
                }
            }
        }
    }
}
