extension EnterpriseRecord {
    /// Whether the enterprise still operates where its region says. Nested because a bare
    /// `Status` would clash in modules that import several libraries.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Operating; the default when a document has no `status`.
        case active
        /// Deregistered or revoked (注销/吊销); the record stays as history.
        case closed
        /// Moved out of the province; the record becomes read-only.
        case relocated
    }
}
