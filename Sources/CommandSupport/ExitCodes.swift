import ArgumentParser

/// The exit codes both command lines document (in `--help` and the README). 0 and 1 are
/// ArgumentParser's `success` and `failure`; a bad command line is 2 in both tools, not
/// ArgumentParser's 64 (see `mainWithDocumentedExitCodes`). 4 means one thing to each tool.
extension ExitCode {
    /// A bad command line or configuration (an unknown key, a bad value, an option that does
    /// not fit the rest).
    public static let usage = ExitCode(2)
    /// Done, but some records (the agent) or lines (the aggregator) were skipped or refused.
    public static let skipped = ExitCode(3)

    // esync-agent

    /// Another esync process holds the store's lock.
    public static let storeLocked = ExitCode(4)
    /// The province could not be reached (or answered 5xx); the outbox keeps everything.
    public static let unreachable = ExitCode(5)
    /// The province refused the credentials (token or client certificate) or the request
    /// (401/403), or a change set's signature or its place in the store's chain.
    public static let refused = ExitCode(6)
    /// The province does not recognise the store (made anew, or restored from a backup):
    /// nothing was sent or merged; `esync-agent reconcile` shows what differs.
    public static let storeNotRecognised = ExitCode(7)

    // esync-aggregator

    /// No such record, conflict, token, certificate or change set.
    public static let notFound = ExitCode(4)
}
