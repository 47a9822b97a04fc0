import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation
import SyncCore

struct RegionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regions",
        abstract: "The bureaus at a glance: last push and pull, agent version, records, conflicts; stale ones marked.")
    @OptionGroup var options: ConfigOption
    @Option(help: "A region with no push or pull for this many hours is stale (default: review.staleAfterHours of the config, as /review/regions has it; 24).")
    var staleAfterHours: Double?
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        try await reporting {
            let (config, database) = try await options.open()
            // The same horizon as the review page's, unless asked for another.
            let staleAfterHours = self.staleAfterHours ?? config.reviewStaleAfterHours
            let rows = try await RegionActivity.all(staleAfterHours: staleAfterHours, database: database)
            if json { try printJSON(rows); return }
            var table = [["REGION", "RECORDS", "LAST PUSH", "LAST PULL", "AGENT", "OPEN", "DECIDED", "HELD", ""]]
            for r in rows {
                table.append(["\(r.region) \(r.name)", "\(r.records)", r.lastPushAt.map { BeijingTime.text($0) } ?? "never",
                              r.lastPullAt.map { BeijingTime.text($0) } ?? "never", r.agent ?? "-", "\(r.openConflicts)",
                              "\(r.decidedConflicts)", "\(r.heldChangeSets)", r.stale ? "STALE" : ""])
            }
            print(TextTable.render(table))
            let stale = rows.filter(\.stale).count
            print("\(plural(rows.count, "region")), \(stale) stale (no push or pull in \(Int(staleAfterHours)) h)")
        }
    }
}
