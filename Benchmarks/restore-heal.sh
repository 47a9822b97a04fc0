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
BIN=${BIN:+$(cd "$BIN" && pwd)}
if [ -z "$BIN" ]; then
    swift build -c release --static-swift-stdlib >/dev/null
    BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)
fi
REGIONS=(410100 410200 410300 410400 410500 410600 410700 410800 410900 411000 411100 411200 411300 411400 411500 411600 411700 419001)
AGENTS=${#REGIONS[@]}
PER=$(( N / AGENTS ))
rm -rf "$DIR"; mkdir -p "$DIR/province"
AGG=""
cleanup() { [ -n "$AGG" ] && kill "$AGG" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
now() { date +%s%N; }
secs() { awk "BEGIN {printf \"%.2f\", ($2 - $1) / 1e9}"; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONFIG=$DIR/province/aggregator.yaml
printf 'listen: { host: 127.0.0.1, port: %s }\ndatabase: { path: %s/province/province.sqlite }\nguard: { minChanges: 10000000 }\ncli: { by: bench }\n' "$PORT" "$DIR" > "$CONFIG"
start() {
    "$BIN/esync-aggregator" serve --config "$CONFIG" >> "$DIR/province/serve.out" 2>> "$DIR/province/serve.log" &
    AGG=$!
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.05; done
    echo "the aggregator did not start:"; cat "$DIR/province/serve.log"; exit 1
}
stop() { kill -TERM "$AGG"; wait "$AGG" 2>/dev/null || true; AGG=""; }
# all COMMAND…: runs `esync-agent COMMAND` for every bureau at once; fails naming the first that failed.
all() {
    local pids=() k
    for k in $(seq 0 $((AGENTS - 1))); do "$BIN/esync-agent" "$@" --config "$DIR/agent-$k/agent.yaml" > "$DIR/agent-$k/$1.out" 2>&1 & pids+=($!); done
    for k in "${!pids[@]}"; do wait "${pids[$k]}" || { echo "agent $k: esync-agent $* failed:"; cat "$DIR/agent-$k/$1.out"; exit 1; }; done
}

start
echo "setting up: $AGENTS bureaus × $PER records"
for k in $(seq 0 $((AGENTS - 1))); do
    A=$DIR/agent-$k; mkdir -p "$A"
    "$BIN/esync-aggregator" token add --config "$CONFIG" --region "${REGIONS[$k]}" | tail -1 > "$A/agent.token"; chmod 600 "$A/agent.token"
    printf 'region: "%s"\nstore: %s/store\nserver: { url: http://127.0.0.1:%s, tokenFile: %s/agent.token, timeoutSeconds: 600 }\n' "${REGIONS[$k]}" "$A" "$PORT" "$A" > "$A/agent.yaml"
    "$BIN/esync-agent" init --config "$A/agent.yaml" > /dev/null
    "$BIN/esync-aggregator" token key --config "$CONFIG" --selector "$(cut -c7-22 "$A/agent.token")" "@$A/store/.esync/signing-key.pub" > /dev/null
    "$BIN/esync-agent" record generate --count "$PER" --seed $((500 + k)) --config "$A/agent.yaml" > /dev/null
done
all sync

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
