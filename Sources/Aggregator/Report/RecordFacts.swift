/// The report's figures, kept by triggers so that `StoredRecord.write` stays as it is and a
/// report over a million records reads a few hundred rows instead of a million documents:
///
/// - `record_facts`: one narrow row per record with the fields the report looks at and its two
///   validation warnings, computed when the record is written;
/// - `report_totals`: per region, size class and status, how many live records there are,
///   how many hold each designation and how many carry each warning;
/// - `measure_totals`: per region, kind of support measure and year, how many measures and
///   what amount.
///
/// Every write of `records` deletes the record's facts and inserts them anew; the totals
/// triggers subtract what was deleted and add what was inserted, in the same transaction.
/// The triggers delete and insert rather than INSERT OR REPLACE: inside a trigger the outer
/// statement's conflict policy wins, and the record upsert's is ABORT.
///
/// The tables and triggers are made by the migration `v13-report-totals` in
/// `ProvinceDatabase.migrator`, in SQL of their own: a changed warning rule or size class is a
/// new migration there, not an edit here. What is left here is what the report's queries use.
enum RecordFacts {
    /// The size class under the 2011 industrial standard (`RecordValidator.sizeClass`), as the
    /// triggers compute it for the size warning; the report shows it beside the stated class.
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
