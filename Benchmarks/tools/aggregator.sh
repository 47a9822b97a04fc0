# Shell helpers the benchmarks share (sourced): real aggregators and agents on loopback.
# Needs BIN (the folder of esync-aggregator and esync-agent) and a PIDS array (what to stop).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 8<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened"; exit 1; }
# start_aggregator FOLDER [EXTRA YAML]: a real aggregator on a free port, under /usr/bin/time -v;
# sets AGG (the time wrapper's pid) and AGG_PORT. Its register: the SQLite file FOLDER/province.sqlite,
# or DATABASE (the YAML of `database:`, e.g. { url: "postgresql://…" }) when set.
start_aggregator() {
    mkdir -p "$1"
    printf 'listen: { host: 127.0.0.1, port: 0 }\ndatabase: %s\n%s\n' "${DATABASE:-{ path: $1/province.sqlite \}}" "${2:-}" > "$1/aggregator.yaml"
    /usr/bin/time -v -o "$1/aggregator.time" "$BIN/esync-aggregator" serve --config "$1/aggregator.yaml" > "$1/serve.out" 2> "$1/serve.log" &
    AGG=$!; PIDS+=($AGG)
    for _ in $(seq 100); do grep -q 'listening on' "$1/serve.out" 2>/dev/null && break; sleep 0.1; done
    AGG_PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$1/serve.out" | head -1 | cut -d: -f3 || true)
    [ -n "$AGG_PORT" ] || { echo "the aggregator did not start:"; cat "$1/serve.log"; exit 1; }
}
# stop_aggregator FOLDER: stops the server itself (not the time wrapper, AGG), so that time
# reports its peak; sets AGG_RSS (KB).
stop_aggregator() {
    pkill -TERM -P "$AGG" || true; wait "$AGG" 2>/dev/null || true
    AGG_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$1/aggregator.time")
}
# agent_config FOLDER REGION PORT: an agent store for REGION talking to 127.0.0.1:PORT.
agent_config() {
    printf 'region: "%s"\nstore: %s/store\nserver: { url: http://127.0.0.1:%s, tokenFile: %s/agent.token, timeoutSeconds: 600 }\n' \
        "$2" "$1" "$3" "$1" > "$1/agent.yaml"
    "$BIN/esync-agent" init --config "$1/agent.yaml" > /dev/null
}
# metric PORT NAME: a value of the aggregator's /metrics on 127.0.0.1:PORT (0 before it has one).
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {v = $2} END {print v + 0}'; }
# The regions an ingest's agents take, in order.
REGIONS=(410100 410200 410300 410400 410500 410600 410700 410800 410900 411000 411100 411200 411300 411400 411500 411600 411700 419001)
# ingest_agent K FOLDER AGGREGATOR_CONFIG PORT: agent K of an ingest, in FOLDER/agent-K: a token of
# its region made with AGGREGATOR_CONFIG, INGEST generated records (seed 100 + K) pushed once to
# the aggregator on PORT.
ingest_agent() {
    local A=$2/agent-$1 R=${REGIONS[$(($1 % ${#REGIONS[@]}))]}
    mkdir -p "$A"
    "$BIN/esync-aggregator" token add --config "$3" --region "$R" | tail -1 > "$A/agent.token"
    chmod 600 "$A/agent.token"
    agent_config "$A" "$R" "$4"
    "$BIN/esync-agent" record generate --count "$INGEST" --seed $((100 + $1)) --config "$A/agent.yaml" > /dev/null
    "$BIN/esync-agent" push --config "$A/agent.yaml" > "$A/first-push.out" 2>&1 || { cat "$A/first-push.out"; exit 1; }
}
# serve CONFIG PORT FOLDER: an aggregator of CONFIG listening on the fixed PORT (a restart keeps its
# address, so agents configured for it reach it again), its output appended to FOLDER/serve.*;
# sets AGG. unserve: stops it (SIGTERM) and waits.
serve() {
    "$BIN/esync-aggregator" serve --config "$1" >> "$3/serve.out" 2>> "$3/serve.log" &
    AGG=$!; PIDS+=($AGG)
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/healthz" > /dev/null && return; sleep 0.05; done
    echo "the aggregator did not start:"; cat "$3/serve.log"; exit 1
}
unserve() { kill -TERM "$AGG"; wait "$AGG" 2>/dev/null || true; }
# bureau K FOLDER CONFIG PORT COUNT SEED [EXTRA YAML]: the store of REGIONS[K] in FOLDER/agent-K, with
# a token made with CONFIG and its signing key registered, COUNT generated records (SEED), synced
# to the aggregator on PORT.
bureau() {
    local A=$2/agent-$1 R=${REGIONS[$1]}
    mkdir -p "$A"
    "$BIN/esync-aggregator" token add --config "$3" --region "$R" | tail -1 > "$A/agent.token"; chmod 600 "$A/agent.token"
    printf 'region: "%s"\nstore: %s/store\nserver: { url: http://127.0.0.1:%s, tokenFile: %s/agent.token, timeoutSeconds: 600 }\n%s\n' \
        "$R" "$A" "$4" "$A" "${7:-}" > "$A/agent.yaml"
    "$BIN/esync-agent" init --config "$A/agent.yaml" > /dev/null
    "$BIN/esync-aggregator" token key --config "$3" --selector "$(cut -c7-22 "$A/agent.token")" "@$A/store/.esync/signing-key.pub" > /dev/null
    "$BIN/esync-agent" record generate --count "$5" --seed "$6" --config "$A/agent.yaml" > /dev/null
    "$BIN/esync-agent" sync --config "$A/agent.yaml" > "$A/setup.out" 2>&1 || { cat "$A/setup.out"; exit 1; }
}
