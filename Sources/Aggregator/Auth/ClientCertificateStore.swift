import Crypto
import Foundation
import NIOSSL

/// Client certificates that stand for a bureau: each registered certificate (by the SHA-256 of
/// its DER encoding, the value `openssl x509 -fingerprint -sha256` prints) maps to one region.
///
/// The TLS handshake proves the client holds the key of a certificate the `tls.clientCA` signed;
/// this store says which bureau that certificate is, and whether it still counts. Looked up on
/// every request, so a revocation takes effect on the next one.
///
/// For example, as `esync-aggregator cert add --region 410100 --name zz-2025 zz.pem` does:
///
/// ```swift
/// let entry = try await ClientCertificateStore(database: db).add(pem: bytes, file: "zz.pem", region: "410100", name: "zz-2025")
/// ```
public struct ClientCertificateStore: Sendable {
    public let database: ProvinceDatabase

    public init(database: ProvinceDatabase) { self.database = database }

    public struct Entry: Sendable, Encodable {
        /// SHA-256 of the DER certificate, 64 lower-case hex digits.
        public var fingerprint: String
        public var region: String
        public var name: String
        /// The certificate's subject common name, for people reading `cert list`.
        public var subject: String
        public var notAfter: String
        public var createdAt: String
        public var revokedAt: String?
    }

    /// Registers the first certificate of a PEM file for `region`. Refuses a certificate that is
    /// registered already (a revoked one stays revoked: issue a new certificate instead).
    public func add(pem: [UInt8], file: String, region: String, name: String) async throws -> Entry {
        let certificate: NIOSSLCertificate
        do {
            guard let first = try NIOSSLCertificate.fromPEMBytes(pem).first else { throw ServiceError.badRequest("\(file) holds no PEM certificate") }
            certificate = first
        } catch let error as ServiceError { throw error } catch {
            throw ServiceError.badRequest("\(file) is not a PEM certificate (\(error))")
        }
        let entry = Entry(fingerprint: try Self.fingerprint(certificate), region: region, name: name, subject: Self.subject(certificate),
                          notAfter: Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter)).formatted(.iso8601),
                          createdAt: Date().formatted(.iso8601))
        return try await database.write { register in
            if let existing = try register.certificate(fingerprint: entry.fingerprint).map(Self.entry) {
                throw ServiceError.conflict(existing.revokedAt == nil
                    ? "\(file) is registered already, as \(existing.name) for \(existing.region)"
                    : "\(file) was revoked on \(existing.revokedAt!.prefix(10)) (\(existing.name)); a revoked certificate stays revoked: issue a new one")
            }
            try register.insertCertificate(StoredCertificate(fingerprint: entry.fingerprint, region: entry.region, name: entry.name, subject: entry.subject,
                                                             notAfter: entry.notAfter, createdAt: entry.createdAt))
            return entry
        }
    }

    /// The bureau a verified client certificate stands for; 401 naming the certificate when it
    /// is not registered or was revoked.
    public func authenticate(_ certificate: NIOSSLCertificate) async throws -> Principal {
        let fingerprint = try Self.fingerprint(certificate)
        let found = try await database.read { register in try register.certificate(fingerprint: fingerprint).map(Self.entry) }
        let described = "client certificate \(Self.subject(certificate)) (SHA-256 \(fingerprint.prefix(16))…)"
        guard let found else {
            throw ServiceError.unauthorized("\(described) is not registered: the province registers it with `esync-aggregator cert add --region CODE --name NAME FILE.pem`")
        }
        if let revoked = found.revokedAt {
            throw ServiceError.unauthorized("\(described) was revoked on \(revoked.prefix(10))")
        }
        return Principal(role: .bureau, region: found.region, name: "certificate \(found.name)", certificate: found.fingerprint)
    }

    public func list() async throws -> [Entry] {
        try await database.read { register in try register.certificates().map(Self.entry) }
    }

    /// Revokes the active certificate whose fingerprint starts with `selector` (at least 16 hex
    /// digits; colons and case as `openssl` prints them are fine); nil if there is none. It stops
    /// working on the next request.
    public func revoke(selector: String) async throws -> Entry? {
        let now = Date().formatted(.iso8601)
        return try await database.write { register in
            guard var entry = try Self.active(selector, register: register).map(Self.entry) else { return nil }
            try register.revokeCertificate(fingerprint: entry.fingerprint, at: now)
            entry.revokedAt = now
            return entry
        }
    }

    /// The one active certificate whose fingerprint starts with `selector` (at least 16 hex
    /// digits), nil when none; throws when `selector` is not a fingerprint or is ambiguous.
    static func active(_ selector: String, register: any RegisterTransaction) throws -> StoredCertificate? {
        let prefix = normalized(selector)
        guard prefix.count >= 16, prefix.allSatisfy(\.isHexDigit) else {
            throw ServiceError.badRequest("\(selector) is not a certificate fingerprint: give at least its first 16 hex digits, as `cert list` shows them")
        }
        let matches = try register.activeCertificates(prefix: prefix)
        guard matches.count <= 1 else { throw ServiceError.conflict("\(selector) matches \(matches.count) certificates: give more of the fingerprint") }
        return matches.first
    }

    static func entry(_ c: StoredCertificate) -> Entry {
        Entry(fingerprint: c.fingerprint, region: c.region, name: c.name, subject: c.subject, notAfter: c.notAfter, createdAt: c.createdAt,
              revokedAt: c.revokedAt)
    }

    static func fingerprint(_ certificate: NIOSSLCertificate) throws -> String {
        SHA256.hash(data: try certificate.toDERBytes()).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// `AB:CD:…` or `abcd…` as the stored lower-case hex.
    static func normalized(_ fingerprint: String) -> String {
        String(fingerprint.lowercased().filter { $0 != ":" })
    }

    static func subject(_ certificate: NIOSSLCertificate) -> String {
        let names = certificate.subjectName
        if let commonName = names.first(where: { $0.type == .commonName }) { return "CN=\(commonName.value)" }
        return names.first.map(\.value) ?? "(no subject)"
    }
}
