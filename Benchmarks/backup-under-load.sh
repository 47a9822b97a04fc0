#!/usr/bin/env bash
# The nightly backup while the bureaus sync (issue 17): does it slow them down?
# 18 bureaus push N/AMPLIFY records for real; the register is then grown to N records by copying
# each record row AMPLIFY-1 times in SQL (new credit codes, same documents, as Benchmarks/report.sh
# does, but keeping each copy's change number, so that no bureau pulls the copies); the
# aggregator is started again and the 18 agents sync in rounds, each editing EDITS
# records per round, all 18 at once. First ROUNDS rounds with nothing else running, then rounds
# for as long as `esync-aggregator backup` runs beside them, started as the timer starts it
# (Deploy/esync-aggregator-backup.service: Nice=10, idle I/O class). Prints the syncs' latency
# (p50, p99, max) without and during the backup, and the backup's time and size.
# Usage: Benchmarks/backup-under-load.sh [N]       (default 1000000)
#   AMPLIFY=20  ROUNDS=10  EDITS=5  BIN=DIR (default: release build)  DIR=/dev/shm/esync-backup-load (default /tmp/…)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
N=${1:-1000000}
AMPLIFY=${AMPLIFY:-20}
ROUNDS=${ROUNDS:-10}
EDITS=${EDITS:-5}
DIR=${DIR:-/tmp/esync-backup-load}
source Benchmarks/tools/release-bin.sh
PIDS=()
source "$REPO/Benchmarks/tools/aggregator.sh"
AGENTS=${#REGIONS[@]}
REAL=$(( N / AMPLIFY ))
PER=$(( REAL / AGENTS ))
rm -rf "$DIR"; mkdir -p "$DIR/province"
AGG=""
cleanup() { [ -n "$AGG" ] && kill "$AGG" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
PORT=$(free_port)
CONFIG=$DIR/province/aggregator.yaml
DB=$DIR/province/province.sqlite
printf 'listen: { host: 127.0.0.1, port: %s }\ndatabase: { path: %s }\nguard: { minChanges: 10000000 }\nlimits: { maxRecordsPerChangeSet: 5000 }\ncli: { by: bench }\n' "$PORT" "$DB" > "$CONFIG"
start() { serve "$CONFIG" "$PORT" "$DIR/province"; }
stop() { unserve; AGG=""; }

start
echo "setting up: $AGENTS bureaus × $PER records pushed, the register grown to about $N"
for k in $(seq 0 $((AGENTS - 1))); do bureau "$k" "$DIR" "$CONFIG" "$PORT" "$PER" $((700 + k)) 'sync: { maxRecordsPerChangeSet: 5000 }'; done
stop
if [ "$AMPLIFY" -gt 1 ]; then
    sqlite3 "$DB" "
      WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $((AMPLIFY - 1)))
      INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at, last_source)
      SELECT substr(uscc, 1, 8) || printf('%010d', n * 1000000 + rowid), region, revision, seq, deleted, doc, hash, updated_at, last_source
      FROM records, k WHERE length(uscc) = 18;
      WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $((AMPLIFY - 1)))
      INSERT INTO record_facts
      SELECT substr(f.uscc, 1, 8) || printf('%010d', n * 1000000 + r.rowid), f.region, f.deleted, f.name, f.size_class, f.status, f.industry,
             f.employees, f.revenue_yuan, f.above_since, f.srdi_year, f.little_giant_year, f.measures, f.revenue_warning, f.size_warning
      FROM record_facts f JOIN records r ON r.uscc = f.uscc AND r.rowid <= $REAL, k;"
fi
echo "register: $(sqlite3 "$DB" 'SELECT count(*) FROM records') records, $(du -m "$DB" | cut -f1) MB"
start

# round FILE: every bureau edits EDITS records and syncs, all at once; one latency (ms) per sync to FILE.
round() {
    local pids=() k
    for k in $(seq 0 $((AGENTS - 1))); do
        (
            A=$DIR/agent-$k
            python3 "$REPO/Benchmarks/tools/change-records.py" "$A/store/records" "$EDITS" $((RANDOM)) > /dev/null
            t0=$(date +%s%N)
            "$BIN/esync-agent" sync --config "$A/agent.yaml" > "$A/sync.out" 2>&1 || { echo "agent $k failed:"; cat "$A/sync.out"; exit 1; }
            echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$1"
        ) & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}
stats() { sort -n "$1" | awk '{v[NR] = $1} END {p = int(NR * 0.99 + 0.999); if (p < 1) p = 1; printf "%d\t%d\t%d\t%d\n", NR, v[int((NR + 1) / 2)], v[p], v[NR]}'; }

: > "$DIR/quiet.ms"; : > "$DIR/backup.ms"
round "$DIR/warm-up.ms"   # not counted: the first sync of each agent after the restart reads the register cold
for _ in $(seq "$ROUNDS"); do round "$DIR/quiet.ms"; done
t0=$(date +%s%N)
nice -n 10 ionice -c 3 "$BIN/esync-aggregator" backup --config "$CONFIG" "$DIR/nightly.sqlite.gz" > "$DIR/backup.out" 2>&1 &
BACKUP=$!
while kill -0 "$BACKUP" 2>/dev/null; do round "$DIR/backup.ms"; done
wait "$BACKUP" || { echo "backup failed:"; cat "$DIR/backup.out"; exit 1; }
t1=$(date +%s%N)
stop

IFS=$'\t' read -r qn q50 q99 qmax < <(stats "$DIR/quiet.ms")
IFS=$'\t' read -r bn b50 b99 bmax < <(stats "$DIR/backup.ms")
printf '\n| %s records, 18 bureaus syncing %s edits each per round | syncs | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n' "$(sqlite3 "$DB" 'SELECT count(*) FROM records')" "$EDITS"
printf '| nothing else running | %s | %s | %s | %s |\n| during the backup | %s | %s | %s | %s |\n' "$qn" "$q50" "$q99" "$qmax" "$bn" "$b50" "$b99" "$bmax"
printf '\nbackup: %s s, %s MB gzip; p99 during the backup / without: %s (goal ≤ 2)\n' \
    "$(awk "BEGIN {printf \"%.1f\", ($t1 - $t0) / 1e9}")" "$(du -m "$DIR/nightly.sqlite.gz" | cut -f1)" "$(awk "BEGIN {printf \"%.2f\", $b99 / $q99}")"
