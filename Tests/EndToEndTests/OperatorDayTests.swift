#if canImport(Glibc)
import Glibc
#endif
@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Issue 20, "A bureau operator's and a reviewer's day": traps that were silently accepted and
/// messages that did not tell the truth, each through the real binaries.
@Suite(.serialized) struct OperatorDayTests {
    let temporary = TemporaryFolder("e2e-operator-day")

    /// A config file of its own in a fresh folder (no aggregator started).
    func configFile(_ name: String, _ text: String) throws -> (folder: String, path: String) {
        let folder = try temporary.subfolder(name)
        try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        return (folder, folder + "/" + name)
    }

    /// A province and the bureau of 410100 with one record both hold.
    func oneRecord(_ name: String, seed: UInt64) throws -> (province: AggregatorProcess, bureau: AgentHandle, code: String) {
        let province = try AggregatorProcess(regions: ["410100"], name: name)
        let bureau = try AgentHandle(region: "410100", aggregator: province)
        let code = try bureau.generate(1, seed: seed)[0]
        let sync = try bureau.agent(["sync"])
        guard sync.status == 0 else { throw HarnessError("sync: \(sync)") }
        return (province, bureau, code)
    }

    /// `gaurd:` and `sessionIdleMinute:` used to be ignored with exit 0: the guard and the
    /// session length silently stayed at their defaults. Every command refuses the file (exit 2)
    /// naming each unknown key's line and the nearest known key, before it opens the database.
    @Test func aTypoInTheAggregatorConfigNamesTheLineAndTheNearestKey() throws {
        let (folder, path) = try configFile("aggregator.yaml", """
            listen: { host: 127.0.0.1, port: 0 }
            database: { path: province.sqlite }
            gaurd:
              maxChangeShare: 0.5
            review:
              sessionIdleMinute: 30
            """)
        for command in [["token", "add", "--reviewer", "wang", "--by", "ops"], ["token", "list"], ["serve"]] {
            let result = try run(Binaries.aggregator, command + ["--config", path], in: folder, killAfter: 20)
            #expect(result.status == 2, "\(command): \(result)")
            #expect(result.stderr.contains("\(path):3: unknown key gaurd; did you mean guard?"), "\(command): \(result)")
            #expect(result.stderr.contains("\(path):6: unknown key review.sessionIdleMinute; did you mean review.sessionIdleMinutes?"), "\(command): \(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/province.sqlite"), "a register was made from a refused config")

        // Free keys (a region's share), dotted keys and flow mappings are keys like any other.
        let good = try configFile("aggregator.yaml", """
            listen.trustedProxies: ["127.0.0.1"]
            database: { path: province.sqlite }
            report:
              regionShares: { "410100": 0.2, "419001": 0.02 }
            """)
        let accepted = try run(Binaries.aggregator, ["token", "add", "--reviewer", "wang", "--by", "ops", "--config", good.path], in: good.folder)
        #expect(accepted.status == 0, "\(accepted)")
        // A share for a code that is no region was silently ignored.
        let (badFolder, badShare) = try configFile("aggregator.yaml", """
            database: { path: province.sqlite }
            report:
              regionShares:
                "410000": 0.2
            """)
        let refused = try run(Binaries.aggregator, ["token", "list", "--config", badShare], in: badFolder)
        #expect(refused.status == 2 && refused.stderr.contains("\(badShare):4: report.regionShares.410000: 410000 is not one of the 18 regions"), "\(refused)")
    }

    /// The same for the agent: `intervalSecond:` left the daemon on its 300 s default.
    @Test func aTypoInTheAgentConfigNamesTheLineAndTheNearestKey() throws {
        let (folder, path) = try configFile("agent.yaml", """
            region: "410100"
            store: store
            server: { url: "http://127.0.0.1:9" }
            sync:
              intervalSecond: 5
              settleSecnds: 1
            """)
        let initialise = try run(Binaries.agent, ["init", "--config", path], in: folder)
        #expect(initialise.status == 2, "\(initialise)")
        #expect(initialise.stderr.contains("\(path):5: unknown key sync.intervalSecond; did you mean sync.intervalSeconds?"), "\(initialise)")
        #expect(initialise.stderr.contains("\(path):6: unknown key sync.settleSecnds; did you mean sync.settleSeconds?"), "\(initialise)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/store"), "a store was made from a refused config")
        let json = try run(Binaries.agent, ["status", "--json", "--config", path], in: folder)
        let error = try JSONValue.parse(json.stdout)["error"]
        #expect(json.status == 2 && error?["exitCode"] == 2 && error?["message"]?.stringValue?.contains("sync.intervalSecond") == true, "\(json)")

        // A key put in the wrong section is found by its name.
        let (elsewhere, misplaced) = try configFile("agent.yaml", "region: \"410100\"\nstore: store\nintervalSeconds: 5\n")
        let result = try run(Binaries.agent, ["init", "--config", misplaced], in: elsewhere)
        #expect(result.status == 2 && result.stderr.contains("\(misplaced):3: unknown key intervalSeconds; did you mean sync.intervalSeconds?"), "\(result)")
    }

    /// A bad `ESYNC_LISTEN_PORT` was reported as the file's; the blame goes to the variable,
    /// and a bad value in the file names its line.
    @Test func aBadValueIsBlamedOnTheVariableOrTheFileLineThatGaveIt() throws {
        let (folder, path) = try configFile("aggregator.yaml", "database: { path: province.sqlite }\nlisten:\n  port: 8080\n")
        let fromVariable = try run(Binaries.aggregator, ["token", "list", "--config", path], environment: ["ESYNC_LISTEN_PORT": "80a"], in: folder)
        #expect(fromVariable.status == 2, "\(fromVariable)")
        #expect(fromVariable.stderr.contains("environment variable ESYNC_LISTEN_PORT: listen.port must be an integer in 0…65535, found \"80a\""), "\(fromVariable)")
        #expect(!fromVariable.stderr.contains(path), "the file is blamed: \(fromVariable)")

        try "database: { path: province.sqlite }\nlisten:\n  port: 80a\n".write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try run(Binaries.aggregator, ["token", "list", "--config", path], in: folder)
        #expect(fromFile.status == 2 && fromFile.stderr.contains("\(path):3: listen.port must be an integer"), "\(fromFile)")

        let (agentFolder, agentPath) = try configFile("agent.yaml", "region: \"410100\"\nstore: store\n")
        let agent = try run(Binaries.agent, ["init", "--config", agentPath], environment: ["ESYNC_SYNC_INTERVAL_SECONDS": "soon"], in: agentFolder)
        #expect(agent.status == 2, "\(agent)")
        #expect(agent.stderr.contains("environment variable ESYNC_SYNC_INTERVAL_SECONDS: sync.intervalSeconds must be a non-negative number, found \"soon\""), "\(agent)")
        let region = try run(Binaries.agent, ["init", "--config", agentPath], environment: ["ESYNC_REGION": "410000"], in: agentFolder)
        #expect(region.status == 2 && region.stderr.contains("environment variable ESYNC_REGION: region 410000 is not one of the 18 regions"), "\(region)")
    }

    /// `records set CODE name=洛阳…` (text without its quotes) was reported as the character 'æ':
    /// the first byte of 洛 read as a character of its own. The same parser reads the bureau's
    /// record files, so `esync-agent record validate` named it the same way.
    @Test func aJSONErrorNamesTheWholeCharacter() throws {
        let (province, zz, code) = try oneRecord("json-character", seed: 204)
        defer { province.stop() }
        let unquoted = try province.cli(["records", "set", code, "name=洛阳市某公司", "--by", "wang"])
        #expect(unquoted.status == 2 && unquoted.stderr.contains("unexpected character '洛'"), "\(unquoted)")
        #expect(!unquoted.stderr.contains("æ"), "a byte printed as a character: \(unquoted.stderr)")

        try "{\"uscc\": 洛}".write(toFile: zz.recordPath(code), atomically: true, encoding: .utf8)
        let validate = try zz.agent(["record", "validate"])
        #expect(validate.status == 3 && validate.stdout.contains("unexpected character '洛'") && !validate.stdout.contains("æ"), "\(validate)")
    }

    /// `records set CODE employes=5` created a field `employes` that then reached the bureau.
    /// A bureau's record may carry members this version does not know (a newer agent's field
    /// is kept, not lost), but a person at the command line means a field that exists.
    @Test func recordsSetRefusesAnUnknownFieldNamingTheNearestOne() throws {
        let (province, zz, code) = try oneRecord("unknown-field", seed: 201)
        defer { province.stop() }
        let before = try province.record(code).revision

        let cases: [(String, String)] = [
            ("employes=5", "employes is not a record field; did you mean employees?"),
            (#"contact.phon="0371-1""#, "contact.phon is not a record field; did you mean contact.phone?"),
            (#"contact={"phon":"0371-1"}"#, "contact.phon is not a record field; did you mean contact.phone?"),
            (#"srdi={"year":2025,"bach":2}"#, "srdi.bach is not a record field; did you mean srdi.batch?"),
        ]
        for (assignment, message) in cases {
            let result = try province.cli(["records", "set", code, "employees=6", assignment, "--by", "wang"])
            #expect(result.status == 2 && result.stderr.contains(message), "\(assignment): \(result)")
        }
        #expect(try province.record(code).revision == before, "a refused edit was written, or part of it")
        #expect(try zz.agent(["pull"]).status == 0)
        #expect(try zz.readRecord(code)["employes"] == nil)
        #expect(try province.cli(["records", "set", code, "employees=6", #"contact.phone="0371-1""#, "--by", "wang"]).status == 0)
    }

    /// A province edit from the command line was recorded under the Unix login (`root` under
    /// sudo, `esync` under systemd): it is `--by`, else `cli.by` of the config (or
    /// `ESYNC_CLI_BY`), and without either the edit is refused. The same for every command
    /// that records who acted: decisions, imports, key registrations.
    @Test func aCommandLineEditIsAttributedToByOrTheConfiguredNameNeverTheLogin() throws {
        let (province, _, code) = try oneRecord("attribution", seed: 202)
        defer { province.stop() }
        // The same register through a config that names nobody.
        let anonymous = province.folder + "/anonymous.yaml"
        try "\(province.databaseYAML)\n".write(toFile: anonymous, atomically: true, encoding: .utf8)
        let list = province.folder + "/srdi.csv"
        try "\(code)\n".write(toFile: list, atomically: true, encoding: .utf8)
        for command in [["records", "set", code, "employees=7"], ["designations", "import", "--kind", "srdi", "--year", "2025", list],
                        ["conflicts", "reopen", "1"], ["changesets", "refuse", "x", "--note", "n"],
                        ["token", "key", "--selector", province.selector("410100"), "--reset-chain"]] {
            let refused = try run(Binaries.aggregator, command + ["--config", anonymous], in: province.folder)
            #expect(refused.status == 2 && refused.stderr.contains("--by NAME") && refused.stderr.contains("cli.by"), "\(command): \(refused)")
        }
        #expect(try province.record(code).document["srdi"] == nil)

        let byVariable = try run(Binaries.aggregator, ["records", "set", code, "employees=8", "--config", anonymous],
                                 environment: ["ESYNC_CLI_BY": "赵敏"], in: province.folder)
        #expect(byVariable.status == 0, "\(byVariable)")
        #expect(try province.record(code).provenance["employees"]?.source == "reviewer:赵敏")
        try "\(province.databaseYAML)\ncli: { by: 李娜 }\n".write(toFile: anonymous, atomically: true, encoding: .utf8)
        #expect(try run(Binaries.aggregator, ["records", "set", code, "employees=9", "--config", anonymous], in: province.folder).status == 0)
        #expect(try province.record(code).provenance["employees"]?.source == "reviewer:李娜")
        #expect(try province.cli(["records", "set", code, "employees=10", "--by", "wang"]).status == 0)
        #expect(try province.record(code).provenance["employees"]?.source == "reviewer:wang")
    }

    /// A typo in `database.path` gave a fresh, empty register without a word. A folder that
    /// does not exist is refused (exit 2) with the command that makes it; a new file in an
    /// existing folder is announced; other commands do not make one at all.
    @Test func aMissingDatabaseFolderIsRefusedAndANewRegisterIsAnnounced() throws {
        let (folder, path) = try configFile("aggregator.yaml", "listen: { host: 127.0.0.1, port: 0 }\ndatabase: { path: registr/province.sqlite }\n")
        for command in [["token", "add", "--reviewer", "wang"], ["serve"]] {
            let result = try run(Binaries.aggregator, command + ["--config", path], in: folder, killAfter: 20)
            #expect(result.status == 2, "\(command): \(result)")
            #expect(result.stderr.contains("\(folder)/registr") && result.stderr.contains("mkdir -p \(folder)/registr"), "\(command): \(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/registr"), "the folder was made")

        try "database: { path: province.sqlite }\n".write(toFile: path, atomically: true, encoding: .utf8)
        let list = try run(Binaries.aggregator, ["token", "list", "--config", path], in: folder)
        #expect(list.status == 2 && list.stderr.contains("no register at \(folder)/province.sqlite"), "\(list)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/province.sqlite"))
        let first = try run(Binaries.aggregator, ["token", "add", "--reviewer", "wang", "--config", path], in: folder)
        #expect(first.status == 0 && first.stderr.contains("created a new register at \(folder)/province.sqlite"), "\(first)")
        let second = try run(Binaries.aggregator, ["token", "add", "--reviewer", "li", "--config", path], in: folder)
        #expect(second.status == 0 && !second.stderr.contains("created"), "\(second)")
    }

    /// `serve` on a port in use printed a raw `bind(descriptor:…)` error with exit 1.
    @Test func serveOnAPortInUseNamesHostAndPort() throws {
        let province = try AggregatorProcess(regions: [], name: "port-in-use")
        defer { province.stop() }
        let port = String(province.url.split(separator: ":").last ?? "")
        let second = try run(Binaries.aggregator, ["serve", "--config", province.configPath, "--port", port], in: province.folder, killAfter: 20)
        #expect(second.status == 2, "\(second)")
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(port)") && second.stderr.contains("in use"), "\(second)")
        #expect(!second.stderr.contains("bind(descriptor"), "\(second)")
    }

    /// `--version` was an unknown option (exit 2). Both binaries say which version they are: the
    /// one the agent names itself with to the province.
    @Test func bothBinariesPrintTheirVersion() throws {
        let folder = try temporary.subfolder("version")
        let agent = try run(Binaries.agent, ["--version"], in: folder)
        let aggregator = try run(Binaries.aggregator, ["--version"], in: folder)
        let version = try #require(agent.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(agent.status == 0 && agent.stdout == "esync-agent \(version)\n", "\(agent)")
        #expect(aggregator.status == 0 && aggregator.stdout == "esync-aggregator \(version)\n", "\(aggregator)")
        #expect(version.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil, "\(version)")
        let (province, _, _) = try oneRecord("version", seed: 205)
        defer { province.stop() }
        let regions = try province.cli(["regions", "--json"])
        #expect(regions.stdout.contains("\"esync-agent/\(version)\""), "\(regions)")
    }

    /// `1 records sent in 1 change sets`: one is singular, everywhere the two CLIs count.
    @Test func oneIsSingular() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "plural")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let code = try zz.generate(1, seed: 203)[0]
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0 && sync.stdout.contains("push: 1 record sent in 1 change set, 1 applied"), "\(sync)")
        // (Its own revision does not come back: every answer merged, the pull leaves it out.)
        #expect(sync.stdout.contains("pull: 0 records received"), "\(sync)")
        #expect(try province.cli(["records", "set", code, "employees=5"]).status == 0)
        let pull = try zz.agent(["pull"])
        #expect(pull.stdout.contains("pull: 1 record received, 1 merged"), "\(pull)")
        try zz.edit(code, ["employees": 77])
        let push = try zz.agent(["push"])
        #expect(push.stdout.contains("1 record sent in 1 change set") && push.stderr.contains("with 1 record"), "\(push)")
        let validate = try zz.agent(["record", "validate", zz.recordPath(code)])
        #expect(validate.stdout.contains("1 file checked, 0 errors"), "\(validate)")
        let export = try province.cli(["records", "export", "-o", province.folder + "/all.csv"])
        #expect(export.status == 0 && export.stderr.contains("exported 1 record to"), "\(export)")
        for output in [sync.stdout, sync.stderr, push.stdout, push.stderr, validate.stdout, export.stderr] {
            #expect(output.range(of: #"\b1 (records|change sets|files|fields|requests|regions|conflicts)\b"#, options: .regularExpression) == nil, "\(output)")
        }
    }

    /// `conflicts list --status opne` said "no opne conflicts", as if there were none; `--wait`
    /// was offered by commands that never wait for the lock; `regions` marked regions stale
    /// after 24 hours whatever `review.staleAfterHours` said, unlike /review/regions.
    @Test func optionsDoWhatTheirHelpSays() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "options", config: "review: { staleAfterHours: 1000000 }\n")
        defer { province.stop() }
        for (command, message) in [(["conflicts", "list", "--status", "opne"], "--status must be open, resolved, auto, withdrawn or all, found opne; did you mean open?"),
                                   (["conflicts", "list", "--kind", "delet"], "did you mean delete?"),
                                   (["changesets", "list", "--status", "hold"], "did you mean held?")] {
            let result = try province.cli(command)
            #expect(result.status == 2 && result.stderr.contains(message), "\(command): \(result)")
        }
        #expect(try province.cli(["conflicts", "list", "--status", "withdrawn"]).status == 0)
        let regions = try province.cli(["regions"])
        #expect(regions.stdout.contains("(no push or pull in 1000000 h)"), "\(regions)")
        #expect(try province.cli(["regions", "--stale-after-hours", "2"]).stdout.contains("(no push or pull in 2 h)"))
        let folder = try temporary.subfolder("wait")
        for command in [["status"], ["diff"], ["init"], ["run"], ["record", "get"], ["record", "validate"], ["record", "export"]] {
            let help = try run(Binaries.agent, command + ["--help"], in: folder)
            #expect(!help.stdout.contains("--wait"), "\(command) offers --wait but never waits for the lock")
        }
        for command in [["push"], ["pull"], ["sync"], ["key"], ["verify"], ["reconcile"], ["record", "put"], ["record", "import"], ["record", "generate"]] {
            #expect(try run(Binaries.agent, command + ["--help"], in: folder).stdout.contains("--wait"), "\(command)")
        }
    }

    /// The README's command tables and each command's --help name the same options: an option
    /// the README names exists, and every option a command has is in its README row (`--config`,
    /// `--wait` and `--help`, which every command of a binary has, are said once above the tables).
    @Test func theReadmeTablesAndTheHelpNameTheSameOptions() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let folder = try temporary.subfolder("help")
        for (binary, heading) in [(Binaries.agent, "### Agent commands"), (Binaries.aggregator, "### Aggregator commands")] {
            let table = try #require(readme.components(separatedBy: heading + "\n").dropFirst().first?.components(separatedBy: "\n\n").first)
            let rootHelp = try run(binary, ["--help"], in: folder).stdout
            var documented: [String: Set<String>] = [:]
            var group = ""
            for row in table.split(separator: "\n") where row.hasPrefix("| `") {
                // The first cell: one or more `usage` spans, separated by " / ".
                let cell = String(row.dropFirst(2)).components(separatedBy: " | ")[0]
                for (offset, span) in cell.components(separatedBy: "`").enumerated() where offset % 2 == 1 {
                    let tokens = span.split(whereSeparator: { " []\\|…".contains($0) }).map(String.init)
                    var command = Array(tokens.prefix { $0.allSatisfy { $0 >= "a" && $0 <= "z" } })
                    guard let first = command.first else { continue }
                    // `changesets list` / `approve ID`: a span without its group continues the one before.
                    if rootHelp.contains("\n  \(first) ") { group = first } else { command.insert(group, at: 0) }
                    let options = tokens.filter { $0.range(of: #"^--?[a-z][a-z-]*$"#, options: .regularExpression) != nil }
                    documented[command.joined(separator: " "), default: []].formUnion(options)
                }
            }
            #expect(documented.count > 10, "\(heading): \(documented)")
            for command in try Self.leafCommands(binary, in: folder) where documented[command] == nil {
                Issue.record("`\(command)` has no row in the README's \(heading)")
            }
            for (command, options) in documented.sorted(by: { $0.key < $1.key }) {
                let help = try run(binary, command.split(separator: " ").map(String.init) + ["--help"], in: folder)
                #expect(help.status == 0, "\(command): \(help)")
                var offered: Set<String> = []
                var alias: [String: String] = [:]
                for line in help.stdout.split(separator: "\n") where line.hasPrefix("  -") {
                    let names = line.split(separator: " ").prefix { $0.hasPrefix("-") }.map { $0.trimmingCharacters(in: [","]) }
                    offered.formUnion(names)
                    if names.count == 2 { alias[names[0]] = names[1]; alias[names[1]] = names[0] }
                }
                offered.subtract(["-h", "--help", "--version", "--config", "--wait"])
                for option in options.sorted() where !offered.contains(option) {
                    Issue.record("README names \(option) for `\(command)`, which its --help does not offer")
                }
                for option in offered.sorted() where !options.contains(option) && !options.contains(alias[option] ?? "") {
                    Issue.record("`\(command)` offers \(option), which its README row does not name")
                }
            }
        }
    }

    /// Every command that does something (not a group of them), as "group command".
    static func leafCommands(_ binary: String, _ path: [String] = [], in folder: String) throws -> [String] {
        let help = try run(binary, path + ["--help"], in: folder).stdout
        guard let list = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { return [path.joined(separator: " ")] }
        let names = list.split(separator: "\n").compactMap { line -> String? in
            // "  name   abstract", not a wrapped line of an abstract nor "  See 'help …'".
            guard line.hasPrefix("  "), line.dropFirst(2).first?.isLowercase == true else { return nil }
            return String(line.dropFirst(2).prefix { $0 != " " })
        }
        return try names.filter { $0 != "help" }.flatMap { try leafCommands(binary, path + [$0], in: folder) }
    }
}
