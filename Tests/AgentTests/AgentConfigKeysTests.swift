@testable import Agent
import ConfigSupport
import EndToEndSupport
import Foundation
import Testing

/// The agent's config keys: the list `AgentConfig.keys` declares is what `from` reads, what
/// the shipped file documents, and what the environment overrides.
@Suite struct AgentConfigKeysTests {
    let temporary = TemporaryFolder("agent-keys")
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/agent.yaml").path

    func write(_ text: String) throws -> String {
        let path = temporary.path + "/\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A key declared but not read would be accepted and change nothing: the trap of a typo,
    /// the other way round.
    @Test func everyDeclaredKeyIsRead() async throws {
        let values = try await ConfigValues.load(path: Self.shipped, keys: AgentConfig.keys, environment: [:])
        _ = try AgentConfig.from(values)
        #expect(values.unread.isEmpty, "declared, never read: \(values.unread)")
    }

    /// The shipped file with each commented-out key put back holds known keys only.
    @Test func theShippedFileWithItsCommentedKeysIsAccepted() async throws {
        let text = try String(contentsOfFile: Self.shipped, encoding: .utf8)
        let path = try write(ConfigFile.uncommentingKeys(text))
        #expect(ConfigFile.uncommentingKeys(text) != text)
        let values = try await ConfigValues.load(path: path, keys: AgentConfig.keys, environment: [:])
        let config = try AgentConfig.from(values)
        #expect(config.clientKey != nil && config.metricsFile != nil && config.maxAnswerBytes == 67_108_864)
    }

    /// `server.tokenFile` → `ESYNC_SERVER_TOKEN_FILE`: the name an error blames is the name
    /// swift-configuration reads.
    @Test func eachKeysVariableOverridesIt() async throws {
        let path = try write("region: \"410100\"\nstore: store\n")
        #expect(ConfigValues.variable(for: "server.tokenFile") == "ESYNC_SERVER_TOKEN_FILE")
        for key in AgentConfig.keys.paths {
            let variable = ConfigValues.variable(for: key)
            let values = try await ConfigValues.load(path: path, keys: AgentConfig.keys, environment: [variable: "x"])
            #expect(values.string(key) == "x", "\(key) → \(variable)")
            #expect(values.origin(key) == "environment variable \(variable)")
        }
    }

    /// `sync.changeSetsInFlight`: 1 to 4, anything else refused naming the line; 2 by default.
    @Test func changeSetsInFlightIsOneToFour() async throws {
        func config(_ value: String?) async throws -> AgentConfig {
            let path = try write("region: \"410100\"\nstore: store\n" + (value.map { "sync:\n  changeSetsInFlight: \($0)\n" } ?? ""))
            return try AgentConfig.from(try await ConfigValues.load(path: path, keys: AgentConfig.keys, environment: [:]))
        }
        #expect(try await config(nil).changeSetsInFlight == 2)
        #expect(try await config("1").changeSetsInFlight == 1)
        #expect(try await config("4").changeSetsInFlight == 4)
        for bad in ["0", "5", "1.5", "two"] {
            do {
                _ = try await config(bad)
                Issue.record("sync.changeSetsInFlight: \(bad) was accepted")
            } catch {
                #expect("\(error)".contains("sync.changeSetsInFlight") && "\(error)".contains(".yaml:4:"), "\(error)")
            }
        }
    }

    @Test func aFileWithAnUnknownOrDoubledKeyIsRefusedNamingEachLine() throws {
        let text = """
            region: "410100"
            store: store
            sync: { intervalSecond: 5 }
            server:
              url: http://127.0.0.1:8080
            server.url: http://127.0.0.1:9090
            log: debug
            metrics:
              file:
                path: x.prom
            """
        do {
            _ = try ConfigFile(path: "/a.yaml", text: text, keys: AgentConfig.keys)
            Issue.record("accepted")
        } catch {
            #expect(error.problems == [
                "/a.yaml:3: unknown key sync.intervalSecond; did you mean sync.intervalSeconds?",
                "/a.yaml:6: server.url is given twice (first on line 5); only one would count",
                "/a.yaml:7: log is a section; its keys are level",
                "/a.yaml:9: metrics.file takes a value, not keys below it",
            ])
        }
        // A section with every key commented out, and an empty file, are fine.
        _ = try ConfigFile(path: "/a.yaml", text: "region: \"410100\"\nmetrics:\n  # file: x.prom\n", keys: AgentConfig.keys)
        _ = try ConfigFile(path: "/a.yaml", text: "# nothing yet\n", keys: AgentConfig.keys)
        do { _ = try ConfigFile(path: "/a.yaml", text: "- region\n", keys: AgentConfig.keys); Issue.record("accepted") } catch {
            #expect(error.problems == ["/a.yaml:1: expected keys and values (key: value), found a list"])
        }
        do { _ = try ConfigFile(path: "/a.yaml", text: "regoin: x\nxyz: 1\n", keys: AgentConfig.keys); Issue.record("accepted") } catch {
            #expect(error.problems.first == "/a.yaml:1: unknown key regoin; did you mean region?")
            #expect(error.problems.last == "/a.yaml:2: unknown key xyz (the keys at the top are region, store, server, sync, log, metrics)")
        }
    }
}
