import GRDB

extension SQLiteRegister {
    /// v13 onwards, in order, after `registerMigrationsToV12` (see `migrator`: a migration
    /// that has shipped never changes; a new one goes at the end).
    static func registerMigrationsFromV13(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13-report-totals") { db in
            // v12's facts had no totals, so a report still scanned every record: dropped and
            // rebuilt from `records` with the two validation warnings and the totals the report
            // reads (on a new database this rebuilds what v12 just made, empty). `RecordFacts`
            // explains the triggers; its `hasWarning` must stay word for word the condition of
            // `record_facts_warnings`, or SQLite will not use that index. 20000000 is
            // `RecordValidator.aboveDesignatedSizeRevenueYuan`, the CASE the 2011 size classes.
            // The two record triggers and the fill from `records` repeat one SELECT: that is
            // what shipped (one Swift function interpolated three times), written out.
            try db.execute(sql: """
                DROP TRIGGER IF EXISTS record_facts_insert;
                DROP TRIGGER IF EXISTS record_facts_update;
                DROP TABLE IF EXISTS record_facts;
                DROP TABLE IF EXISTS report_totals;
                DROP TABLE IF EXISTS measure_totals;

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
                    INSERT INTO record_facts SELECT *,
                        (revenue_yuan >= 20000000 AND (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')) AND above_since IS NULL) IS 1,
                        (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')))
                         AND size_class <> CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
                                                WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
                                                WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
                                                ELSE 'micro' END) IS 1
                    FROM (SELECT
                        NEW.uscc AS uscc, NEW.region AS region, NEW.deleted AS deleted,
                        json_extract(NEW.doc, '$.name') AS name,
                        json_extract(NEW.doc, '$.sizeClass') AS size_class,
                        coalesce(json_extract(NEW.doc, '$.status'), 'active') AS status,
                        json_extract(NEW.doc, '$.industry') AS industry,
                        json_extract(NEW.doc, '$.employees') AS employees,
                        json_extract(NEW.doc, '$.revenueYuan') AS revenue_yuan,
                        json_extract(NEW.doc, '$.aboveDesignatedSize.since') AS above_since,
                        json_extract(NEW.doc, '$.srdi.year') AS srdi_year,
                        json_extract(NEW.doc, '$.littleGiant.year') AS little_giant_year,
                        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END AS measures
                        );
                END;
                CREATE TRIGGER record_facts_update AFTER UPDATE ON records BEGIN
                    DELETE FROM record_facts WHERE uscc = NEW.uscc;
                    INSERT INTO record_facts SELECT *,
                        (revenue_yuan >= 20000000 AND (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')) AND above_since IS NULL) IS 1,
                        (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')))
                         AND size_class <> CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
                                                WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
                                                WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
                                                ELSE 'micro' END) IS 1
                    FROM (SELECT
                        NEW.uscc AS uscc, NEW.region AS region, NEW.deleted AS deleted,
                        json_extract(NEW.doc, '$.name') AS name,
                        json_extract(NEW.doc, '$.sizeClass') AS size_class,
                        coalesce(json_extract(NEW.doc, '$.status'), 'active') AS status,
                        json_extract(NEW.doc, '$.industry') AS industry,
                        json_extract(NEW.doc, '$.employees') AS employees,
                        json_extract(NEW.doc, '$.revenueYuan') AS revenue_yuan,
                        json_extract(NEW.doc, '$.aboveDesignatedSize.since') AS above_since,
                        json_extract(NEW.doc, '$.srdi.year') AS srdi_year,
                        json_extract(NEW.doc, '$.littleGiant.year') AS little_giant_year,
                        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END AS measures
                        );
                END;

                CREATE TRIGGER report_totals_add AFTER INSERT ON record_facts WHEN NEW.deleted = 0 BEGIN
                    INSERT INTO report_totals VALUES (NEW.region, coalesce(NEW.size_class, ''), coalesce(NEW.status, ''), 1, NEW.above_since IS NOT NULL, NEW.srdi_year IS NOT NULL,
                                                      NEW.little_giant_year IS NOT NULL, NEW.revenue_warning, NEW.size_warning)
                    ON CONFLICT DO UPDATE SET records = records + 1, above_scale = above_scale + excluded.above_scale,
                        srdi = srdi + excluded.srdi, little_giant = little_giant + excluded.little_giant,
                        revenue_warnings = revenue_warnings + excluded.revenue_warnings, size_warnings = size_warnings + excluded.size_warnings;
                    INSERT INTO measure_totals SELECT NEW.region, coalesce(json_extract(value, '$.measure'), ''), coalesce(substr(json_extract(value, '$.date'), 1, 4), ''),
                           1, 1 * coalesce(json_extract(value, '$.amountYuan'), 0)
                    FROM json_each(NEW.measures) WHERE true
                    ON CONFLICT DO UPDATE SET count = count + excluded.count, amount_yuan = amount_yuan + excluded.amount_yuan;
                END;
                CREATE TRIGGER report_totals_subtract AFTER DELETE ON record_facts WHEN OLD.deleted = 0 BEGIN
                    UPDATE report_totals SET records = records - 1, above_scale = above_scale - (OLD.above_since IS NOT NULL),
                        srdi = srdi - (OLD.srdi_year IS NOT NULL), little_giant = little_giant - (OLD.little_giant_year IS NOT NULL),
                        revenue_warnings = revenue_warnings - OLD.revenue_warning, size_warnings = size_warnings - OLD.size_warning
                    WHERE (region, size_class, status) = (OLD.region, coalesce(OLD.size_class, ''), coalesce(OLD.status, ''));
                    INSERT INTO measure_totals SELECT OLD.region, coalesce(json_extract(value, '$.measure'), ''), coalesce(substr(json_extract(value, '$.date'), 1, 4), ''),
                           -1, -1 * coalesce(json_extract(value, '$.amountYuan'), 0)
                    FROM json_each(OLD.measures) WHERE true
                    ON CONFLICT DO UPDATE SET count = count + excluded.count, amount_yuan = amount_yuan + excluded.amount_yuan;
                END;

                INSERT INTO record_facts SELECT *,
                    (revenue_yuan >= 20000000 AND (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')) AND above_since IS NULL) IS 1,
                    (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')))
                     AND size_class <> CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
                                            WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
                                            WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
                                            ELSE 'micro' END) IS 1
                FROM (SELECT
                    uscc AS uscc, region AS region, deleted AS deleted,
                    json_extract(doc, '$.name') AS name,
                    json_extract(doc, '$.sizeClass') AS size_class,
                    coalesce(json_extract(doc, '$.status'), 'active') AS status,
                    json_extract(doc, '$.industry') AS industry,
                    json_extract(doc, '$.employees') AS employees,
                    json_extract(doc, '$.revenueYuan') AS revenue_yuan,
                    json_extract(doc, '$.aboveDesignatedSize.since') AS above_since,
                    json_extract(doc, '$.srdi.year') AS srdi_year,
                    json_extract(doc, '$.littleGiant.year') AS little_giant_year,
                    CASE WHEN json_array_length(doc, '$.supportMeasures') > 0 THEN json_extract(doc, '$.supportMeasures') END AS measures
                    FROM records);
                CREATE INDEX record_facts_srdi ON record_facts(srdi_year);
                CREATE INDEX record_facts_little_giant ON record_facts(little_giant_year);
                CREATE INDEX record_facts_above ON record_facts(above_since);
                CREATE INDEX record_facts_warnings ON record_facts(region, uscc) WHERE deleted = 0 AND (revenue_warning OR size_warning);
                """)
        }
        migrator.registerMigration("v14-client-certificates") { db in
            // Bureaus that sign in by TLS client certificate: SHA-256 of the DER → region.
            try db.execute(sql: """
                CREATE TABLE client_certificates (
                    fingerprint TEXT PRIMARY KEY,
                    region TEXT NOT NULL,
                    name TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    not_after TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    revoked_at TEXT
                );
                """)
        }
        migrator.registerMigration("v15-changeset-signatures") { db in
            // A bureau token's signing key (base64, 32 bytes) and, when set, why its next signed
            // change set may start a new chain (a key registered, an operator's reset).
            // `changeset_chain` logs every change set accepted (applied or held) in the order
            // received: its hash and `previous`, and for a signed one the key, the signature
            // and the signed bytes, so that `changesets verify` can check them all again.
            try db.execute(sql: """
                ALTER TABLE tokens ADD COLUMN public_key TEXT;
                ALTER TABLE tokens ADD COLUMN chain_reset TEXT;
                CREATE TABLE changeset_chain (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    region TEXT NOT NULL,
                    token INTEGER,
                    received_at TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    previous TEXT,
                    signer TEXT,
                    public_key TEXT,
                    signature TEXT,
                    signed BLOB,
                    chain_start TEXT
                );
                CREATE INDEX changeset_chain_token ON changeset_chain(token, seq);
                CREATE INDEX changeset_chain_region ON changeset_chain(region, seq);
                """)
        }
        migrator.registerMigration("v16-store-epochs") { db in
            // The store each region syncs from, as the province knows it (see `StoreEpochs`).
            try db.execute(sql: """
                CREATE TABLE store_epochs (
                    region TEXT PRIMARY KEY,
                    epoch TEXT NOT NULL,
                    cursor INTEGER NOT NULL,
                    sequence INTEGER NOT NULL,
                    handed_cursor INTEGER NOT NULL DEFAULT 0,
                    last_changeset TEXT,
                    last_changeset_sequence INTEGER NOT NULL DEFAULT 0,
                    registered_at TEXT NOT NULL,
                    last_seen_at TEXT,
                    replaced TEXT
                );
                """)
        }
        migrator.registerMigration("v17-changeset-push") { db in
            // The push a change set was a piece of (`ChangeSet.push`), for the mass-change guard.
            try db.execute(sql: "ALTER TABLE changesets ADD COLUMN push TEXT")
        }
        migrator.registerMigration("v18-certificate-keys") { db in
            // A bureau that signs in by client certificate registers its store's signing key with
            // the certificate (`cert key`), and its change sets are chained on the certificate.
            try db.execute(sql: """
                ALTER TABLE client_certificates ADD COLUMN public_key TEXT;
                ALTER TABLE client_certificates ADD COLUMN chain_reset TEXT;
                ALTER TABLE changeset_chain ADD COLUMN certificate TEXT;
                CREATE INDEX changeset_chain_certificate ON changeset_chain(certificate, seq);
                """)
        }
        migrator.registerMigration("v19-facts-in-swift") { db in
            // The report's facts are computed in Swift by the writer from the document it has in
            // hand (`RecordFacts`): the triggers that parsed each written document a dozen times
            // with json_extract go. What v13 filled stays. `designation_values` keeps every
            // designation value a record ever held and when first, so that the report tells a
            // new designation from a renewal without reading whole documents in history; it is
            // filled here from the history as it stands (whole documents until v20).
            try db.execute(sql: """
                DROP TRIGGER IF EXISTS record_facts_insert;
                DROP TRIGGER IF EXISTS record_facts_update;
                DROP TRIGGER IF EXISTS report_totals_add;
                DROP TRIGGER IF EXISTS report_totals_subtract;
                CREATE TABLE designation_values (
                    uscc TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    value NOT NULL,
                    first_at TEXT NOT NULL,
                    PRIMARY KEY (uscc, kind, value)
                ) WITHOUT ROWID;
                INSERT INTO designation_values
                    SELECT uscc, 'above', json_extract(doc, '$.aboveDesignatedSize.since') AS v, MIN(at) FROM history
                    WHERE v IS NOT NULL GROUP BY uscc, v;
                INSERT INTO designation_values
                    SELECT uscc, 'srdi', json_extract(doc, '$.srdi.year') AS v, MIN(at) FROM history
                    WHERE v IS NOT NULL GROUP BY uscc, v;
                INSERT INTO designation_values
                    SELECT uscc, 'littleGiant', json_extract(doc, '$.littleGiant.year') AS v, MIN(at) FROM history
                    WHERE v IS NOT NULL GROUP BY uscc, v;
                """)
        }
        migrator.registerMigration("v20-history-deltas") { db in
            // History keeps what each revision changed, not the whole document (`HistoryEntry`):
            // op `create` with {"~*":{"to":DOCUMENT}}, `update` with {"FIELD":{"from":OLD,"to":NEW}}
            // (a side that was absent has no member), `delete` with {}. Each revision of the
            // old form becomes its change from the revision before, over the fields it listed
            // (a field path `a.b` is the JSON path $."a"."b"; `~1` in a path is a `.` and `~0`
            // a `~` of a member name).
            try db.execute(sql: """
                CREATE TABLE history_deltas (
                    uscc TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    changeset TEXT NOT NULL,
                    at TEXT NOT NULL,
                    op TEXT NOT NULL,
                    changes TEXT NOT NULL,
                    PRIMARY KEY (uscc, revision)
                ) WITHOUT ROWID;
                INSERT INTO history_deltas
                SELECT h.uscc, h.revision, h.seq, h.source, h.changeset, h.at,
                    CASE WHEN p.uscc IS NULL THEN 'create' WHEN h.fields = '["*"]' THEN 'delete' ELSE 'update' END,
                    CASE WHEN p.uscc IS NULL THEN json_object('~*', json_object('to', json(h.doc)))
                         WHEN h.fields = '["*"]' THEN '{}'
                         ELSE (SELECT coalesce(json_group_object(x.field, CASE
                                   WHEN json_type(p.doc, x.path) IS NULL AND json_type(h.doc, x.path) IS NULL THEN json_object()
                                   WHEN json_type(p.doc, x.path) IS NULL THEN json_object('to', json(h.doc -> x.path))
                                   WHEN json_type(h.doc, x.path) IS NULL THEN json_object('from', json(p.doc -> x.path))
                                   ELSE json_object('from', json(p.doc -> x.path), 'to', json(h.doc -> x.path)) END), '{}')
                               FROM (SELECT f.value AS field,
                                            '$."' || replace(replace(replace(f.value, '.', '"."'), '~1', '.'), '~0', '~') || '"' AS path
                                     FROM json_each(h.fields) f) x)
                    END
                FROM history h LEFT JOIN history p ON p.uscc = h.uscc AND p.revision = h.revision - 1;
                DROP TABLE history;
                ALTER TABLE history_deltas RENAME TO history;
                CREATE INDEX history_seq ON history(seq);
                """)
        }
        migrator.registerMigration("v21-register-identity") { db in
            // Which register this is, and which life of it: a restore from a backup gives it a
            // new generation, so that an agent that synced with the register as it was can tell
            // (`RegisterIdentity`).
            try db.execute(sql: """
                CREATE TABLE register_identity (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    register TEXT NOT NULL,
                    generation TEXT NOT NULL,
                    restores INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    restored_at TEXT,
                    restored_from TEXT
                );
                INSERT INTO register_identity (id, register, generation, created_at)
                VALUES (1, lower(hex(randomblob(16))), lower(hex(randomblob(8))), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
                """)
        }
        migrator.registerMigration("v22-provenance-from-history") { db in
            // A field's provenance is the latest revision of the record whose history lists the
            // field (`~*`: its creation), so it is read from the history instead of being written
            // a second time per field (a page of its own per record merged: an eighth of the
            // merge). The history keeps each revision's edit time; the clocks the provenance
            // held go to the revisions that wrote them (a field's latest writer always has its
            // row: older ones were replaced, and no reader asks for them).
            try db.execute(sql: """
                ALTER TABLE history ADD COLUMN clock TEXT;
                UPDATE history SET clock = (
                    SELECT p.clock FROM provenance p
                    WHERE p.uscc = history.uscc AND p.revision = history.revision AND p.clock IS NOT NULL LIMIT 1);
                DROP TABLE provenance;
                """)
        }
        migrator.registerMigration("v23-history-in-write-order") { db in
            // The history in the order it is written (a table with a rowid, found by record
            // through an index), not clustered by record: a merge of 1,000 records appended its
            // rows to a thousand pages all over the table (each of them written to the WAL at
            // the commit); now to the table's last few, and to an index of short entries.
            // Which records were written since a number of the change sequence is read from
            // `history_seq` alone (a merge planned ahead checks its records so).
            try db.execute(sql: """
                CREATE TABLE history_in_order (
                    uscc TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    changeset TEXT NOT NULL,
                    at TEXT NOT NULL,
                    op TEXT NOT NULL,
                    changes TEXT NOT NULL,
                    clock TEXT
                );
                INSERT INTO history_in_order (uscc, revision, seq, source, changeset, at, op, changes, clock)
                SELECT uscc, revision, seq, source, changeset, at, op, changes, clock FROM history ORDER BY seq, uscc, revision;
                DROP TABLE history;
                ALTER TABLE history_in_order RENAME TO history;
                CREATE UNIQUE INDEX history_record ON history(uscc, revision);
                CREATE INDEX history_seq ON history(seq, uscc);
                """)
        }
        migrator.registerMigration("v24-recent-changes-from-the-index") { db in
            // The mass-change guard sums what a region's change sets of the last hour (its
            // window) affected, at every change set that changes existing records. `affected`
            // and `push` were added after `result` (a change set's answer, some 30 KB for 250
            // records), so each row's sum walked that answer's overflow pages: 400 change sets
            // within the hour read 80,000 answers. The sum is now read from an index that holds
            // both columns.
            try db.execute(sql: """
                DROP INDEX changesets_region_time;
                CREATE INDEX changesets_region_recent ON changesets(region, received_at, affected, push);
                """)
        }
    }
}
