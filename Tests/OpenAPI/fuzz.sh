#!/usr/bin/env bash
# Fuzzes a live esync-aggregator against docs/openapi.yaml with schemathesis (PyPI), bounded in
# examples and time: one run with a bureau's token, one with a reviewer's. The aggregator runs on
# loopback with a fresh register that holds records and conflicts of two regions (made by real
# agents), so that a bureau's answers can be checked for the other region's data.
#
# Fails on: any 5xx, a status, Content-Type, header or body that docs/openapi.yaml does not
# document, an endpoint that ignores missing credentials, and (hooks.py) any successful answer
# to the bureau of 410100 that carries data of another region. Not checked: whether the server
# accepts exactly the inputs the schemas allow (`positive_data_acceptance`,
# `negative_data_rejection`; the server is stricter, e.g. credit-code check characters, and
# more lenient, e.g. unknown query parameters, than JSON Schema can say) and 405 for methods a
# route does not take (Hummingbird answers 404 `http_404`, as for no route).
#
# One worker: with more, Python 3.11's `ast` module (hypothesis reads lambda sources with it) is
# not thread-safe and schemathesis reports "AST constructor recursion depth mismatch" errors.
#
# BIN: the folder with esync-aggregator and esync-agent (default .build/debug).
# ESYNC_FUZZ_EXAMPLES (default 20) and ESYNC_FUZZ_SECONDS (default 120, per run) bound it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.build/debug}
EXAMPLES=${ESYNC_FUZZ_EXAMPLES:-20}
SECONDS_PER_RUN=${ESYNC_FUZZ_SECONDS:-120}
if ! command -v schemathesis >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore schemathesis
fi
WORK=$(mktemp -d /tmp/esync-fuzz-XXXXXX)
SERVE_PID=""
cleanup() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; true; }
trap cleanup EXIT
cd "$WORK"

cat > aggregator.yaml <<YAML
listen: { host: 127.0.0.1, port: 0 }
database: { path: province.sqlite }
cli: { by: fuzz }
YAML
agg() { "$BIN/esync-aggregator" "$@" --config aggregator.yaml; }
BUREAU=$(agg token add --region 410100 2> /dev/null | tail -1)
OTHER=$(agg token add --region 410200 | tail -1)
REVIEWER=$(agg token add --reviewer wang | tail -1)
"$BIN/esync-aggregator" serve --config aggregator.yaml > serve.out 2> serve.log &
SERVE_PID=$!
for _ in $(seq 100); do grep -qoE 'http://127\.0\.0\.1:[0-9]+' serve.out 2>/dev/null && break; sleep 0.1; done
URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' serve.out) || { cat serve.log; echo "fuzz: the aggregator did not start" >&2; exit 1; }

# Two bureaus with records, each with a conflict on a renamed enterprise and a delete request.
bureau() {
    local region=$1 token=$2 dir=$WORK/bureau-$1
    mkdir -p "$dir" && printf '%s' "$token" > "$dir/agent.token" && chmod 600 "$dir/agent.token"
    printf 'region: "%s"\nstore: store\nserver:\n  url: %s\n  tokenFile: agent.token\n' "$region" "$URL" > "$dir/agent.yaml"
    local agent=("$BIN/esync-agent")
    (cd "$dir" && "${agent[@]}" init --config agent.yaml && "${agent[@]}" record generate --count 12 --seed "${region: -3}" --config agent.yaml \
        && "${agent[@]}" sync --config agent.yaml) >> "$dir/agent.log" 2>&1 || { cat "$dir/agent.log" >&2; exit 1; }
    local first second
    first=$(ls "$dir/store/records" | sed -n 1p); first=${first%.json}
    second=$(ls "$dir/store/records" | sed -n 2p); second=${second%.json}
    agg records set "$first" name='"省厅改过的名称有限公司"' >> "$dir/agent.log" 2>&1
    python3 - "$dir/store/records/$first.json" <<'PY'
import json, sys
path = sys.argv[1]
doc = json.load(open(path, encoding="utf-8"))
doc["name"] = "区局改过的名称有限公司"
json.dump(doc, open(path, "w", encoding="utf-8"), ensure_ascii=False, indent=2)
PY
    rm "$dir/store/records/$second.json"
    # Exit 3 or 0: the rename parks a conflict, the removed file asks for a delete.
    (cd "$dir" && "${agent[@]}" sync --config agent.yaml) >> "$dir/agent.log" 2>&1 || true
    echo "$first $second"
}
read -r OWN_A OWN_B <<<"$(bureau 410100 "$BUREAU")"
read -r FOREIGN_A FOREIGN_B <<<"$(bureau 410200 "$OTHER")"
CONFLICTS=$(sqlite3 province.sqlite "SELECT group_concat(id, ',') FROM conflicts")
echo "fuzz: aggregator at $URL; records $OWN_A $OWN_B (410100), $FOREIGN_A $FOREIGN_B (410200); conflicts $CONFLICTS"

# The real identifiers, drawn half of the time, so that the fuzzer reaches the records and
# conflicts of both regions (and of the bureau's own) instead of only 404s.
cat > schemathesis.toml <<TOML
[dictionaries.codes]
values = ["$OWN_A", "$OWN_B", "$FOREIGN_A", "$FOREIGN_B"]
[dictionaries.conflicts]
values = [$CONFLICTS]
[dictionaries.regions]
values = ["410100", "410200", "410300"]
[parameters]
"path.uscc" = { dictionary = "codes", probability = 0.5 }
"path.id" = { dictionary = "conflicts", probability = 0.5 }
"query.region" = { dictionary = "regions", probability = 0.5 }
TOML

export SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH=$ROOT/Tests/OpenAPI${PYTHONPATH:+:$PYTHONPATH}
status=0
for who in bureau reviewer; do
    token=$BUREAU; region=410100
    [ "$who" = reviewer ] && { token=$REVIEWER; region=""; }
    echo "fuzz: as the $who${region:+ of $region}: at most $EXAMPLES examples per operation, $SECONDS_PER_RUN s"
    ESYNC_FUZZ_REGION=$region schemathesis --config-file schemathesis.toml run "$URL/openapi.yaml" --url "$URL" \
        -H "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth,region_isolation \
        --max-examples "$EXAMPLES" --max-time "$SECONDS_PER_RUN" --max-redirects 0 --request-timeout 20 \
        --workers 1 --seed 19 --no-color --report junit --report-dir "$WORK/report-$who" > "fuzz-$who.log" 2>&1 || status=1
    sed -n '/^=* SUMMARY/,$p' "fuzz-$who.log"
    if [ "$status" != 0 ]; then sed -n '/^=* FAILURES/,/^=* SUMMARY/p' "fuzz-$who.log" | head -200; break; fi
done
if [ "$status" = 0 ]; then
    echo "fuzz: 2 passed, 0 failed"
    rm -rf "$WORK"
else
    echo "fuzz: failed; the register, the logs and the reports are in $WORK" >&2
    exit 1
fi
