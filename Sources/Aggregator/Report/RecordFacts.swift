import GRDB

/// `record_facts`: one narrow row per record with the figures the progress report counts,
/// kept by triggers on `records` (so `StoredRecord.write` stays as it is), because the report
/// must aggregate a million records in SQL in a few seconds, and re-parsing every JSON
/// document for each report would take far longer than scanning a table of a few columns.
enum RecordFacts {
    /// The columns, each taken from the canonical document with `json_extract`.
    static let extracted = """
        NEW.uscc, NEW.region, NEW.deleted,
        json_extract(NEW.doc, '$.name'),
        json_extract(NEW.doc, '$.sizeClass'),
        coalesce(json_extract(NEW.doc, '$.status'), 'active'),
        json_extract(NEW.doc, '$.industry'),
        json_extract(NEW.doc, '$.employees'),
        json_extract(NEW.doc, '$.revenueYuan'),
        json_extract(NEW.doc, '$.aboveDesignatedSize.since'),
        json_extract(NEW.doc, '$.srdi.year'),
        json_extract(NEW.doc, '$.littleGiant.year'),
        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END
        """

    /// The triggers delete and insert rather than INSERT OR REPLACE: inside a trigger the
    /// outer statement's conflict policy wins, and the record upsert's is ABORT.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE record_facts (
                uscc TEXT PRIMARY KEY,
                region TEXT NOT NULL,
                deleted INTEGER NOT NULL,
                name TEXT,
                size_class TEXT,
                status TEXT,
                industry TEXT,
                employees INTEGER,
                revenue_yuan INTEGER,
                above_since TEXT,
                srdi_year INTEGER,
                little_giant_year INTEGER,
                measures TEXT
            ) WITHOUT ROWID;
            CREATE TRIGGER record_facts_insert AFTER INSERT ON records BEGIN
                DELETE FROM record_facts WHERE uscc = NEW.uscc;
                INSERT INTO record_facts VALUES (\(extracted));
            END;
            CREATE TRIGGER record_facts_update AFTER UPDATE ON records BEGIN
                DELETE FROM record_facts WHERE uscc = NEW.uscc;
                INSERT INTO record_facts VALUES (\(extracted));
            END;
            INSERT INTO record_facts SELECT \(extracted.replacingOccurrences(of: "NEW.", with: "")) FROM records;
            CREATE INDEX record_facts_srdi ON record_facts(srdi_year);
            CREATE INDEX record_facts_little_giant ON record_facts(little_giant_year);
            CREATE INDEX record_facts_above ON record_facts(above_since);
            """)
    }
}
