#!/usr/bin/env bash
# The demo: the province's aggregator on loopback with a fresh SQLite file, two bureaus
# (Zhengzhou 410100 and Kaifeng 410200) with generated sample records, a sync round through
# libcurl, a province edit flowing back and merging with a bureau's own edit, and a real
# conflict parked for review. Everything lives in ./demo-run (removed and recreated).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(swift build --show-bin-path)}
AGENT="$BIN/esync-agent"
AGG="$BIN/esync-aggregator"
RUN="$PWD/demo-run"
rm -rf "$RUN"
mkdir -p "$RUN"
cd "$RUN"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "The province: esync-aggregator on 127.0.0.1 with SQLite"
cat > aggregator.yaml <<'YAML'
listen: { host: 127.0.0.1, port: 0 }     # 0: any free port; the bound one is printed
database: { path: province.sqlite }
cli: { by: wang }                        # who the province's command-line edits are recorded as
YAML
"$AGG" token add --config aggregator.yaml --region 410100 | tail -1 > zhengzhou.token
"$AGG" token add --config aggregator.yaml --region 410200 | tail -1 > kaifeng.token
"$AGG" token add --config aggregator.yaml --reviewer wang | tail -1 > reviewer.token
echo "tokens created for 410100 郑州市, 410200 开封市 and reviewer wang (only their hashes are stored)"
"$AGG" serve --config aggregator.yaml > serve.out 2> serve.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q 'listening on' serve.out 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*' serve.out | head -1)
[ -n "$URL" ] || { echo "the aggregator did not start:"; cat serve.log; exit 1; }
cat serve.out

for bureau in zhengzhou:410100 kaifeng:410200; do
    name=${bureau%%:*}; region=${bureau##*:}
    mkdir -p "$name"
    install -m 0600 "$name.token" "$name/agent.token"   # the agent warns about a token others can read
    cat > "$name/agent.yaml" <<YAML
region: "$region"
store: store
server:
  url: $URL
  tokenFile: agent.token
YAML
done

step "Two bureaus create their stores (each with its signing key) and 200 sample records each"
show "$AGENT" init --config zhengzhou/agent.yaml
show "$AGENT" record generate --count 200 --seed 1 --config zhengzhou/agent.yaml
show "$AGENT" init --config kaifeng/agent.yaml
show "$AGENT" record generate --count 200 --seed 2 --config kaifeng/agent.yaml

step "The province registers each store's public key with the bureau's token: change sets must be signed with it"
for name in zhengzhou kaifeng; do
    # The selector is the token's 16 characters after "esync_" (`token list` shows it).
    show "$AGG" token key --config aggregator.yaml --selector "$(cut -c7-22 "$name.token")" "@$name/store/.esync/signing-key.pub"
done
show "$AGG" token list --config aggregator.yaml

step "First sync round: every record goes to the province through libcurl"
show "$AGENT" sync --config zhengzhou/agent.yaml
show "$AGENT" sync --config kaifeng/agent.yaml

FIRST=$(ls zhengzhou/store/records | head -1 | sed 's/.json$//')
SECOND=$(ls zhengzhou/store/records | sed -n 2p | sed 's/.json$//')
step "The province designates $FIRST as a provincial SRDI SME"
show "$AGG" records set --config aggregator.yaml "$FIRST" 'srdi={"year":2025,"batch":2,"validUntil":"2027-12-31"}' --by wang

step "Meanwhile the Zhengzhou bureau, offline, updates the headcount of the same enterprise"
python3 - "zhengzhou/store/records/$FIRST.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p, encoding="utf-8")); d["employees"] = 321
open(p, "w", encoding="utf-8").write(json.dumps(d, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
PY
show "$AGENT" diff --config zhengzhou/agent.yaml

step "Sync: the province's designation flows back and merges with the bureau's edit, both kept"
show "$AGENT" sync --config zhengzhou/agent.yaml
python3 - "zhengzhou/store/records/$FIRST.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
print(f"bureau's file now: employees={d['employees']} srdi={json.dumps(d['srdi'], ensure_ascii=False)}")
PY
"$AGG" records get --config aggregator.yaml "$FIRST" | python3 -c '
import json, sys
v = json.load(sys.stdin); p = v["provenance"]
print("province now: revision %d, employees=%s (set by %s), srdi set by %s" % (
    v["revision"], v["document"]["employees"], p["employees"]["source"], p["srdi.year"]["source"]))'

step "A real conflict: both sides rename $SECOND"
show "$AGG" records set --config aggregator.yaml "$SECOND" 'name="省厅核定名称有限公司"' --by wang
python3 - "zhengzhou/store/records/$SECOND.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p, encoding="utf-8")); d["name"] = "区局登记名称有限公司"
open(p, "w", encoding="utf-8").write(json.dumps(d, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
PY
show "$AGENT" sync --config zhengzhou/agent.yaml
step "The bureau's status: its value is kept locally and waits for the province's review"
show "$AGENT" status --config zhengzhou/agent.yaml

step "The province's review: the queue, the conflict side by side, a decision"
show "$AGG" conflicts list --config aggregator.yaml
ID=$("$AGG" conflicts list --config aggregator.yaml --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["conflicts"][0]["id"])')
show "$AGG" conflicts show "$ID" --config aggregator.yaml
show "$AGG" conflicts resolve "$ID" --keep-current --note "以营业执照登记名称为准" --by wang --config aggregator.yaml

step "The decision reaches the bureau on its next sync"
show "$AGENT" sync --config zhengzhou/agent.yaml
python3 - "zhengzhou/store/records/$SECOND.json" <<'PY'
import json, sys
print("bureau's file now: name=" + json.load(open(sys.argv[1], encoding="utf-8"))["name"])
PY

step "Bad input is named, and the rest still syncs"
printf '{"uscc": "%s", "name": ' "$(ls kaifeng/store/records | head -1 | sed 's/.json$//')" > "kaifeng/store/records/$(ls kaifeng/store/records | head -1)"
show "$AGENT" sync --config kaifeng/agent.yaml || echo "(exit $?: done, with records skipped)"

step "The audit: every change set the province accepted, its signature and its place in the bureau's chain checked again"
show "$AGG" changesets verify --config aggregator.yaml
"$AGG" records get --config aggregator.yaml "$FIRST" | python3 -c '
import json, sys
p = json.load(sys.stdin)["provenance"]["employees"]
print("employees of %s: set by %s in change set %s, signed by key %s" % (sys.argv[1], p["source"], p["changeSet"], p.get("signer", "-")))' "$FIRST"

step "Done"
echo "The demo's files are in $RUN (province.sqlite, the two stores, serve.log)."
