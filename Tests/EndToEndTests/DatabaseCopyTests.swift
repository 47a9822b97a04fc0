@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import Testing

/// `esync-aggregator database copy --to postgresql://…` (issue 16): a province on its embedded
/// register, with records of two regions, edits, a conflict and signed chains, moves to
/// PostgreSQL; the real binary copies it into a real cluster, refuses a database that is not
/// empty and a register still in use, and the province then serves from the copy as if nothing
/// had happened: the bureaus verify as agreeing, go on pushing on their chains, and every
/// record, history and conflict reads as before.
@Suite(.serialized) struct DatabaseCopyTests {
    @Test(.enabled(if: PostgresCluster.installed, "needs PostgreSQL's server binaries (apt-get install postgresql)"))
    func anEmbeddedRegisterMovesToPostgreSQLAndServesTheSame() throws {
        let cluster = try PostgresCluster.get()
        let province = try AggregatorProcess(regions: ["410100", "410300"], name: "copy", backend: .sqlite)
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let ly = try AgentHandle(region: "410300", aggregator: province)
        let codes = try zz.generate(30, seed: 181)
        let luoyang = try ly.generate(20, seed: 182)
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try ly.agent(["sync"]).status == 0)
        // Edits on both sides, a province designation, and a rename on both sides: a conflict.
        for code in codes.prefix(5) { try zz.edit(code, ["employees": 77]) }
        #expect(try province.cli(["records", "set", codes[6], "employees=4321"]).status == 0)
        #expect(try province.cli(["records", "set", codes[7], #"name="省厅更正名称有限公司""#]).status == 0)
        try zz.edit(codes[7], ["name": "郑州市局更正名称有限公司"])
        #expect(try zz.agent(["sync"]).status == 0)
        try ly.edit(luoyang[0], ["employees": 88])
        #expect(try ly.agent(["sync"]).status == 0)
        let conflicts = try province.cli(["conflicts", "list", "--json"])
        #expect(conflicts.status == 0 && conflicts.stdout.contains(codes[7]), "\(conflicts)")
        let before = try readings(province, codes: [codes[0], codes[6], codes[7], luoyang[0]])

        // Not while serve has the register open.
        let target = try cluster.createDatabase("copy_target")
        let busy = try province.cli(["database", "copy", "--to", target])
        #expect(busy.status == 1 && busy.stderr.contains("is open in another esync-aggregator"), "\(busy)")
        province.stop()

        // Not into a database that holds anything, which is left as it was.
        let occupied = try cluster.createDatabase("copy_occupied")
        try cluster.psql(PostgresCluster.database(of: occupied), "CREATE TABLE payroll (id integer)")
        let refused = try province.cli(["database", "copy", "--to", occupied])
        #expect(refused.status == 2 && refused.stderr.contains("is not empty: it has 1 table (payroll)"), "\(refused)")
        #expect(try cluster.psql(PostgresCluster.database(of: occupied), "SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public'") == "payroll")

        let copied = try province.cli(["database", "copy", "--to", target])
        #expect(copied.status == 0, "\(copied)")
        #expect(copied.stdout.contains("410100 郑州市\t30 records") && copied.stdout.contains("410300 洛阳市\t20 records"), "\(copied.stdout)")
        #expect(copied.stdout.contains("and verified it") && copied.stdout.contains("2 regions, 50 live records"), "\(copied.stdout)")
        let database = PostgresCluster.database(of: target)
        for table in ["records", "history", "conflicts", "tokens", "changeset_chain", "changesets", "store_epochs", "register_identity"] {
            let rows = try province.sql("SELECT COUNT(*) FROM \(table)")
            #expect(try cluster.psql(database, "SELECT COUNT(*) FROM \(table)") == rows, "\(table)")
            #expect(copied.stdout.contains("  \(table)\t\(rows) rows"), "\(table): \(copied.stdout)")
        }
        #expect(try cluster.psql(database, "SELECT register || ' ' || generation FROM register_identity")
                    == province.sql("SELECT register || ' ' || generation FROM register_identity"))

        // The province on the copy: the same config with database.url instead of database.path.
        let config = try String(contentsOfFile: province.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "{ path: province.sqlite }", with: "{ url: \"\(target)\" }")
            .write(toFile: province.configPath, atomically: true, encoding: .utf8)
        try province.restart()
        let after = try readings(province, codes: [codes[0], codes[6], codes[7], luoyang[0]])
        for (command, shown) in before.sorted(by: { $0.key < $1.key }) {
            #expect(after[command] == shown, "\(command)\n--- on SQLite\n\(shown)\n--- on the copy\n\(after[command] ?? "")")
        }
        for bureau in [zz, ly] {
            let verified = try bureau.agent(["verify"])
            #expect(verified.status == 0, "\(bureau.region): \(verified)")
        }
        // The bureaus go on: their tokens, keys and chains were copied, and new rows get new ids.
        try zz.edit(codes[1], ["employees": 99])
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.record(codes[1]).document["employees"] == .int(99))
        let audit = try province.cli(["changesets", "verify"])
        #expect(audit.status == 0, "\(audit)")
        #expect(try province.cli(["token", "add", "--region", "410700"]).status == 0)
        #expect(try province.cli(["records", "set", codes[2], #"name="又一个名称有限公司""#]).status == 0)
        // The SQLite file is as it was: the province can go back to it.
        #expect(try province.sql("SELECT COUNT(*) FROM records") == "50")
    }

    /// What the province shows of some records, its conflicts and its report, by command.
    private func readings(_ province: AggregatorProcess, codes: [String]) throws -> [String: String] {
        var shown: [String: String] = [:]
        for arguments in codes.flatMap({ [["records", "get", $0], ["records", "history", $0, "--json"]] }) + [["conflicts", "list", "--json"], ["report", "--json"]] {
            let result = try province.cli(arguments)
            guard result.status == 0 else { throw HarnessError("\(arguments): \(result)") }
            // (The report says when it was made.)
            shown[arguments.joined(separator: " ")] = result.stdout.split(separator: "\n").filter { !$0.contains("\"generatedAt\"") }.joined(separator: "\n")
        }
        return shown
    }
}
