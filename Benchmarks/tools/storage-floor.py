#!/usr/bin/env python3
"""What the province's storage itself costs: the same documents written straight into SQLite.

Usage: storage-floor.py DATABASE RECORDS_FOLDER...
Reads every record file (*.json) under the folders and upserts each document into a fresh SQLite
file at DATABASE (8 KB pages, WAL, synchronous=NORMAL, as the aggregator makes and opens it) as the current row plus one
history row, 250 documents per transaction, with the document's SHA-256 as the aggregator keeps
it. Prints: documents seconds (the writing alone, files read beforehand).
"""
import os, sqlite3, sys, time
from floor_documents import batches, documents

database, folders = sys.argv[1], sys.argv[2:]
docs = documents(folders)
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(database + suffix):
        os.remove(database + suffix)
db = sqlite3.connect(database, isolation_level=None)
db.execute("PRAGMA page_size = 8192")
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = NORMAL")
db.executescript("""
CREATE TABLE records (uscc TEXT PRIMARY KEY, region TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL,
                      deleted INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL, hash TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX records_region_seq ON records(region, seq);
CREATE TABLE history (uscc TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
                      at TEXT NOT NULL, PRIMARY KEY (uscc, revision)) WITHOUT ROWID;
""")
start = time.perf_counter()
for rows, history in batches(docs):
    db.execute("BEGIN IMMEDIATE")
    db.executemany("""INSERT INTO records (uscc, region, revision, seq, doc, hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                      ON CONFLICT(uscc) DO UPDATE SET revision = revision + 1, seq = excluded.seq, doc = excluded.doc,
                      hash = excluded.hash, updated_at = excluded.updated_at""", rows)
    db.executemany("INSERT OR REPLACE INTO history (uscc, revision, seq, doc, at) VALUES (?, ?, ?, ?, ?)", history)
    db.execute("COMMIT")
print(len(docs), "%.3f" % (time.perf_counter() - start))
