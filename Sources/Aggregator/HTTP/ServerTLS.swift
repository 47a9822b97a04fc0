import Foundation
import NIOSSL

/// The aggregator's TLS settings, read from the PEM files `tls.*` names. Everything that can be
/// wrong with them is found here, when `serve` starts, and named by key and file: a server that
/// starts is a server whose handshake works.
enum ServerTLS {
    static func configuration(_ files: AggregatorConfig.TLSFiles) throws(ConfigError) -> TLSConfiguration {
        let chain = try certificates("tls.cert", files.certPath)
        let keyBytes = try read("tls.key", files.keyPath)
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem) } catch {
            throw ConfigError("tls.key: \(files.keyPath) is not an unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // NIOSSL's default accepts TLS 1.0 and 1.1 (RFC 8996 deprecates them: SHA-1 in the
        // handshake, CBC ciphers only). Every agent is libcurl on a supported OS and every browser
        // speaks 1.2, so nothing that should reach the province needs less.
        configuration.minimumTLSVersion = .tlsv12
        if let clientCAPath = files.clientCAPath {
            configuration.trustRoots = .certificates(try certificates("tls.clientCA", clientCAPath))
            // Asked for, not required: a bureau without a certificate still signs in with its
            // token. A certificate that is presented must chain to this CA, or the handshake fails.
            configuration.certificateVerification = .optionalVerification
        }
        do { _ = try NIOSSLContext(configuration: configuration) } catch {
            throw ConfigError("tls.key: \(files.keyPath) does not fit the certificate in tls.cert \(files.certPath) (\(error))")
        }
        return configuration
    }

    static func certificates(_ key: String, _ path: String) throws(ConfigError) -> [NIOSSLCertificate] {
        let bytes = try read(key, path)
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMBytes(bytes) } catch {
            throw ConfigError("\(key): \(path) is not a PEM certificate file (\(error))")
        }
        guard !chain.isEmpty else { throw ConfigError("\(key): \(path) holds no PEM certificate") }
        return chain
    }

    static func read(_ key: String, _ path: String) throws(ConfigError) -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw ConfigError("\(key): \(path) does not exist") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("\(key): \(path) cannot be read (check its permissions for the aggregator's user)")
        }
        return Array(data)
    }
}
