#!/usr/bin/env bash
# The agent against rsync and git on the same records (issue 6), all on loopback.
# For each store size: generates the records with `esync-agent record generate`, then for the agent
# (real aggregator), rsync (rsync daemon) and git (add + commit + push to `git daemon`) measures the
# initial full sync, a no-change sync (best of 3) and a sync after 1 % of the records had 1–3
# fields changed (the same edit for every tool: Benchmarks/tools/change-records.py, same seed).
# Bytes each way are counted by a relay in front of each server (Benchmarks/tools/count-proxy.py);
# peak memory comes from /usr/bin/time -v. Then 18 agents of 18 regions push 1,000 changed records
# each at once to a fresh aggregator (field changes/s, wall and in the province's merge transactions),
# and the storage floor (the same documents written straight into SQLite). Also the floors: `find -printf` over the
# store, and read + SHA-256 of every file.
# Usage: Benchmarks/sync-vs-peers.sh [SIZES…]              (default: 10000 100000)
#   DIR=/dev/shm/esync-peers Benchmarks/sync-vs-peers.sh   where the stores live (default
#                                  /tmp/esync-peers; this machine's root is mounted with `discard`)
#   BIN=DIR (default: built as Deploy/install.sh builds)   PEERS="rsync git"   AGENTS=18   INGEST=1000   OUT=Benchmarks/results/LAST.json
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SIZES=("${@:-10000}"); [ $# -eq 0 ] && SIZES=(10000 100000)
DIR=${DIR:-/tmp/esync-peers}
PEERS=${PEERS-rsync git}
AGENTS=${AGENTS:-18}
INGEST=${INGEST:-1000}
OUT=${OUT:-$REPO/Benchmarks/results/LAST.json}
TOOLS=$REPO/Benchmarks/tools
# free_port, wait_port, start_aggregator, stop_aggregator, agent_config, metric, ingest_agent
source "$TOOLS/aggregator.sh"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)"; exit 2; }
source "$TOOLS/release-bin.sh"
for peer in $PEERS; do command -v "$peer" >/dev/null || { echo "($peer not installed: skipped)"; PEERS=${PEERS//$peer/}; }; done

# A previous run's stores are moved aside and deleted at the end: on a `discard` file system
# deleting hundreds of thousands of files takes minutes.
[ -e "$DIR" ] && mv "$DIR" "$DIR.old.$$"
mkdir -p "$DIR"
FS="$(findmnt -no FSTYPE,OPTIONS -T "$DIR" | tail -1)"
echo "stores in $DIR: $FS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
case ",${FS#* }," in *,discard,*)
    echo "WARNING: $DIR is on a file system mounted with 'discard': every unlink or rename-over costs"
    echo "         milliseconds here; DIR=/dev/shm/esync-peers (tmpfs) measures the tools, not the disk." ;;
esac
RESULTS=$DIR/results.tsv
: > "$RESULTS"
PIDS=()
# (the aggregator runs under /usr/bin/time: its child is stopped too)
cleanup() { for p in "${PIDS[@]}"; do pkill -TERM -P "$p" || true; kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# measure TOOL SCENARIO N COUNTER COMMAND…: wall seconds, bytes through the COUNTER proxy (control
# port, or - for none) and peak RSS of one run, appended to the results.
measure() {
    local tool=$1 scenario=$2 n=$3 counter=$4; shift 4
    local t0 t1 up=0 down=0
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$DIR/step.time" "$@" > "$DIR/step.out" 2> "$DIR/step.err" \
        || { echo "FAILED: $*"; cat "$DIR/step.out" "$DIR/step.err"; exit 1; }
    t1=$(date +%s%N)
    [ "$counter" != - ] && read -r up down < <(proxy_bytes "$counter")
    local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DIR/step.time")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$scenario" "$n" \
        "$(awk "BEGIN {printf \"%.3f\", ($t1 - $t0) / 1e9}")" "$up" "$down" "$rss" >> "$RESULTS"
    tail -1 "$RESULTS" | awk -F'\t' '{printf "  %-6s %-10s %9.3f s  up %11d B  down %11d B  peak %7.1f MB\n", $1, $2, $4, $5, $6, $7/1024}'
}
# best_of K TOOL SCENARIO N COUNTER COMMAND…: K runs, only the fastest kept.
best_of() {
    local k=$1; shift
    local before; before=$(wc -l < "$RESULTS")
    for _ in $(seq "$k"); do measure "$@" > /dev/null; done
    local best; best=$(tail -n +"$((before + 1))" "$RESULTS" | sort -t$'\t' -k4,4g | head -1)
    head -n "$before" "$RESULTS" > "$RESULTS.tmp"; echo "$best" >> "$RESULTS.tmp"; mv "$RESULTS.tmp" "$RESULTS"
    echo "$best" | awk -F'\t' '{printf "  %-6s %-10s %9.3f s  up %11d B  down %11d B  peak %7.1f MB  (best of '"$k"')\n", $1, $2, $4, $5, $6, $7/1024}'
}
proxy_bytes() { local line; exec 9<>"/dev/tcp/127.0.0.1/$1"; read -r line <&9; exec 9<&-; echo "$line"; }
# start_proxy TARGET_PORT NAME: sets PROXY_PORT, CONTROL_PORT and PROXY_PID.
start_proxy() {
    rm -f "$DIR/$2.ports"
    python3 "$TOOLS/count-proxy.py" "$1" "$DIR/$2.ports" & PROXY_PID=$!; PIDS+=($!)
    for _ in $(seq 100); do [ -s "$DIR/$2.ports" ] && break; sleep 0.05; done
    read -r PROXY_PORT CONTROL_PORT < "$DIR/$2.ports"
}
AGENT="$BIN/esync-agent"

for N in "${SIZES[@]}"; do
    W=$DIR/$N; CHANGED=$(( N / 100 ))
    echo "== $N records ($CHANGED changed for the 1 % sync)"
    start_aggregator "$W/province"
    "$BIN/esync-aggregator" token add --config "$W/province/aggregator.yaml" --region 410100 | tail -1 > "$W/agent.token"
    chmod 600 "$W/agent.token"
    start_proxy "$AGG_PORT" "agent-proxy"
    agent_config "$W" 410100 "$PROXY_PORT"
    "$AGENT" record generate --count "$N" --seed 1 --config "$W/agent.yaml" > /dev/null
    echo "  store: $(du -sh "$W/store/records" | cut -f1) in $N files"
    # Every peer starts from a copy of the same files, times kept.
    for peer in $PEERS; do cp -a "$W/store/records" "$W/$peer-src"; done

    measure floor find "$N" - find "$W/store/records" -printf '%s %T@\n'
    measure floor sha256 "$N" - sh -c 'find "$1" -type f -print0 | xargs -0 -n 5000 -P 2 sha256sum > /dev/null' - "$W/store/records"

    measure agent initial "$N" "$CONTROL_PORT" "$AGENT" sync --config "$W/agent.yaml"
    sleep 2.5   # past the racy window: every tool sees files older than its last look
    best_of 3 agent no-change "$N" "$CONTROL_PORT" "$AGENT" sync --config "$W/agent.yaml"
    echo "  $CHANGED records changed, $(python3 "$TOOLS/change-records.py" "$W/store/records" "$CHANGED" 42) fields"
    measure agent 1%-change "$N" "$CONTROL_PORT" "$AGENT" sync --config "$W/agent.yaml"
    grep '^push\|^pull' "$DIR/step.out" | sed 's/^/    /'
    kill "$PROXY_PID" 2>/dev/null || true
    stop_aggregator "$W/province"
    printf 'aggregator\tpeak\t%s\t0\t0\t0\t%s\n' "$N" "$AGG_RSS" >> "$RESULTS"

    if [[ " $PEERS " == *" rsync "* ]]; then
        RPORT=$(free_port); mkdir -p "$W/rsync-dst"
        printf 'use chroot = no\nuid = 0\ngid = 0\n[records]\npath = %s\nread only = no\n' "$W/rsync-dst" > "$W/rsyncd.conf"
        rsync --daemon --no-detach --address=127.0.0.1 --port "$RPORT" --config "$W/rsyncd.conf" --log-file "$W/rsyncd.log" & PIDS+=($!)
        wait_port "$RPORT"; start_proxy "$RPORT" rsync-proxy
        RSYNC=(rsync -a --delete --stats "$W/rsync-src/" "rsync://127.0.0.1:$PROXY_PORT/records/")
        measure rsync initial "$N" "$CONTROL_PORT" "${RSYNC[@]}"
        sleep 2.5
        best_of 3 rsync no-change "$N" "$CONTROL_PORT" "${RSYNC[@]}"
        python3 "$TOOLS/change-records.py" "$W/rsync-src" "$CHANGED" 42 > /dev/null
        measure rsync 1%-change "$N" "$CONTROL_PORT" "${RSYNC[@]}"
        grep -E 'files transferred|Total bytes sent' "$DIR/step.out" | sed 's/^/    /'
    fi

    if [[ " $PEERS " == *" git "* ]]; then
        GPORT=$(free_port); mkdir -p "$W/git-srv"; git init -q --bare "$W/git-srv/records.git"
        git daemon --reuseaddr --listen=127.0.0.1 --port="$GPORT" --base-path="$W/git-srv" --export-all \
            --enable=receive-pack "$W/git-srv" 2> "$W/git-daemon.log" & PIDS+=($!)
        wait_port "$GPORT"; start_proxy "$GPORT" git-proxy
        # gc.auto=0: an automatic gc after 100,000 loose objects would run detached during the next steps.
        git -C "$W/git-src" init -q && git -C "$W/git-src" config gc.auto 0
        git -C "$W/git-src" remote add origin "git://127.0.0.1:$PROXY_PORT/records.git"
        GIT_CYCLE='cd "$1" && git add -A && { git diff --cached --quiet || git -c user.name=bench -c user.email=bench@localhost commit -q -m sync; } && git push -q origin HEAD:refs/heads/main'
        measure git initial "$N" "$CONTROL_PORT" bash -c "$GIT_CYCLE" - "$W/git-src"
        sleep 2.5
        best_of 3 git no-change "$N" "$CONTROL_PORT" bash -c "$GIT_CYCLE" - "$W/git-src"
        python3 "$TOOLS/change-records.py" "$W/git-src" "$CHANGED" 42 > /dev/null
        measure git 1%-change "$N" "$CONTROL_PORT" bash -c "$GIT_CYCLE" - "$W/git-src"
    fi
    # The same edit everywhere: the stores must hold the same files.
    for peer in $PEERS; do diff -rq -x .git "$W/store/records" "$W/$peer-src" > /dev/null || echo "WARNING: $peer's files differ from the agent's"; done
done

# Ingest: AGENTS bureaus of different regions, INGEST records each pushed first (not timed),
# then every record changed (1–3 fields) and all bureaus push at once.
if [ "$AGENTS" -gt 0 ]; then
    I=$DIR/ingest
    echo "== ingest: $AGENTS agents × $INGEST changed records, pushed at once"
    # guard.minChanges: every record of each bureau changes, which the mass-change guard would hold.
    start_aggregator "$I/province" 'guard: { minChanges: 10000000 }'
    for k in $(seq 0 $((AGENTS - 1))); do ingest_agent "$k" "$I" "$I/province/aggregator.yaml" "$AGG_PORT"; done
    sleep 2.5
    FIELDS=0
    for k in $(seq 0 $((AGENTS - 1))); do
        FIELDS=$(( FIELDS + $(python3 "$TOOLS/change-records.py" "$I/agent-$k/store/records" "$INGEST" $((7 + k))) ))
    done
    # The province's own figures: seconds its merge transactions ran (commit included) and the
    # fields they applied, from /metrics before and after.
    MERGE0=$(metric "$AGG_PORT" esync_merge_duration_seconds_sum); CPU0=$(metric "$AGG_PORT" esync_merge_cpu_seconds_sum); APPLIED0=$(metric "$AGG_PORT" esync_field_changes_total)
    t0=$(date +%s%N)
    PUSHES=()
    for k in $(seq 0 $((AGENTS - 1))); do "$AGENT" push --config "$I/agent-$k/agent.yaml" > "$I/agent-$k/push.out" 2>&1 & PUSHES+=($!); done
    failed=0; for p in "${PUSHES[@]}"; do wait "$p" || failed=$?; done
    t1=$(date +%s%N)
    [ "$failed" = 0 ] || { echo "a push failed:"; cat "$I"/agent-*/push.out; exit 1; }
    WALL=$(awk "BEGIN {printf \"%.3f\", ($t1 - $t0) / 1e9}")
    MERGE=$(awk "BEGIN {printf \"%.3f\", $(metric "$AGG_PORT" esync_merge_duration_seconds_sum) - ${MERGE0:-0}}")
    CPU=$(awk "BEGIN {printf \"%.3f\", $(metric "$AGG_PORT" esync_merge_cpu_seconds_sum) - ${CPU0:-0}}")
    APPLIED=$(awk "BEGIN {printf \"%d\", $(metric "$AGG_PORT" esync_field_changes_total) - ${APPLIED0:-0}}")
    stop_aggregator "$I/province"
    # The storage floor: the same documents written straight into SQLite (current row + history).
    read -r FLOOR_DOCS FLOOR_SECONDS < <(python3 "$TOOLS/storage-floor.py" "$I/floor.sqlite" "$I"/agent-*/store/records)
    printf 'province\tmerge\t%d\t%s\t%d\t0\t0\n' "$APPLIED" "$MERGE" "$((AGENTS * INGEST))" >> "$RESULTS"
    printf 'province\tmerge-cpu\t%d\t%s\t%d\t0\t0\n' "$APPLIED" "$CPU" "$((AGENTS * INGEST))" >> "$RESULTS"
    printf 'floor\tstorage\t%d\t%s\t0\t0\t0\n' "$FLOOR_DOCS" "$FLOOR_SECONDS" >> "$RESULTS"
    echo "  the province's merge transactions: $APPLIED field changes applied in $MERGE s ($CPU s of CPU); storage floor: $FLOOR_DOCS documents in $FLOOR_SECONDS s"
    printf 'ingest\t%dx%d\t%d\t%s\t%d\t0\t%s\n' "$AGENTS" "$INGEST" "$FIELDS" "$WALL" "$((AGENTS * INGEST))" "$AGG_RSS" >> "$RESULTS"
    echo "  $FIELDS field changes in $((AGENTS * INGEST)) records merged in $WALL s"
fi

mkdir -p "$(dirname "$OUT")"
python3 "$TOOLS/bench-table.py" "$RESULTS" "$DIR" "$FS" "$OUT"
cleanup; trap - EXIT
rm -rf "$DIR".old.* 2>/dev/null || true
