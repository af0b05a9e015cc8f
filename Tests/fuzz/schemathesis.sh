#!/usr/bin/env bash
# schemathesis (4.x, --checks all) against a real evcsm-local's served OpenAPI document: 0 failures of any check.
# Loopback only, ephemeral ports, bounded by --max-examples and --max-time; the runner is stopped at the end.
#   usage: Tests/fuzz/schemathesis.sh BIN_DIR ST_BINARY [max-examples]
set -euo pipefail
BIN_DIR=${1:?BIN_DIR}; ST=${2:?schemathesis st binary}; EXAMPLES=${3:-100}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$(mktemp -d); OUT="$DATA/stdout"
mkdir -p "$ROOT/test-artifacts"
cd "$ROOT"
"$BIN_DIR/evcsm-local" --functions-dir "$BIN_DIR" --data-dir "$DATA" --port 0 --mqtt-port 0 --mqtt-ws-port 0 \
    --log-level warning >"$OUT" 2>"$DATA/runner.log" &
RUNNER=$!
trap 'kill -TERM $RUNNER 2>/dev/null; wait $RUNNER 2>/dev/null; cp "$DATA/runner.log" "$ROOT/test-artifacts/schemathesis-runner.log" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 600); do grep -q "Press Ctrl-C" "$OUT" 2>/dev/null && break; kill -0 $RUNNER 2>/dev/null || break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.]*:[0-9]*' "$OUT" | head -1 || true)
[ -n "$BASE" ] || { echo "schemathesis: evcsm-local did not start"; cat "$DATA/runner.log"; exit 1; }
echo "schemathesis: $BASE/swagger/v1/swagger.json, --checks all, up to $EXAMPLES examples per operation"
set +e
"$ST" run "$BASE/swagger/v1/swagger.json" --url "$BASE" --checks all --max-examples "$EXAMPLES" --max-time ${ST_MAXTIME:-180} \
    --workers 1 --request-timeout 30 --seed ${ST_SEED:-20261201} --no-color \
    --report junit --report-dir "$ROOT/test-artifacts/schemathesis" 2>&1 | tee "$DATA/st.log"
rc=${PIPESTATUS[0]}
set -e
kill -0 $RUNNER 2>/dev/null || { echo "schemathesis: FAIL: evcsm-local died during the run"; exit 1; }
[ "$rc" = 0 ] || { echo "schemathesis: FAIL (exit $rc)"; exit 1; }
grep -qE '[0-9]+ passed' "$DATA/st.log" || { echo "schemathesis: FAIL: no test case ran"; exit 1; }
echo "schemathesis: passed"
