import Agent
import ArgumentParser
import CommandSupport
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the store's base and the province's records of the region agree, and name every record that differs.",
        discussion: """
            Both sides sort their records into 256 buckets by SHA-256 of the credit code and digest each bucket over \
            (credit code, content hash); only the buckets whose digests differ are fetched, so a check costs one request \
            plus one per differing bucket. The store's side is its base (what the province last acknowledged), read from \
            .esync/bases; the province's is computed from its stored documents. Differences are named as different \
            (same revision, other content), newer-at-province (the next pull brings it), missing-at-province or \
            missing-here. The daemon runs it every sync.verifyIntervalSeconds.

            Exit codes: 0 the store and the province agree; 1 records differ (listed); 2 bad command line or \
            configuration; 4 store locked; 5 province unreachable; 6 credentials refused.
            """)
    @OptionGroup var options: AgentOptions
    @OptionGroup var lock: LockOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        try await reporting(json: json) {
            let report = try await options.withEngine(lock: lock, command: "verify") { engine in try engine.verify() }
            if json { try printJSON(report) } else { print(report.text) }
            return report.agree ? .success : .failure
        }
    }
}
