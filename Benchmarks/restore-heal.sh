#!/usr/bin/env bash
# A province restored from last night's backup, healed by its 18 bureaus (issue 17), on loopback.
# 18 agents (one per region) share RECORDS records and sync them to a real aggregator; the
# province takes a backup (`esync-aggregator backup`); every bureau then edits CHANGED % of its
# records and syncs; the aggregator is stopped, restored from the backup (`restore --force`) and
# started again; then all 18 agents sync at once, as their timers would, and heal it. Prints the
# backup, the restore and the heal (wall time until the last agent is done), and checks that
# every bureau agrees with the province again (`esync-agent verify`) and that every edit made
# after the backup is back.
# Usage: Benchmarks/restore-heal.sh [RECORDS]            (default 100000)
#   BIN=DIR (default: release build, as Deploy/install.sh builds)   CHANGED=1 (percent)
#   DIR=/dev/shm/esync-heal (default /tmp/esync-heal)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
N=${1:-100000}
CHANGED=${CHANGED:-1}
DIR=${DIR:-/tmp/esync-heal}
source Benchmarks/tools/release-bin.sh
PIDS=()
source "$REPO/Benchmarks/tools/aggregator.sh"
AGENTS=${#REGIONS[@]}
PER=$(( N / AGENTS ))
rm -rf "$DIR"; mkdir -p "$DIR/province"
AGG=""
cleanup() { [ -n "$AGG" ] && kill "$AGG" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
now() { date +%s%N; }
secs() { awk "BEGIN {printf \"%.2f\", ($2 - $1) / 1e9}"; }

PORT=$(free_port)
CONFIG=$DIR/province/aggregator.yaml
printf 'listen: { host: 127.0.0.1, port: %s }\ndatabase: { path: %s/province/province.sqlite }\nguard: { minChanges: 10000000 }\ncli: { by: bench }\n' "$PORT" "$DIR" > "$CONFIG"
start() { serve "$CONFIG" "$PORT" "$DIR/province"; }
stop() { unserve; AGG=""; }
# all COMMAND…: runs `esync-agent COMMAND` for every bureau at once; fails naming the first that failed.
all() {
    local pids=() k
    for k in $(seq 0 $((AGENTS - 1))); do "$BIN/esync-agent" "$@" --config "$DIR/agent-$k/agent.yaml" > "$DIR/agent-$k/$1.out" 2>&1 & pids+=($!); done
    for k in "${!pids[@]}"; do wait "${pids[$k]}" || { echo "agent $k: esync-agent $* failed:"; cat "$DIR/agent-$k/$1.out"; exit 1; }; done
}

start
echo "setting up: $AGENTS bureaus × $PER records"
for k in $(seq 0 $((AGENTS - 1))); do bureau "$k" "$DIR" "$CONFIG" "$PORT" "$PER" $((500 + k)); done

t0=$(now); "$BIN/esync-aggregator" backup --config "$CONFIG" "$DIR/s1.sqlite.gz" > "$DIR/backup.out"; t1=$(now)
BACKUP=$(secs "$t0" "$t1"); BACKUP_MB=$(du -m "$DIR/s1.sqlite.gz" | cut -f1)
EDITED=0
for k in $(seq 0 $((AGENTS - 1))); do
    EDITED=$(( EDITED + $(python3 "$REPO/Benchmarks/tools/change-records.py" "$DIR/agent-$k/store/records" $(( PER * CHANGED / 100 )) $((900 + k))) ))
done
all sync

stop
t0=$(now); "$BIN/esync-aggregator" restore --config "$CONFIG" --force "$DIR/s1.sqlite.gz" > "$DIR/restore.out"; t1=$(now)
RESTORE=$(secs "$t0" "$t1")
start
t2=$(now); all sync; t3=$(now)
HEAL=$(secs "$t2" "$t3")
HEALED=$(grep -ho '[0-9]* records\? sent back' "$DIR"/agent-*/sync.out | awk '{s += $1} END {print s + 0}')
all verify
AGREE=$(grep -l 'agree' "$DIR"/agent-*/verify.out | wc -l)
RECOVERED=$("$BIN/esync-aggregator" conflicts list --config "$CONFIG" --json | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["conflicts"] if c["kind"] == "recovered"))')
stop

printf '\n| %s records, 18 bureaus, %s %% edited after the backup (%s fields) | seconds |\n|---|---|\n' "$N" "$CHANGED" "$EDITED"
printf '| backup (%s MB gzip) | %s |\n| restore | %s |\n| heal: all 18 agents sync at once | %s |\n| **restore + heal** | **%s** |\n' \
    "$BACKUP_MB" "$BACKUP" "$RESTORE" "$HEAL" "$(awk "BEGIN {printf \"%.2f\", $RESTORE + $HEAL}")"
printf '\nrecords sent back by the heal: %s; bureaus that agree with the province afterwards (verify): %s of %s; recovered values queued: %s\n' \
    "$HEALED" "$AGREE" "$AGENTS" "$RECOVERED"
[ "$AGREE" = "$AGENTS" ] || { echo "FAILED: not every bureau agrees"; exit 1; }
