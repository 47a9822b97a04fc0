extension RecordFacts {
    /// The size class under the 2011 industrial standard in SQL over `record_facts`' columns
    /// (`computedSizeClass(employees:revenueYuan:)` in Swift); the report shows it beside the
    /// stated class.
    static let computedSizeClass = """
        CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
             WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
             WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
             ELSE 'micro' END
        """
    /// Selects the records with a warning; the partial index `record_facts_warnings` has the
    /// same condition, which SQLite needs word for word to use it.
    static let hasWarning = "deleted = 0 AND (revenue_warning OR size_warning)"
}
