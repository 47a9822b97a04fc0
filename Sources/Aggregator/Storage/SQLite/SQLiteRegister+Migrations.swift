import GRDB

extension SQLiteRegister {
    /// The schema, one migration per change, applied in order to every province's database.
    ///
    /// A migration that has shipped never changes: a database that ran it will not run it again,
    /// so an edit would only reach new databases, and two provinces would hold two schemas under
    /// one version. A change to the schema is a new migration at the end. Each migration holds
    /// its own SQL and calls no code of the application's types (not a `createTable`, not a
    /// constant): that code moves on, and the migration must do tomorrow what it did when it
    /// shipped. SQL here that repeats a type's is a frozen copy, on purpose.
    /// `MigrationTests` checks the list of identifiers and migrates a first-version database
    /// with data in it to the latest.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerMigrationsToV12(&migrator)
        registerMigrationsFromV13(&migrator)
        return migrator
    }

    /// v1 to v12, in order.
    private static func registerMigrationsToV12(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE records (
                    uscc TEXT PRIMARY KEY,
                    region TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0,
                    doc TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                CREATE INDEX records_region_seq ON records(region, seq);
                CREATE TABLE provenance (
                    uscc TEXT NOT NULL,
                    field TEXT NOT NULL,
                    source TEXT NOT NULL,
                    changeset TEXT NOT NULL,
                    at TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    PRIMARY KEY (uscc, field)
                ) WITHOUT ROWID;
                CREATE TABLE history (
                    id INTEGER PRIMARY KEY,
                    uscc TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    doc TEXT NOT NULL,
                    source TEXT NOT NULL,
                    changeset TEXT NOT NULL,
                    at TEXT NOT NULL,
                    fields TEXT NOT NULL
                );
                CREATE INDEX history_uscc ON history(uscc, revision);
                CREATE TABLE changesets (
                    id TEXT PRIMARY KEY,
                    region TEXT NOT NULL,
                    received_at TEXT NOT NULL,
                    records INTEGER NOT NULL,
                    result BLOB NOT NULL
                );
                CREATE TABLE conflicts (
                    id INTEGER PRIMARY KEY,
                    uscc TEXT NOT NULL,
                    region TEXT NOT NULL,
                    field TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    expected TEXT,
                    current TEXT,
                    incoming TEXT,
                    source TEXT NOT NULL,
                    changeset TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'open'
                );
                CREATE INDEX conflicts_open ON conflicts(status, uscc, field);
                CREATE TABLE tokens (
                    id INTEGER PRIMARY KEY,
                    hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    region TEXT,
                    name TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    revoked_at TEXT
                );
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO meta (key, value) VALUES ('seq', 0);
                """)
        }
        migrator.registerMigration("v2-resolutions") { db in
            try db.execute(sql: """
                ALTER TABLE conflicts ADD COLUMN decision TEXT;
                ALTER TABLE conflicts ADD COLUMN value TEXT;
                ALTER TABLE conflicts ADD COLUMN note TEXT;
                ALTER TABLE conflicts ADD COLUMN resolved_by TEXT;
                ALTER TABLE conflicts ADD COLUMN resolved_at TEXT;
                ALTER TABLE conflicts ADD COLUMN revision INTEGER;
                CREATE INDEX conflicts_region ON conflicts(status, region);
                """)
        }
        migrator.registerMigration("v3-reopen") { db in
            try db.execute(sql: "ALTER TABLE conflicts ADD COLUMN reopened_from TEXT")
        }
        migrator.registerMigration("v4-held") { db in
            try db.execute(sql: """
                CREATE TABLE held_changesets (
                    id TEXT PRIMARY KEY,
                    region TEXT NOT NULL,
                    received_at TEXT NOT NULL,
                    body BLOB NOT NULL,
                    records INTEGER NOT NULL,
                    affected INTEGER NOT NULL,
                    region_records INTEGER NOT NULL,
                    status TEXT NOT NULL DEFAULT 'held',
                    decided_by TEXT,
                    decided_at TEXT,
                    note TEXT
                );
                """)
        }
        migrator.registerMigration("v5-transfers") { db in
            try db.execute(sql: """
                ALTER TABLE conflicts ADD COLUMN request TEXT;
                CREATE TABLE moves (
                    id INTEGER PRIMARY KEY,
                    uscc TEXT NOT NULL,
                    from_region TEXT NOT NULL,
                    to_region TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    revision INTEGER NOT NULL,
                    at TEXT NOT NULL,
                    conflict INTEGER NOT NULL
                );
                CREATE INDEX moves_from_seq ON moves(from_region, seq);
                """)
        }
        migrator.registerMigration("v6-guard-window") { db in
            try db.execute(sql: """
                ALTER TABLE changesets ADD COLUMN affected INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX changesets_region_time ON changesets(region, received_at);
                CREATE INDEX records_region_live ON records(region, deleted);
                """)
        }
        migrator.registerMigration("v7-region-activity") { db in
            try db.execute(sql: """
                CREATE TABLE region_activity (
                    region TEXT PRIMARY KEY,
                    last_push_at TEXT,
                    last_push_changeset TEXT,
                    last_push_records INTEGER,
                    agent TEXT,
                    last_pull_at TEXT,
                    last_pull_cursor INTEGER
                );
                CREATE INDEX conflicts_region_status ON conflicts(region, status);
                """)
        }
        migrator.registerMigration("v8-last-source") { db in
            try db.execute(sql: "ALTER TABLE records ADD COLUMN last_source TEXT")
        }
        migrator.registerMigration("v9-clocks") { db in
            // The hybrid logical clock of the edit that set each field (the `latest` rule), and
            // the province's own clock, which never goes back across restarts.
            try db.execute(sql: """
                ALTER TABLE provenance ADD COLUMN clock TEXT;
                CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), last TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v10-review-sessions") { db in
            // The review pages' signed-in reviewers (see `ReviewSessions`).
            try db.execute(sql: """
                CREATE TABLE review_sessions (
                    key TEXT PRIMARY KEY,
                    reviewer TEXT NOT NULL,
                    token_hash TEXT NOT NULL,
                    csrf TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    last_seen_at REAL NOT NULL,
                    address TEXT,
                    flash TEXT,
                    flash_error INTEGER NOT NULL DEFAULT 0
                );
                """)
        }
        migrator.registerMigration("v11-token-selectors") { db in
            // A token's first 16 characters after `esync_` find its row; the rest is checked
            // against the stored hash in constant time. Tokens made before have no selector
            // and are still found by their hash.
            try db.execute(sql: """
                ALTER TABLE tokens ADD COLUMN selector TEXT;
                CREATE UNIQUE INDEX tokens_selector ON tokens(selector);
                """)
        }
        migrator.registerMigration("v12-report-facts") { db in
            // The first shape of the report's facts, as shipped (`RecordFacts.create` then): one
            // row per record, kept by triggers, without totals. v13 replaces it.
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
                    INSERT INTO record_facts VALUES (NEW.uscc, NEW.region, NEW.deleted,
                        json_extract(NEW.doc, '$.name'),
                        json_extract(NEW.doc, '$.sizeClass'),
                        coalesce(json_extract(NEW.doc, '$.status'), 'active'),
                        json_extract(NEW.doc, '$.industry'),
                        json_extract(NEW.doc, '$.employees'),
                        json_extract(NEW.doc, '$.revenueYuan'),
                        json_extract(NEW.doc, '$.aboveDesignatedSize.since'),
                        json_extract(NEW.doc, '$.srdi.year'),
                        json_extract(NEW.doc, '$.littleGiant.year'),
                        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END);
                END;
                CREATE TRIGGER record_facts_update AFTER UPDATE ON records BEGIN
                    DELETE FROM record_facts WHERE uscc = NEW.uscc;
                    INSERT INTO record_facts VALUES (NEW.uscc, NEW.region, NEW.deleted,
                        json_extract(NEW.doc, '$.name'),
                        json_extract(NEW.doc, '$.sizeClass'),
                        coalesce(json_extract(NEW.doc, '$.status'), 'active'),
                        json_extract(NEW.doc, '$.industry'),
                        json_extract(NEW.doc, '$.employees'),
                        json_extract(NEW.doc, '$.revenueYuan'),
                        json_extract(NEW.doc, '$.aboveDesignatedSize.since'),
                        json_extract(NEW.doc, '$.srdi.year'),
                        json_extract(NEW.doc, '$.littleGiant.year'),
                        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END);
                END;
                INSERT INTO record_facts SELECT uscc, region, deleted,
                    json_extract(doc, '$.name'),
                    json_extract(doc, '$.sizeClass'),
                    coalesce(json_extract(doc, '$.status'), 'active'),
                    json_extract(doc, '$.industry'),
                    json_extract(doc, '$.employees'),
                    json_extract(doc, '$.revenueYuan'),
                    json_extract(doc, '$.aboveDesignatedSize.since'),
                    json_extract(doc, '$.srdi.year'),
                    json_extract(doc, '$.littleGiant.year'),
                    CASE WHEN json_array_length(doc, '$.supportMeasures') > 0 THEN json_extract(doc, '$.supportMeasures') END FROM records;
                CREATE INDEX record_facts_srdi ON record_facts(srdi_year);
                CREATE INDEX record_facts_little_giant ON record_facts(little_giant_year);
                CREATE INDEX record_facts_above ON record_facts(above_since);
                """)
        }
    }
}
