@testable import EndToEndSupport
import Foundation

/// Certificates made with `openssl` at test time (EC P-256, valid two days), in a folder of
/// their own: a province CA, a server certificate for 127.0.0.1 / localhost signed by it, client
/// certificates for bureaus, a second CA nobody trusts, and a self-signed server certificate.
struct TestPKI: Sendable {
    let folder: String

    /// A certificate and its key, as PEM files.
    struct Pair: Sendable {
        var cert: String
        var key: String
    }

    var ca: String { folder + "/ca.pem" }
    var otherCA: String { folder + "/other-ca.pem" }
    var server: Pair { Pair(cert: folder + "/server.pem", key: folder + "/server.key") }
    var selfSigned: Pair { Pair(cert: folder + "/self-signed.pem", key: folder + "/self-signed.key") }

    /// `parent`: the test's folder, which removes this one with it.
    init(name: String, in parent: TemporaryFolder) throws {
        folder = try parent.subfolder(name)
        try Self.makeCA("ca", in: folder)
        try Self.makeCA("other-ca", in: folder)
        try issue("server", subject: "127.0.0.1", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth")
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                          "-keyout", folder + "/self-signed.key", "-out", folder + "/self-signed.pem", "-subj", "/CN=127.0.0.1",
                          "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], in: folder)
    }

    /// A bureau's client certificate, signed by the province CA (or by `issuer`).
    func client(_ name: String, issuer: String = "ca") throws -> Pair {
        try issue(name, subject: name, extensions: "extendedKeyUsage=clientAuth", issuer: issuer)
    }

    @discardableResult
    func issue(_ name: String, subject: String, extensions: String, issuer: String = "ca") throws -> Pair {
        try (extensions + "\nbasicConstraints=CA:FALSE\n").write(toFile: folder + "/\(name).ext", atomically: true, encoding: .utf8)
        let file = folder + "/" + name, issuer = folder + "/" + issuer
        try Self.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", "\(file).key", "-out", "\(file).csr", "-subj", "/CN=\(subject)"], in: folder)
        try Self.openssl(["x509", "-req", "-in", "\(file).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key",
                          "-set_serial", "0x" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16),
                          "-days", "2", "-extfile", "\(file).ext", "-out", "\(file).pem"], in: folder)
        return Pair(cert: folder + "/\(name).pem", key: folder + "/\(name).key")
    }

    static func makeCA(_ name: String, in folder: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                     "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).pem", "-subj", "/CN=EnterpriseSync test \(name)",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: folder)
    }

    static func openssl(_ arguments: [String], in folder: String) throws {
        let result = try run("/usr/bin/openssl", arguments, in: folder)
        guard result.status == 0 else { throw HarnessError("openssl \(arguments.joined(separator: " ")): \(result)") }
    }
}
