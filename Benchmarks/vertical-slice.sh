#!/usr/bin/env bash
# Measures the agent on a large generated store, against a real aggregator on loopback:
#   the initial full sync, `diff` with no change, `sync` with CHANGED records edited (1–3 fields
#   each), and the agent's and aggregator's peak memory (from /usr/bin/time -v).
# Usage: Benchmarks/vertical-slice.sh [RECORDS] [CHANGED]      (defaults 100000 1000)
#   DIR=/mnt/x/bench Benchmarks/vertical-slice.sh   to run on another file system.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
N=${1:-100000}
CHANGED=${2:-1000}
DIR=${DIR:-/tmp/esync-bench}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)"; exit 2; }
swift build -c release --static-swift-stdlib >/dev/null   # as Deploy/install.sh builds
BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)
# An earlier run's store is moved aside and removed after the measurements: on a file system
# mounted with `discard` (this machine's root) deleting 100,000 files takes minutes.
[ -e "$DIR" ] && mv "$DIR" "$DIR.old.$$"
mkdir -p "$DIR"; cd "$DIR"

cat > aggregator.yaml <<'YAML'
listen: { host: 127.0.0.1, port: 0 }
database: { path: province.sqlite }
YAML
"$BIN/esync-aggregator" token add --config aggregator.yaml --region 410100 | tail -1 > agent.token
/usr/bin/time -v -o aggregator.time "$BIN/esync-aggregator" serve --config aggregator.yaml > serve.out 2> serve.log &
SERVER=$!
trap 'pkill -TERM -P $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q 'listening on' serve.out 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*' serve.out | head -1)
cat > agent.yaml <<YAML
region: "410100"
store: store
server: { url: $URL, tokenFile: agent.token, timeoutSeconds: 600 }
YAML
AGENT="$BIN/esync-agent"
"$AGENT" init --config agent.yaml >/dev/null

# timed LABEL COMMAND…: wall seconds and peak RSS of one run, into the results table.
results=()
timed() {
    local label=$1; shift
    /usr/bin/time -v -o step.time "$@" > step.out 2> step.err || { cat step.out step.err; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' step.time)
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' step.time)
    results+=("$(printf '%-44s %10s s %10s MB' "$label" "$wall" "$rss")")
    printf '%-44s %10s s %10s MB\n' "$label" "$wall" "$rss"
}

timed "generate $N records" "$AGENT" record generate --count "$N" --seed 1 --config agent.yaml
timed "initial sync ($N records)" "$AGENT" sync --config agent.yaml
sleep 2.5   # let the files written by the sync age past the racy window
timed "status (settles racy entries)" "$AGENT" status --config agent.yaml
timed "diff, no change" "$AGENT" diff --config agent.yaml
timed "diff, no change (again)" "$AGENT" diff --config agent.yaml
timed "sync, no change" "$AGENT" sync --config agent.yaml
python3 "$REPO/Benchmarks/tools/change-records.py" store/records "$CHANGED" 42 > /dev/null
timed "diff, $CHANGED changed" "$AGENT" diff --config agent.yaml
timed "sync, $CHANGED changed (push + merge + pull)" "$AGENT" sync --config agent.yaml
grep '^push\|^pull' step.out
# Stop the aggregator itself (not the time wrapper), so /usr/bin/time reports its peak memory.
pkill -TERM -P $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT
echo
echo "file system of $DIR: $(df -T "$DIR" | awk 'NR==2 {print $2, "on", $1, "mounted", $7}') ($(grep " $(df "$DIR" | awk 'NR==2 {print $6}') " /proc/mounts | awk '{print $4}' | head -1))"
echo "aggregator peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MB", $2/1024}' aggregator.time)"
echo "store: $(du -sh store/records | cut -f1) in $N files; province.sqlite $(du -sh province.sqlite | cut -f1)"
rm -rf "$DIR".old.* 2>/dev/null || true
