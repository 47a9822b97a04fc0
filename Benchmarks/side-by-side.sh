#!/usr/bin/env bash
# Two builds side by side on the same records, runs alternated (A, B, A, B …) so that a busy or
# quiet spell of a shared machine falls on both: what a change moved, measured in one run.
# Usage: Benchmarks/side-by-side.sh A B [PAIRS]      A, B: folders holding esync-agent and
#        esync-aggregator (release builds, e.g. copies of .build/release at two commits)
#   MODE=first        (default) `esync-agent sync` of RECORDS new records, each against a fresh
#                     aggregator of the same build
#   MODE=unchanged    `esync-agent sync` of an unchanged store of RECORDS records
#   MODE=one-percent  `esync-agent sync` after 1 % of the records had 1–3 fields changed
#                     (Benchmarks/tools/change-records.py, a new seed each run)
#   RECORDS=100000  PAIRS (default 5)  DIR=/dev/shm/esync-side-by-side (where the stores live)
# In the last two modes both builds sync one store and each run starts the aggregator of its own
# build on one register: the two must read the same store and register (no migration between).
# Prints, per build: runs, wall time (mean, median), the agent's CPU (user + system) and the
# aggregator's over the sync, and the agent's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); PAIRS=${3:-5}
MODE=${MODE:-first}; RECORDS=${RECORDS:-100000}; DIR=${DIR:-/dev/shm/esync-side-by-side}
case "$MODE" in first|unchanged|one-percent) ;; *) echo "MODE is first, unchanged or one-percent, not $MODE"; exit 2;; esac
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)"; exit 2; }
TOOLS=$REPO/Benchmarks/tools
PIDS=()
BIN=$A
# free_port, start_aggregator, agent_config
source "$TOOLS/aggregator.sh"
cleanup() { for p in "${PIDS[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
rm -rf "$DIR"; mkdir -p "$DIR"
RESULTS=$DIR/runs.tsv; : > "$RESULTS"

# The records, generated once (seed 1) and copied into each store.
mkdir -p "$DIR/generate"
printf 'region: "410100"\nstore: %s/generate/store\nserver: { url: http://127.0.0.1:9 }\n' "$DIR" > "$DIR/generate/agent.yaml"
"$A/esync-agent" init --config "$DIR/generate/agent.yaml" > /dev/null
"$A/esync-agent" record generate --count "$RECORDS" --seed 1 --config "$DIR/generate/agent.yaml" > /dev/null
RECORDS_DIR=$DIR/generate/store/records

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # (clock ticks)
# sync_once BUILD FOLDER: one `esync-agent sync` of FOLDER's store with BUILD's agent, the aggregator
# (AGG, BUILD's) measured over it; appends a row to RESULTS.
sync_once() {
    local server ticks0 ticks1 t0 t1
    server=$(pgrep -P "$AGG" | head -1)
    ticks0=$(cpu_of "$server")
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$2/agent.time" "$1/esync-agent" sync --config "$2/agent.yaml" > "$2/sync.out" 2>&1 \
        || { cat "$2/sync.out"; exit 1; }
    t1=$(date +%s%N)
    ticks1=$(cpu_of "$server")
    read -r user sys rss < "$2/agent.time"
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(( (t1 - t0) / 1000 ))" "$(awk "BEGIN {print $user + $sys}")" \
        "$(awk "BEGIN {print ($ticks1 - $ticks0) / $(getconf CLK_TCK)}")" "$rss" >> "$RESULTS"
}
# store FOLDER BUILD: an agent store in FOLDER with the records, a token of the aggregator (AGG_PORT).
store() {
    "$2/esync-aggregator" token add --config "$1/province/aggregator.yaml" --region 410100 | tail -1 > "$1/agent.token"
    chmod 600 "$1/agent.token"
    BIN=$2 agent_config "$1" 410100 "$AGG_PORT"
    rm -rf "$1/store/records"; cp -a "$RECORDS_DIR" "$1/store/records"
}

if [ "$MODE" = first ]; then
    for n in $(seq "$PAIRS"); do
        for build in "$A" "$B"; do
            W=$DIR/run-$n-$(basename "$build"); mkdir -p "$W"
            BIN=$build start_aggregator "$W/province"
            store "$W" "$build"
            sleep 2.5  # (the copies older than the racy window, `StatIndex.racyWindowNs`, as a bureau's are)
            sync_once "$build" "$W"
            stop_aggregator "$W/province"; rm -rf "$W"
        done
    done
else
    W=$DIR/shared; mkdir -p "$W"
    BIN=$A start_aggregator "$W/province"
    store "$W" "$A"
    sleep 2.5
    "$A/esync-agent" sync --config "$W/agent.yaml" > "$W/first.out" 2>&1 || { cat "$W/first.out"; exit 1; }
    stop_aggregator "$W/province"
    for n in $(seq "$PAIRS"); do
        for build in "$A" "$B"; do
            BIN=$build start_aggregator "$W/province"
            sed -i "s|127.0.0.1:[0-9]*|127.0.0.1:$AGG_PORT|" "$W/agent.yaml"
            [ "$MODE" = one-percent ] && python3 "$TOOLS/change-records.py" "$W/store/records" $((RECORDS / 100)) $((1000 + 2 * n + $([ "$build" = "$B" ] && echo 1 || echo 0))) > /dev/null
            sync_once "$build" "$W"
            stop_aggregator "$W/province"
        done
    done
fi

echo "$MODE, $RECORDS records, $PAIRS pairs alternated (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$RESULTS" "$A" "$B" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
print("%-40s %4s %10s %10s %11s %11s %10s" % ("build", "runs", "wall mean", "median", "agent CPU", "agg. CPU", "agent RSS"))
for build in sys.argv[2:]:
    mine = [r for r in rows if r[0] == build]
    wall = [int(r[1]) / 1e6 for r in mine]
    print("%-40s %4d %9.3fs %9.3fs %10.3fs %10.3fs %7.1f MB" % (
        build[-40:], len(mine), statistics.mean(wall), statistics.median(wall),
        statistics.mean(float(r[2]) for r in mine), statistics.mean(float(r[3]) for r in mine),
        max(int(r[4]) for r in mine) / 1000))
PY
