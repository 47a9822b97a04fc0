import Agent
import ArgumentParser
import CommandSupport
import Foundation

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare a store the province does not recognise (restored from a backup, or made anew) with the province's copy, and with --apply bring it back.",
        discussion: """
            The province refuses pushes and pulls (exit code 7) from a store whose epoch it does not know, or whose pull \
            cursor or outbox sequence is behind what that store had already reached, or that seals another change set \
            under an outbox number it had already pushed one under: a store created anew, or restored from a backup. \
            Nothing is sent or merged until it is reconciled.

            Without --apply this is a dry run: it reads the region from the province and prints, per record, what differs \
            between the store's files and the province's copy and what --apply would push (the bureau's edits) and pull \
            (the province's versions); fields both sides changed, or that differ where there is no common version, go to \
            the province's field policy as conflicts. The report is also saved as .esync/reconcile/TIME.txt and .json.

            With --apply it takes a new epoch, registers it at the province in place of the old one, merges the province's \
            full copy field by field (as pull --full), pushes the bureau's edits as ordinary change sets and pulls again. \
            Nothing either side holds is dropped.

            Exit codes: 0 done; 2 bad command line or configuration; 3 done, but some records were skipped (invalid \
            files, refused records); 4 store locked; 5 province unreachable; 6 credentials refused; 1 other failures.
            """)
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Reconcile: new epoch, registration at the province, full merge, push, pull.") var apply = false
    @Flag(help: "Print the report as JSON for scripts.") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let apply = self.apply
            let (report, saved) = try await options.withEngine(lock: lock, command: "reconcile") { engine in try engine.reconcile(apply: apply) }
            if json { try printJSON(report) } else { print(report.text) }
            StandardError.write("report saved to \(saved) (and .json)")
            let skipped = report.records.contains { $0.action == .wait } || report.applied?.contains { $0.contains(": refused:") } == true
            return apply && skipped ? .skipped : .success
        }
    }
}
