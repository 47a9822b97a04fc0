@testable import Aggregator
import ConfigSupport
import EndToEndSupport
import Foundation
import Testing

/// Config/aggregator.yaml is what Deploy/install.sh copies to /etc/esync: what it says is what
/// an operator gets who only fills in the TLS section.
@Suite struct ShippedConfigTests {
    let temporary = TemporaryFolder("shipped-config")
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/aggregator.yaml").path

    /// The shipped file with its `tls:` section filled in, in a folder of its own.
    func shippedWithTLS() throws -> String {
        let folder = temporary.path
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

/// The aggregator's config keys: the list `AggregatorConfig.keys` declares is what `from`
/// reads and what the shipped file documents.
@Suite struct AggregatorConfigKeysTests {
    let temporary = TemporaryFolder("aggregator-keys")
    /// A key declared but not read would be accepted and change nothing.
    @Test func everyDeclaredKeyIsRead() async throws {
        let path = temporary.path + "/aggregator.yaml"
        try ConfigFile.uncommentingKeys(try String(contentsOfFile: ShippedConfigTests.shipped, encoding: .utf8))
            .write(toFile: path, atomically: true, encoding: .utf8)
        let values = try await ConfigValues.load(path: path, keys: AggregatorConfig.keys, environment: [:])
        let config = try AggregatorConfig.from(values)
        #expect(values.unread.isEmpty, "declared, never read: \(values.unread)")
        // The commented-out keys were put back, and each is read as the file says.
        #expect(config.tls?.clientCAPath != nil && config.policyPath != nil && config.trustedProxies == ["127.0.0.1"])
        #expect(config.report.regionShares == ["410100": 0.2, "419001": 0.02])
    }

    @Test func eachKeysVariableOverridesIt() async throws {
        let path = temporary.path + "/aggregator.yaml"
        try "database: { path: province.sqlite }\n".write(toFile: path, atomically: true, encoding: .utf8)
        for key in AggregatorConfig.keys.paths where !key.hasSuffix(".*") {
            let variable = ConfigValues.variable(for: key)
            let values = try await ConfigValues.load(path: path, keys: AggregatorConfig.keys, environment: [variable: "x"])
            #expect(values.string(key) == "x", "\(key) → \(variable)")
        }
        #expect(ConfigValues.variable(for: "report.regionShares.410100") == "ESYNC_REPORT_REGION_SHARES_410100")
    }
}
