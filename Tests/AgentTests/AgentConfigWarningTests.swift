@testable import Agent
import Foundation
import Testing

/// Which `server.url` the agent warns about: plain HTTP to anything but this machine, where the
/// bureau token would cross a network in clear text.
@Suite struct AgentConfigWarningTests {
    func warnings(_ url: String?) -> [String] {
        var config = AgentConfig(configPath: "/etc/esync/agent.yaml", region: "410100", storePath: "/var/lib/esync/store")
        config.serverURL = url
        return config.securityWarnings()
    }

    @Test(arguments: [
        "http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:8080/", "HTTP://LocalHost", "http://localhost.",
        "http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]", "http://[::ffff:127.0.0.1]:80", "http://user:pw@127.0.0.1:8080/x",
        "https://10.0.0.5", "https://province.example.gov.cn:8443", "HTTPS://Province",
    ])
    func loopbackOrHTTPSIsQuiet(_ url: String) {
        #expect(warnings(url).isEmpty, "\(url)")
        #expect(AgentConfig.plainHTTPHost(url) == nil, "\(url)")
    }

    @Test(arguments: [
        ("http://10.0.0.5:8080", "10.0.0.5"), ("http://province.example.gov.cn", "province.example.gov.cn"),
        ("Http://Province/", "Province"), ("http://[2001:db8::1]:80", "2001:db8::1"), ("http://128.0.0.1", "128.0.0.1"),
        ("http://127.0.0.1.evil.example", "127.0.0.1.evil.example"), ("http://localhost.evil.example:8080", "localhost.evil.example"),
        ("http://127.0.0.1@192.0.2.1", "192.0.2.1"), ("http://0.0.0.0:8080", "0.0.0.0"),
    ])
    func plainHTTPToAnotherHostIsWarnedAbout(_ url: String, _ host: String) {
        #expect(AgentConfig.plainHTTPHost(url) == host, "\(url)")
        let found = warnings(url)
        #expect(found.count == 1 && found[0].contains("server.url \(url) is plain HTTP to another machine (\(host))")
                && found[0].contains("clear text"), "\(found)")
    }

    @Test func noURLIsNoWarning() {
        #expect(warnings(nil).isEmpty)
    }
}
