#!/usr/bin/env bash
# The province's ingest on each backend (issue 16): AGENTS bureaus of different regions push
# INGEST records each (not timed), every record then gets 1–3 fields changed
# (Benchmarks/tools/change-records.py) and all bureaus push at once, timed:
#   1. one aggregator on its SQLite file (as Benchmarks/sync-vs-peers.sh's ingest);
#   2. two aggregator instances on one PostgreSQL database, the bureaus split between them (as a
#      round-robin load balancer would send them), on a throwaway cluster this script makes
#      (fsync on, Debian's defaults otherwise) in DIR and stops at the end.
# For each: field changes a second (wall, and in the province's merge transactions from
# /metrics, summed over the instances) and every instance's peak RSS. Then PostgreSQL's own
# floor: the same final documents written straight into it (Benchmarks/tools/postgres-floor.py:
# row upsert + history row, 250 per transaction).
# Each backend runs twice: with the bureaus' pushes as they are (each agent diffs its store, seals,
# signs and sends, all 18 on this machine's cores beside the province), and with every change set
# sealed beforehand (each agent's push ran once against a closed port, exit 5, so that its change
# set waits in its outbox, as after an hour without the province): then the timed push only sends
# its outbox and takes the answers in. The sealed push also goes through relays that record what
# the agents send; the register is then put back as it was before it and one light client sends
# the recorded requests again, all at once ("province alone"): the province's own rate, as when
# its bureaus' machines are not its own (here 18 agent processes take 1.5–1.7 of the two cores'
# CPU seconds).
# Usage: Benchmarks/ingest-postgresql.sh
#   AGENTS=18 INGEST=1000   DIR=/tmp/esync-pg-bench   BIN=DIR (default: built as Deploy/install.sh builds)
#   ESYNC_PG_BIN=/usr/lib/postgresql/15/bin (default: the newest there)
#   PERF=FOLDER: `perf record` of the whole machine during each timed push, into FOLDER/NAME.data
#   (then e.g. `perf report -i FOLDER/postgresql-sealed.data --comm esync-aggregato --no-children`)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS=$REPO/Benchmarks/tools
DIR=${DIR:-/tmp/esync-pg-bench}
AGENTS=${AGENTS:-18}
INGEST=${INGEST:-1000}
PG_BIN=${ESYNC_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)"; exit 2; }
[ -x "$PG_BIN/initdb" ] || { echo "needs PostgreSQL's server binaries (apt-get install postgresql-15, or ESYNC_PG_BIN)"; exit 2; }
source "$TOOLS/release-bin.sh"
PIDS=()
source "$TOOLS/aggregator.sh"
rm -rf "$DIR"; mkdir -p "$DIR"
echo "in $DIR: $(findmnt -no FSTYPE,OPTIONS -T "$DIR" | tail -1); load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"

# The cluster: as the postgres user when root (initdb refuses root). A server started here must
# not keep this shell's descriptors (a build lock, a terminal's pipe) after the script ends.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
without_inherited_fds() {
    ( for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null; done; "$@" )
}
PG=$DIR/postgres
mkdir -p "$PG"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG"
as_owner "$PG_BIN/initdb" -D "$PG/data" -A trust -U esync --locale=C -E UTF8 > "$PG/initdb.log"
PG_PORT=$(free_port)
without_inherited_fds as_owner "$PG_BIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w \
    -o "-p $PG_PORT -k $PG -c listen_addresses=127.0.0.1 -c max_connections=100" start > /dev/null
cleanup() {
    for p in "${PIDS[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_owner "$PG_BIN/pg_ctl" -D "$PG/data" -m fast -w stop > /dev/null 2>&1 || true
}
trap cleanup EXIT
psql_on() { "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U esync -d "$@"; }
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (fsync $(psql_on postgres -c 'SHOW fsync'), synchronous_commit $(psql_on postgres -c 'SHOW synchronous_commit'), shared_buffers $(psql_on postgres -c 'SHOW shared_buffers'))"

ROWS=() CPU_ROWS=() RATES=()
# busy_ticks: CPU ticks the whole machine spent busy (all but idle and iowait) since boot.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# process_ticks NAME: user + system ticks of the running processes named NAME (its first 15
# characters, as the kernel keeps it), summed.
process_ticks() { local t=0 p; for p in $(pgrep -x "${1:0:15}"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# ingest NAME LABEL INSTANCES [sealed [replay]]: the ingest against INSTANCES aggregators on
# DATABASE (unset: SQLite; DB_NAME: its PostgreSQL database), in DIR/NAME; with `sealed`, every
# change set is sealed before the clock starts. With `replay`, the sealed push also goes through
# relays that record what the agents send (Benchmarks/tools/count-proxy.py); the register is
# then put back as it was before the push and the recorded requests are sent again at once by
# one light client (Benchmarks/tools/replay-requests.py): the province alone, without 18 agent
# processes on its cores.
ingest() {
    local label=$2 instances=$3 sealed=${4:-} replay=${5:-} k n
    I=$DIR/$1 PORTS=() AGGS=()
    echo "== $label: $AGENTS agents × $INGEST changed records, pushed at once to $instances instance(s)"
    for n in $(seq 1 "$instances"); do
        # guard.minChanges: every record of each bureau changes, which the mass-change guard would hold.
        start_aggregator "$I/instance-$n" 'guard: { minChanges: 10000000 }'
        PORTS+=("$AGG_PORT"); AGGS+=("$AGG")
    done
    for k in $(seq 0 $((AGENTS - 1))); do ingest_agent "$k" "$I" "$I/instance-1/aggregator.yaml" "${PORTS[$((k % instances))]}"; done
    sleep 2.5
    FIELDS=0
    for k in $(seq 0 $((AGENTS - 1))); do FIELDS=$(( FIELDS + $(python3 "$TOOLS/change-records.py" "$I/agent-$k/store/records" "$INGEST" $((7 + k))) )); done
    if [ -n "$sealed" ]; then
        local closed; closed=$(free_port)
        for k in $(seq 0 $((AGENTS - 1))); do
            local A=$I/agent-$k
            cp "$A/agent.yaml" "$A/agent.yaml.open"
            sed -i "s|url: http://127.0.0.1:[0-9]*|url: http://127.0.0.1:$closed|" "$A/agent.yaml"
            local rc=0; "$BIN/esync-agent" push --config "$A/agent.yaml" > "$A/seal.out" 2>&1 || rc=$?
            mv "$A/agent.yaml.open" "$A/agent.yaml"
            [ "$rc" = 5 ] && [ -n "$(ls "$A/store/.esync/outbox")" ] || { echo "sealing without the province gave exit $rc and no outbox:"; cat "$A/seal.out"; exit 1; }
        done
    fi
    if [ -n "$replay" ]; then
        local relays=()
        for n in $(seq 1 "$instances"); do
            python3 "$TOOLS/count-proxy.py" "${PORTS[$((n - 1))]}" "$I/relay-$n.port" "$I/recorded-$n" & PIDS+=($!)
            for _ in $(seq 100); do [ -s "$I/relay-$n.port" ] && break; sleep 0.05; done
            relays+=("$(cut -d' ' -f1 "$I/relay-$n.port")")
        done
        for k in $(seq 0 $((AGENTS - 1))); do
            sed -i "s|url: http://127.0.0.1:[0-9]*|url: http://127.0.0.1:${relays[$((k % instances))]}|" "$I/agent-$k/agent.yaml"
        done
        stop_instances; register_copy snapshot; start_instances
    fi
    timed "$label" run_pushes
    if [ -n "$replay" ]; then
        local agreed=$APPLIED
        stop_instances; register_copy restore; start_instances
        timed "${label%%,*}, province alone" run_replay
        [ "$APPLIED" = "$agreed" ] || { echo "the replay applied $APPLIED field changes, the agents' push $agreed"; exit 1; }
    fi
    stop_instances
    LAST_STORES=("$I"/agent-*/store/records)
}

# The instances of an ingest (PORTS, AGGS), stopped and started again on their own ports.
stop_instances() {
    local n rss=()
    for n in $(seq 1 "${#PORTS[@]}"); do AGG=${AGGS[$((n - 1))]}; stop_aggregator "$I/instance-$n"; rss+=("$(awk "BEGIN {printf \"%.1f\", $AGG_RSS / 1024}")"); done
    RSS=$(IFS=/; echo "${rss[*]}")
    # The row of the load these instances just took gets their peak.
    if [ -n "${PENDING_RSS:-}" ]; then ROWS[${#ROWS[@]}-1]+=$RSS; PENDING_RSS=; echo "  peak RSS per instance: $RSS MB"; fi
}
start_instances() {
    local n port
    AGGS=()
    for n in $(seq 1 "${#PORTS[@]}"); do
        port=${PORTS[$((n - 1))]}
        sed -i "s/port: [0-9]* }/port: $port }/" "$I/instance-$n/aggregator.yaml"
        /usr/bin/time -v -o "$I/instance-$n/aggregator.time" "$BIN/esync-aggregator" serve --config "$I/instance-$n/aggregator.yaml" \
            >> "$I/instance-$n/serve.out" 2>> "$I/instance-$n/serve.log" &
        AGGS+=($!); PIDS+=($!)
        for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.05; done
        curl -sf "http://127.0.0.1:$port/healthz" > /dev/null || { echo "an instance did not start again:"; tail -5 "$I/instance-$n/serve.log"; exit 1; }
    done
}
# register_copy snapshot|restore: the register of the stopped instances copied aside, or put back.
register_copy() {
    if [ -z "${DB_NAME:-}" ]; then
        # The file with its write-ahead log, if the instance left one.
        local f=$I/instance-1/province.sqlite
        if [ "$1" = snapshot ]; then
            cp "$f" "$f.snapshot"; rm -f "$f.snapshot-wal"; [ ! -e "$f-wal" ] || cp "$f-wal" "$f.snapshot-wal"
        else
            rm -f "$f-wal" "$f-shm"; cp "$f.snapshot" "$f"; [ ! -e "$f.snapshot-wal" ] || cp "$f.snapshot-wal" "$f-wal"
        fi
    elif [ "$1" = snapshot ]; then
        psql_on postgres -c "CREATE DATABASE ${DB_NAME}_snapshot TEMPLATE $DB_NAME" > /dev/null
    else
        psql_on postgres -c "DROP DATABASE $DB_NAME" -c "CREATE DATABASE $DB_NAME TEMPLATE ${DB_NAME}_snapshot" > /dev/null
    fi
}
run_pushes() {
    local k p pushes=() failed=0
    for k in $(seq 0 $((AGENTS - 1))); do "$BIN/esync-agent" push --config "$I/agent-$k/agent.yaml" > "$I/agent-$k/push.out" 2>&1 & pushes+=($!); done
    for p in "${pushes[@]}"; do wait "$p" || failed=$?; done
    [ "$failed" = 0 ] || { echo "a push failed:"; cat "$I"/agent-*/push.out; exit 1; }
}
run_replay() {
    local folders=() n
    for n in $(seq 1 "${#PORTS[@]}"); do folders+=("$I/recorded-$n"); done
    /usr/bin/time -f "%U %S" -o "$I/replay.cpu" python3 "$TOOLS/replay-requests.py" "$(IFS=,; echo "${PORTS[*]}")" "${folders[@]}" > "$I/replay.out" 2>&1 \
        || { echo "the replay failed:"; cat "$I/replay.out"; exit 1; }
}
# timed LABEL COMMAND: runs COMMAND (the load) against the running instances and adds the rows:
# field changes a second (wall, in merge transactions, of merge CPU), the CPU split; sets APPLIED.
timed() {
    local label=$1 name=${I##*/} port t0 t1 busy0 busy1 pg0 pg1 agg0 agg1 py0 py1 perf=
    local merge0=0 cpu0=0 applied0=0 merge1=0 cpu1=0 applied1=0
    for port in "${PORTS[@]}"; do
        merge0=$(awk "BEGIN {print $merge0 + $(metric "$port" esync_merge_duration_seconds_sum)}")
        cpu0=$(awk "BEGIN {print $cpu0 + $(metric "$port" esync_merge_cpu_seconds_sum)}")
        applied0=$(awk "BEGIN {print $applied0 + $(metric "$port" esync_field_changes_total)}")
    done
    busy0=$(busy_ticks); pg0=$(process_ticks postgres); agg0=$(process_ticks esync-aggregator); py0=$(process_ticks python3)
    if [ -n "${PERF:-}" ]; then
        [ "$2" = run_replay ] && name=$name-alone
        mkdir -p "$PERF"; perf record -q -F 999 -g -a -o "$PERF/$name.data" > "$PERF/$name.log" 2>&1 & perf=$!
        sleep 0.5
    fi
    t0=$(date +%s%N)
    "$2"
    t1=$(date +%s%N)
    busy1=$(busy_ticks); pg1=$(process_ticks postgres); agg1=$(process_ticks esync-aggregator); py1=$(process_ticks python3)
    # The replaying client is one process that ends with the load: its ticks are counted as it
    # exits, not by process_ticks afterwards.
    [ "$2" = run_replay ] && py1=$((py0 + $(awk '{print int(($1 + $2) * '"$(getconf CLK_TCK)"')}' "$I/replay.cpu")))
    if [ -n "$perf" ]; then kill -INT "$perf"; wait "$perf" || true; fi
    for port in "${PORTS[@]}"; do
        merge1=$(awk "BEGIN {print $merge1 + $(metric "$port" esync_merge_duration_seconds_sum)}")
        cpu1=$(awk "BEGIN {print $cpu1 + $(metric "$port" esync_merge_cpu_seconds_sum)}")
        applied1=$(awk "BEGIN {print $applied1 + $(metric "$port" esync_field_changes_total)}")
    done
    APPLIED=$(awk "BEGIN {print $applied1 - $applied0}")
    RATES+=("$label=$(awk "BEGIN {printf \"%.0f\", $FIELDS / (($t1 - $t0) / 1e9)}")")
    # Peak RSS is known once the instances stop: the row takes it then (RSS_ROW).
    local wall; wall=$(awk "BEGIN {printf \"%.3f\", ($t1 - $t0) / 1e9}")
    ROWS+=("$(printf '%-30s %9d %8d %13d %9s %15.0f %15.0f %15.0f   ' "$label" "${#PORTS[@]}" "$((AGENTS * INGEST))" "$FIELDS" "$wall" \
        "$(awk "BEGIN {print $FIELDS / $wall}")" \
        "$(awk "BEGIN {d = $merge1 - $merge0; print (d > 0 ? ($applied1 - $applied0) / d : 0)}")" \
        "$(awk "BEGIN {d = $cpu1 - $cpu0; print (d > 0 ? ($applied1 - $applied0) / d : 0)}")")")
    PENDING_RSS=1
    echo "  $label: $FIELDS field changes in $wall s"
    local hz; hz=$(getconf CLK_TCK)
    CPU_ROWS+=("$(printf '%-30s %9s %12.2f %12.2f %12.2f %14.2f %12.2f' "$label" "$wall" "$(awk "BEGIN {print ($busy1 - $busy0) / $hz}")" \
        "$(awk "BEGIN {print ($agg1 - $agg0) / $hz}")" "$(awk "BEGIN {print ($pg1 - $pg0) / $hz}")" "$(awk "BEGIN {print ($py1 - $py0) / $hz}")" \
        "$(awk "BEGIN {print ($busy1 - $busy0 - ($agg1 - $agg0) - ($pg1 - $pg0) - ($py1 - $py0)) / $hz}")")")
}

unset DATABASE DB_NAME
ingest sqlite "SQLite, 1 instance" 1
ingest sqlite-sealed "SQLite, 1, sealed" 1 sealed replay
psql_on postgres -c "CREATE DATABASE esync_bench" > /dev/null
DB_NAME=esync_bench DATABASE="{ url: \"postgresql://esync@127.0.0.1:$PG_PORT/esync_bench\" }"
ingest postgresql "PostgreSQL, 2 instances" 2
psql_on postgres -c "CREATE DATABASE esync_sealed" > /dev/null
DB_NAME=esync_sealed DATABASE="{ url: \"postgresql://esync@127.0.0.1:$PG_PORT/esync_sealed\" }"
ingest postgresql-sealed "PostgreSQL, 2, sealed" 2 sealed replay
psql_on postgres -c "CREATE DATABASE esync_floor" > /dev/null
read -r FLOOR_DOCS FLOOR_SECONDS < <(PATH="$PG_BIN:$PATH" python3 "$TOOLS/postgres-floor.py" "-h 127.0.0.1 -p $PG_PORT -U esync -d esync_floor" "${LAST_STORES[@]}")

echo
printf '%-30s %9s %8s %13s %9s %15s %15s %15s   %s\n' backend instances records "field changes" seconds "field changes/s" "…in merge tx/s" "…of merge CPU/s" "peak RSS MB per instance"
printf '%s\n' "${ROWS[@]}"
echo
echo "CPU seconds in the timed load (the machine's $(nproc) cores; PostgreSQL's server processes; the Python relays that record"
echo "the sealed push, or the client that replays it; agents: the rest)"
printf '%-30s %9s %12s %12s %12s %14s %12s\n' backend seconds "machine CPU" aggregators PostgreSQL "relays/replay" "agents+other"
printf '%s\n' "${CPU_ROWS[@]}"
echo "PostgreSQL's floor: $FLOOR_DOCS documents written straight into it (row upsert + history row, 250 per transaction, fsync on) in $FLOOR_SECONDS s = $(awk "BEGIN {printf \"%.0f\", $FLOOR_DOCS / $FLOOR_SECONDS}") documents/s"
echo "goals of issue 16: PostgreSQL ingest >= 20,000 field changes/s; aggregator peak RSS <= 300 MB per instance"
for rate in "${RATES[@]}"; do
    case $rate in PostgreSQL*)
        verdict=MISSED; [ "${rate##*=}" -ge 20000 ] && verdict=HOLDS
        echo "  [$verdict] ${rate%=*}: ${rate##*=} field changes/s" ;;
    esac
done
peak=$(printf '%s\n' "${ROWS[@]}" | awk '{print $NF}' | tr '/' '\n' | sort -n | tail -1)
echo "  [$(awk "BEGIN {print ($peak <= 300 ? \"HOLDS\" : \"MISSED\")}")] peak RSS of any instance: $peak MB"
