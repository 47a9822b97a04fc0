/// The version of EnterpriseSync, in one place: `esync-agent --version` and
/// `esync-aggregator --version` print it, and the agent names itself with it to the province
/// (`esync-agent/VERSION` in its User-Agent and in every change set, which `regions` shows).
public enum ESyncVersion {
    public static let current = "0.1.0"
}
