import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import SyncCore
import Foundation

struct ChangeSetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changesets",
        abstract: "Change sets: those held by the mass-change guard (list, approve, refuse); the signed log (verify, show).",
        discussion: """
            A change set that changes or deletes more than guard.maxChangeShare of its region's records (and at least \
            guard.minChanges) is held whole instead of applied. Approving applies it as the bureau sent it; refusing \
            refuses every record and tells the bureau why.

            Every change set the province accepts is logged with its hash and, when the bureau's token has a signing key, \
            the signature and the signed bytes: `verify` checks them all again, `show` prints one as the bureau signed it.
            """,
        subcommands: [List.self, Approve.self, Refuse.self, Verify.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List held change sets with a summary.")
        @OptionGroup var options: ConfigOption
        @Option(help: "held, approved, refused or all.") var status = "held"

        func validate() throws { try validateChoice(status, of: "--status", among: ["held", "approved", "refused", "all"]) }

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let list = try await MassChangeGuard.list(status: status == "all" ? nil : status, database: database)
                if list.isEmpty { print("no \(status == "all" ? "" : status + " ")change sets"); return }
                var rows = [["CHANGE SET", "REGION", "RECEIVED", "RECORDS", "CHANGES EXISTING", "STATUS", "SUMMARY"]]
                for h in list {
                    rows.append([h.id, "\(h.region) \(Regions.region(code: h.region)?.name ?? "")", BeijingTime.text(h.receivedAt), "\(h.records)",
                                 "\(h.affected) of \(h.regionRecords)", h.status + (h.decidedBy.map { " by \($0)" } ?? ""), h.summary])
                }
                print(TextTable.render(rows))
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply a held change set as the bureau sent it.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The change set id.") var id: String
        @Option(help: "Why; kept with the decision.") var note: String?
        @Option(help: "Who decides (default: cli.by of the config); kept with the decision.") var by: String?

        func run() async throws {
            try await reporting {
                let (config, who, database) = try await options.open(by: by)
                let merge = MergeService(database: database, policy: try config.loadPolicy())
                let result = try await MassChangeGuard.decide(id, approve: true, note: note, by: .provinceCLI(user: who), merge: merge)
                let applied = result.records.filter { $0.outcome == .applied || $0.outcome == .partial }.count
                print("change set \(id) approved: \(applied) of \(plural(result.records.count, "record")) applied; the bureau learns it on its next push")
            }
        }
    }

    struct Refuse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a held change set: every record refused, with the note as the reason.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The change set id.") var id: String
        @Option(help: "Why (the bureau sees it).") var note: String
        @Option(help: "Who decides (default: cli.by of the config); kept with the decision.") var by: String?

        func run() async throws {
            try await reporting {
                let (_, who, database) = try await options.open(by: by)
                _ = try await MassChangeGuard.decide(id, approve: false, note: note, by: .provinceCLI(user: who), merge: MergeService(database: database))
                print("change set \(id) refused")
            }
        }
    }
}

extension ChangeSetsCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every logged change set again: signatures, hashes, and each bureau token's chain.",
            discussion: """
                For each signed change set: its signature verifies with the key it was accepted under, over signed bytes \
                with the logged hash that are the change set the log describes; and it follows the one before it from the \
                same token, unless it started a chain (a key registered, an operator's reset: listed with who and when). \
                Unsigned change sets (tokens without a key) are counted.

                Exit codes: 0 everything verifies; 1 problems (listed).
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "Only this region's change sets.") var region: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let audit = try await ChainAudit.run(region: region, database: database)
                if json {
                    try printJSON(audit)
                } else {
                    var rows = [["REGION", "CHANGE SETS", "SIGNED", "UNSIGNED", "BEFORE THE LOG", "CHAIN STARTS", "PROBLEMS"]]
                    for r in audit.regions {
                        rows.append(["\(r.region) \(Regions.region(code: r.region)?.name ?? "")", "\(r.changeSets)", "\(r.signed)", "\(r.unsigned)",
                                     "\(r.beforeLog)", "\(r.chainStarts.count)", "\(r.problems.count)"])
                    }
                    print(audit.regions.isEmpty ? "no change sets logged" : TextTable.render(rows))
                    for r in audit.regions {
                        for s in r.chainStarts { printSafe("\(r.region) chain start: \(s.changeSet) received \(BeijingTime.text(s.receivedAt, seconds: true)): \(s.text)") }
                        for p in r.problems { printSafe("\(r.region) PROBLEM: \(p.changeSet) received \(BeijingTime.text(p.receivedAt, seconds: true)): \(p.text)") }
                    }
                    print(audit.problems == 0 ? "every signature and chain link verifies" : plural(audit.problems, "problem"))
                }
                if audit.problems > 0 { throw ExitCode.failure }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a logged change set as its bureau signed it, with the result of checking it again.",
            discussion: "`records get USCC` names the change set and signer behind each field's value. Exit codes: 0 it verifies (or is unsigned); 1 it does not; 4 no such change set in the log.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The change set id.") var id: String

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                guard let entry = try await ChainAudit.entry(id, database: database) else {
                    throw CommandFailure(message: "no change set \(id) in the province's log", code: .notFound)
                }
                printSafe("change set \(entry.id) of region \(entry.region), received \(BeijingTime.text(entry.receivedAt, seconds: true))")
                printSafe("hash \(entry.hash), previous \(entry.previous.map { $0.isEmpty ? "\"\" (a chain start)" : $0 } ?? "none")")
                if let start = entry.chainStart { printSafe("chain start: \(start)") }
                if let signer = entry.signer {
                    printSafe(entry.problems.isEmpty ? "signed by key \(signer): the signature verifies" : "signed by key \(signer): DOES NOT VERIFY")
                } else {
                    print("unsigned (the bureau's token had no signing key)")
                }
                for problem in entry.problems { printSafe("PROBLEM: \(problem)") }
                if let signed = entry.signed { printJSON(signed) }
                if !entry.problems.isEmpty { throw ExitCode.failure }
            }
        }
    }
}
