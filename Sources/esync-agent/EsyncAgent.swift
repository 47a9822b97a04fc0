import Agent
import ArgumentParser
import CommandSupport
import SyncCore

@main
struct EsyncAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "esync-agent",
        abstract: "A bureau's EnterpriseSync agent: keeps the local record store in sync with the province.",
        discussion: """
            The store is a folder of JSON records (STORE/records/<USCC>.json) that the bureau edits; \
            push sends what changed since the province last acknowledged it, pull merges back what the \
            province changed, field by field, keeping local edits that are still pending.

            Every command reads --config FILE (default $ESYNC_AGENT_CONFIG, else /etc/esync/agent.yaml); \
            every key can be overridden by an environment variable (server.url → ESYNC_SERVER_URL). A key the \
            agent does not know is an error (exit 2) naming its line and the key most likely meant; a bad value \
            names the line, or the environment variable, that gave it.

            Exit codes:
              0  success
              1  failure (nothing acknowledged was lost; the outbox keeps sealed changes)
              2  bad command line or configuration (an unknown key, a bad value)
              3  done, but some records were skipped (invalid files, records refused by the
                 province or refused from its answers, a change set held for the province's
                 approval); see `status`
              4  the store is locked by another esync process
              5  the province is unreachable or answered 5xx
              6  the province refused the credentials (token or client certificate) or the
                 request (401/403), or a change set's signature or its place in the store's
                 chain (see `key`)
              7  the province does not recognise this store (made anew, or restored from a
                 backup): nothing was sent or merged; run `esync-agent reconcile`
            `verify` exits 1 when records differ (see its --help).

            TLS: server.caFile, server.clientCert and server.clientKey go to libcurl; with clientCert \
            and no server.tokenFile the bureau signs in by its certificate. The province's certificate is \
            always checked unless server.tlsVerification says disabled-insecure. Every command (and the daemon at \
            start and on reload) warns while certificate checks are off, while server.url is plain http:// to \
            another machine (the token would travel in clear text), and while server.tokenFile or server.clientKey \
            is readable by group or others (chmod 600 FILE).
            """,
        version: "esync-agent \(ESyncVersion.current)",
        subcommands: [
            InitCommand.self, StatusCommand.self, DiffCommand.self, PushCommand.self, PullCommand.self, SyncCommand.self,
            RunCommand.self, VerifyCommand.self, ReconcileCommand.self, RecordCommand.self, KeyCommand.self,
        ]
    )

    static func main() async {
        Memory.shareOneHeap()
        // Before any thread of ours starts (the scan ahead, pipelined sends, the daemon's).
        ProvinceClient.initializeLibrary()
        await mainWithDocumentedExitCodes()
    }
}
