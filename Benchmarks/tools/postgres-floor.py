#!/usr/bin/env python3
"""What PostgreSQL itself takes: the same documents written straight into it, as storage-floor.py
writes them into SQLite (the current row upserted plus one history row, 250 documents per
transaction, the document's SHA-256 as the aggregator keeps it), through psql.

Usage: postgres-floor.py PSQL_ARGS RECORDS_FOLDER...
PSQL_ARGS is one argument, split on spaces: how psql reaches an empty database, e.g.
"-h 127.0.0.1 -p 5433 -U esync -d floor". Prints: documents seconds (the transactions alone:
the SQL is made and the tables created beforehand).
"""
import os, subprocess, sys, tempfile, time
from floor_documents import batches, documents

psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + sys.argv[1].split()
docs = documents(sys.argv[2:])


def quote(text):
    return "'" + text.replace("'", "''") + "'"


subprocess.run(psql + ["-c", """
CREATE TABLE records (uscc TEXT PRIMARY KEY, region TEXT NOT NULL, revision BIGINT NOT NULL, seq BIGINT NOT NULL,
                      deleted BOOLEAN NOT NULL DEFAULT FALSE, doc TEXT NOT NULL, hash TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX records_region_seq ON records (region, seq);
CREATE TABLE history (uscc TEXT NOT NULL, revision BIGINT NOT NULL, seq BIGINT NOT NULL, doc TEXT NOT NULL,
                      at TEXT NOT NULL, PRIMARY KEY (uscc, revision));
"""], check=True)


def values(row):
    return "(" + ", ".join("NULL" if v is None else quote(v) if isinstance(v, str) else str(v) for v in row) + ")"


with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8", delete=False) as sql:
    for batch, history in batches(docs):
        rows = [values(row) for row in batch]
        history = [values(row) for row in history]
        sql.write("BEGIN;\nINSERT INTO records (uscc, region, revision, seq, doc, hash, updated_at) VALUES %s\n"
                  "ON CONFLICT (uscc) DO UPDATE SET revision = records.revision + 1, seq = excluded.seq, doc = excluded.doc,\n"
                  "hash = excluded.hash, updated_at = excluded.updated_at;\n" % ",\n".join(rows))
        sql.write("INSERT INTO history (uscc, revision, seq, doc, at) VALUES %s\n"
                  "ON CONFLICT (uscc, revision) DO UPDATE SET seq = excluded.seq, doc = excluded.doc;\nCOMMIT;\n" % ",\n".join(history))
start = time.perf_counter()
subprocess.run(psql + ["-f", sql.name], check=True)
elapsed = time.perf_counter() - start
os.remove(sql.name)
print(len(docs), "%.3f" % elapsed)
