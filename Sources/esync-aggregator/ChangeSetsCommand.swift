import Aggregator
import ArgumentParser
import EnterpriseModel
import Foundation

struct ChangeSets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changesets",
        abstract: "Change sets held by the mass-change guard: list, approve, refuse.",
        discussion: "A change set that changes or deletes more than guard.maxChangeShare of its region's records (and at least guard.minChanges) is held whole instead of applied. Approving applies it as the bureau sent it; refusing refuses every record and tells the bureau why.",
        subcommands: [List.self, Approve.self, Refuse.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List held change sets with a summary.")
        @OptionGroup var options: ConfigOption
        @Option(help: "held, approved, refused or all.") var status = "held"

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let list = try await MassChangeGuard.list(status: status == "all" ? nil : status, database: database)
                if list.isEmpty { print("no \(status == "all" ? "" : status + " ")change sets"); return }
                var rows = [["CHANGE SET", "REGION", "RECEIVED", "RECORDS", "CHANGES EXISTING", "STATUS", "SUMMARY"]]
                for h in list {
                    rows.append([h.id, "\(h.region) \(Regions.region(code: h.region)?.name ?? "")", String(h.receivedAt.prefix(16)), "\(h.records)",
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
        @Option(help: "Who decides (default: the login name).") var by: String?

        func run() async throws {
            try await reporting {
                let (config, database) = try await options.open()
                let merge = MergeService(database: database, policy: try config.loadPolicy())
                let result = try await MassChangeGuard.decide(id, approve: true, note: note, by: .provinceCLI(user: by ?? NSUserName()), merge: merge)
                let applied = result.records.filter { $0.outcome == .applied || $0.outcome == .partial }.count
                print("change set \(id) approved: \(applied) of \(result.records.count) records applied; the bureau learns it on its next push")
            }
        }
    }

    struct Refuse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a held change set: every record refused, with the note as the reason.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The change set id.") var id: String
        @Option(help: "Why (the bureau sees it).") var note: String
        @Option(help: "Who decides (default: the login name).") var by: String?

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                _ = try await MassChangeGuard.decide(id, approve: false, note: note, by: .provinceCLI(user: by ?? NSUserName()), merge: MergeService(database: database))
                print("change set \(id) refused")
            }
        }
    }
}
