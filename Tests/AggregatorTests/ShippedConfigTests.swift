@testable import Aggregator
import Foundation
import Testing

/// Config/aggregator.yaml is what Deploy/install.sh copies to /etc/esync: what it says is what
/// an operator gets who only fills in the TLS section.
@Suite struct ShippedConfigTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/aggregator.yaml").path

    /// The shipped file with its `tls:` section filled in, in a folder of its own.
    func shippedWithTLS() throws -> String {
        let folder = NSTemporaryDirectory() + "esync-shipped-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.shipped, encoding: .utf8) + "\ntls:\n  cert: aggregator.pem\n  key: aggregator.key\n"
        try text.write(toFile: folder + "/aggregator.yaml", atomically: true, encoding: .utf8)
        return folder + "/aggregator.yaml"
    }

    /// An operator who turns TLS on in the shipped file gets Secure cookies: the file must not
    /// pin `review.secureCookie` to false, which would send the session over plain HTTP too.
    @Test func theShippedConfigWithTLSMarksTheCookiesSecure() async throws {
        let config = try await AggregatorConfig.load(path: try shippedWithTLS())
        #expect(config.tls != nil)
        #expect(config.reviewSecureCookie, "Config/aggregator.yaml must leave review.secureCookie unset so that TLS makes the cookies Secure")
    }

    @Test func theShippedConfigWithoutTLSLeavesThemPlain() async throws {
        let config = try await AggregatorConfig.load(path: Self.shipped)
        #expect(config.tls == nil && !config.reviewSecureCookie)
    }
}
