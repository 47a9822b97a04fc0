import EnterpriseModel
import GRDB

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
enum RecordFacts {
    /// Industrial (GB/T 4754 sections B, C, D).
    static let industrial = "(industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D'))"
    /// The validator's warning on 规上 status (`RecordReader.checkAboveDesignatedSize`).
    static let revenueWarning = "(revenue_yuan >= \(RecordValidator.aboveDesignatedSizeRevenueYuan) AND \(industrial) AND above_since IS NULL)"
    /// The size class under the 2011 industrial standard (`RecordValidator.sizeClass`).
    static let computedSizeClass = """
        CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
             WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
             WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
             ELSE 'micro' END
        """
    /// The validator's warning on the size class (`RecordReader.checkSizeClass`).
    static let sizeWarning = """
        (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR \(industrial))
         AND size_class <> \(computedSizeClass))
        """
    /// Selects the records with a warning; the partial index `record_facts_warnings` has the
    /// same condition, which SQLite needs word for word to use it.
    static let hasWarning = "deleted = 0 AND (revenue_warning OR size_warning)"

    /// The facts of a record row (`NEW.` in a trigger, nothing when filling from `records`).
    static func facts(of row: String) -> String {
        """
        SELECT *, \(revenueWarning) IS 1, \(sizeWarning) IS 1 FROM (SELECT
            \(row)uscc AS uscc, \(row)region AS region, \(row)deleted AS deleted,
            json_extract(\(row)doc, '$.name') AS name,
            json_extract(\(row)doc, '$.sizeClass') AS size_class,
            coalesce(json_extract(\(row)doc, '$.status'), 'active') AS status,
            json_extract(\(row)doc, '$.industry') AS industry,
            json_extract(\(row)doc, '$.employees') AS employees,
            json_extract(\(row)doc, '$.revenueYuan') AS revenue_yuan,
            json_extract(\(row)doc, '$.aboveDesignatedSize.since') AS above_since,
            json_extract(\(row)doc, '$.srdi.year') AS srdi_year,
            json_extract(\(row)doc, '$.littleGiant.year') AS little_giant_year,
            CASE WHEN json_array_length(\(row)doc, '$.supportMeasures') > 0 THEN json_extract(\(row)doc, '$.supportMeasures') END AS measures
            \(row.isEmpty ? "FROM records" : ""))
        """
    }

    /// A totals row's key for the facts row `row` (`NEW` or `OLD`).
    static func totalsKey(_ row: String) -> String {
        "\(row).region, coalesce(\(row).size_class, ''), coalesce(\(row).status, '')"
    }

    /// The measures of the facts row `row` (`NEW` or `OLD`), each counted `sign` times, as
    /// rows of `measure_totals`.
    static func measures(_ row: String, sign: Int) -> String {
        """
        SELECT \(row).region, coalesce(json_extract(value, '$.measure'), ''), coalesce(substr(json_extract(value, '$.date'), 1, 4), ''),
               \(sign), \(sign) * coalesce(json_extract(value, '$.amountYuan'), 0)
        FROM json_each(\(row).measures) WHERE true
        ON CONFLICT DO UPDATE SET count = count + excluded.count, amount_yuan = amount_yuan + excluded.amount_yuan
        """
    }

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
                measures TEXT,
                revenue_warning INTEGER NOT NULL,
                size_warning INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE report_totals (
                region TEXT NOT NULL,
                size_class TEXT NOT NULL,
                status TEXT NOT NULL,
                records INTEGER NOT NULL,
                above_scale INTEGER NOT NULL,
                srdi INTEGER NOT NULL,
                little_giant INTEGER NOT NULL,
                revenue_warnings INTEGER NOT NULL,
                size_warnings INTEGER NOT NULL,
                PRIMARY KEY (region, size_class, status)
            ) WITHOUT ROWID;
            CREATE TABLE measure_totals (
                region TEXT NOT NULL,
                measure TEXT NOT NULL,
                year TEXT NOT NULL,
                count INTEGER NOT NULL,
                amount_yuan INTEGER NOT NULL,
                PRIMARY KEY (region, measure, year)
            ) WITHOUT ROWID;

            CREATE TRIGGER record_facts_insert AFTER INSERT ON records BEGIN
                DELETE FROM record_facts WHERE uscc = NEW.uscc;
                INSERT INTO record_facts \(facts(of: "NEW."));
            END;
            CREATE TRIGGER record_facts_update AFTER UPDATE ON records BEGIN
                DELETE FROM record_facts WHERE uscc = NEW.uscc;
                INSERT INTO record_facts \(facts(of: "NEW."));
            END;

            CREATE TRIGGER report_totals_add AFTER INSERT ON record_facts WHEN NEW.deleted = 0 BEGIN
                INSERT INTO report_totals VALUES (\(totalsKey("NEW")), 1, NEW.above_since IS NOT NULL, NEW.srdi_year IS NOT NULL,
                                                  NEW.little_giant_year IS NOT NULL, NEW.revenue_warning, NEW.size_warning)
                ON CONFLICT DO UPDATE SET records = records + 1, above_scale = above_scale + excluded.above_scale,
                    srdi = srdi + excluded.srdi, little_giant = little_giant + excluded.little_giant,
                    revenue_warnings = revenue_warnings + excluded.revenue_warnings, size_warnings = size_warnings + excluded.size_warnings;
                INSERT INTO measure_totals \(measures("NEW", sign: 1));
            END;
            CREATE TRIGGER report_totals_subtract AFTER DELETE ON record_facts WHEN OLD.deleted = 0 BEGIN
                UPDATE report_totals SET records = records - 1, above_scale = above_scale - (OLD.above_since IS NOT NULL),
                    srdi = srdi - (OLD.srdi_year IS NOT NULL), little_giant = little_giant - (OLD.little_giant_year IS NOT NULL),
                    revenue_warnings = revenue_warnings - OLD.revenue_warning, size_warnings = size_warnings - OLD.size_warning
                WHERE (region, size_class, status) = (\(totalsKey("OLD")));
                INSERT INTO measure_totals \(measures("OLD", sign: -1));
            END;

            INSERT INTO record_facts \(facts(of: ""));
            CREATE INDEX record_facts_srdi ON record_facts(srdi_year);
            CREATE INDEX record_facts_little_giant ON record_facts(little_giant_year);
            CREATE INDEX record_facts_above ON record_facts(above_since);
            CREATE INDEX record_facts_warnings ON record_facts(region, uscc) WHERE \(hasWarning);
            """)
    }

    /// Drops what an earlier `create` made (the v12 shape had no totals), so that the
    /// migration that follows can build the current shape from `records`.
    static func drop(_ db: Database) throws {
        try db.execute(sql: """
            DROP TRIGGER IF EXISTS record_facts_insert;
            DROP TRIGGER IF EXISTS record_facts_update;
            DROP TABLE IF EXISTS record_facts;
            DROP TABLE IF EXISTS report_totals;
            DROP TABLE IF EXISTS measure_totals;
            """)
    }
}
