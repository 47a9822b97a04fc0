#!/usr/bin/env bash
# Times `esync-aggregator report` on a register of N generated records, built the real way:
# `esync-agent record generate` into one store per region, pushed by `esync-agent push`.
#   Benchmarks/report.sh 1000000        # N records in all, spread over REGIONS
#   AMPLIFY=50 Benchmarks/report.sh 1000000   # push N/50 records for real, then copy each row of
#                                             # records 49 more times in SQL (new credit codes, same
#                                             # documents) to time the report on N rows quickly;
#                                             # the copies' figures are not meant to add up
# BIN=.build/release (default: built with swift build -c release --static-swift-stdlib, as Deploy/install.sh does), DIR=/tmp/esync-report-bench.
set -euo pipefail
N=${1:-100000}
AMPLIFY=${AMPLIFY:-1}
TOTAL=$N
N=$(( N / AMPLIFY ))
REGIONS=${REGIONS:-"410100 410200 410300 410700 411300"}
DIR=${DIR:-/tmp/esync-report-bench}
BIN=${BIN:-$(swift build -c release --static-swift-stdlib --show-bin-path)}
BIN=$(cd "$BIN" && pwd)
rm -rf "$DIR" && mkdir -p "$DIR" && cd "$DIR"
printf 'listen: { host: 127.0.0.1, port: 0 }\ndatabase: { path: province.sqlite }\nlimits: { maxRecordsPerChangeSet: 5000 }\nguard: { minChanges: 10000000 }\n' > aggregator.yaml
"$BIN/esync-aggregator" serve --config aggregator.yaml > serve.out 2> serve.err &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening serve.out 2>/dev/null && break; sleep 0.2; done
URL=$(grep -o 'http://[0-9.:]*' serve.out)
set -- $REGIONS
PER=$(( N / $# ))
SEED=1
for REGION in "$@"; do
  "$BIN/esync-aggregator" token add --config aggregator.yaml --region "$REGION" | tail -1 > "token-$REGION"
  chmod 600 "token-$REGION"
  printf 'region: "%s"\nstore: store-%s\nserver:\n  url: %s\n  tokenFile: token-%s\n  timeoutSeconds: 600\nsync:\n  maxRecordsPerChangeSet: 5000\n' \
    "$REGION" "$REGION" "$URL" "$REGION" > "agent-$REGION.yaml"
  "$BIN/esync-agent" init --config "agent-$REGION.yaml" > /dev/null
  /usr/bin/time -f "generate $REGION: %e s" "$BIN/esync-agent" record generate --count "$PER" --seed "$SEED" --config "agent-$REGION.yaml" > /dev/null
  /usr/bin/time -f "push $REGION: %e s, agent peak %M KB" "$BIN/esync-agent" push --config "agent-$REGION.yaml" > /dev/null
  SEED=$((SEED + 1))
done
kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
if [ "$AMPLIFY" -gt 1 ]; then
  echo "--- copying the $N pushed records $((AMPLIFY - 1)) times in SQL to reach $TOTAL rows"
  /usr/bin/time -f "copies: %e s" sqlite3 province.sqlite "
    WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $((AMPLIFY - 1)))
    INSERT INTO records (uscc, region, revision, seq, deleted, doc, hash, updated_at, last_source)
    SELECT substr(uscc, 1, 8) || printf('%010d', n * 1000000 + rowid), region, revision, seq + n * $N, deleted, doc, hash, updated_at, last_source
    FROM records, k WHERE length(uscc) = 18;
    -- The writer keeps the report's facts (no triggers since v19): copied with their records.
    WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $((AMPLIFY - 1)))
    INSERT INTO record_facts
    SELECT substr(f.uscc, 1, 8) || printf('%010d', n * 1000000 + r.rowid), f.region, f.deleted, f.name, f.size_class, f.status, f.industry,
           f.employees, f.revenue_yuan, f.above_since, f.srdi_year, f.little_giant_year, f.measures, f.revenue_warning, f.size_warning
    FROM record_facts f JOIN records r ON r.uscc = f.uscc AND r.rowid <= $N, k;
    WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $((AMPLIFY - 1)))
    INSERT INTO designation_values
    SELECT substr(d.uscc, 1, 8) || printf('%010d', n * 1000000 + r.rowid), d.kind, d.value, d.first_at
    FROM designation_values d JOIN records r ON r.uscc = d.uscc AND r.rowid <= $N, k;"
  sqlite3 province.sqlite "SELECT COUNT(*) || ' records, ' || (SELECT COUNT(*) FROM record_facts) || ' facts' FROM records"
fi
ls -l province.sqlite
echo "--- esync-aggregator report --year 2024"
/usr/bin/time -v "$BIN/esync-aggregator" report --config aggregator.yaml --year 2024 > report.txt 2> time.txt
grep -E "Elapsed|Maximum resident" time.txt
/usr/bin/time -v "$BIN/esync-aggregator" report --config aggregator.yaml --year 2024 --json > report.json 2> time-json.txt
grep -E "Elapsed|Maximum resident" time-json.txt
head -8 report.txt
