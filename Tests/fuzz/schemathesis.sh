#!/usr/bin/env bash
# schemathesis (4.x, --checks all) against a real evcsm-local's served OpenAPI document: 0 failures of any check.
# Authenticated (issue 13) with an operator token from the runner's development issuer (POST /dev/token), so the
# positive cases reach the functions; then a short pass without the header where every answer must be the JWT
# authorizer's 401 {"message":"Unauthorized"} (Tests/fuzz/unauthorized_hooks.py).
# Loopback only, ephemeral ports, bounded by --max-examples and --max-time; the runner is stopped at the end.
#   usage: Tests/fuzz/schemathesis.sh BIN_DIR ST_BINARY [max-examples [unauthenticated-max-examples]]
set -euo pipefail
BIN_DIR=${1:?BIN_DIR}; ST=${2:?schemathesis st binary}; EXAMPLES=${3:-100}; UNAUTH_EXAMPLES=${4:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$(mktemp -d); OUT="$DATA/stdout"
mkdir -p "$ROOT/test-artifacts"
cd "$ROOT"
"$BIN_DIR/evcsm-local" --functions-dir "$BIN_DIR" --data-dir "$DATA" --port 0 --mqtt-port 0 --mqtt-ws-port 0 \
    --log-level warning >"$OUT" 2>"$DATA/runner.log" &
RUNNER=$!
trap 'kill -TERM $RUNNER 2>/dev/null; wait $RUNNER 2>/dev/null; cp "$DATA/runner.log" "$ROOT/test-artifacts/schemathesis-runner.log" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 600); do grep -q "Press Ctrl-C" "$OUT" 2>/dev/null && break; kill -0 $RUNNER 2>/dev/null || break; sleep 0.1; done
BASE=$(grep -o 'Web page: *http://[0-9.]*:[0-9]*' "$OUT" | grep -o 'http://[0-9.]*:[0-9]*' | head -1 || true)
[ -n "$BASE" ] || { echo "schemathesis: evcsm-local did not start"; cat "$DATA/runner.log"; exit 1; }
# An operator token for the positive cases (schemathesis filters the Authorization header out of its reports).
TOKEN=$(curl -sf -X POST "$BASE/dev/token" -H 'Content-Type: application/json' \
    -d '{"sub":"schemathesis","role":"operator"}' | sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || { echo "schemathesis: FAIL: no operator token from $BASE/dev/token"; exit 1; }
echo "schemathesis: $BASE/swagger/v1/swagger.json, --checks all as an operator, up to $EXAMPLES examples per operation"
set +e
"$ST" run "$BASE/swagger/v1/swagger.json" --url "$BASE" --checks all --max-examples "$EXAMPLES" --max-time ${ST_MAXTIME:-180} \
    --header "Authorization: Bearer $TOKEN" \
    --workers 1 --request-timeout 30 --seed ${ST_SEED:-20261201} --no-color \
    --report junit --report-dir "$ROOT/test-artifacts/schemathesis" 2>&1 | tee "$DATA/st.log"
rc=${PIPESTATUS[0]}
set -e
kill -0 $RUNNER 2>/dev/null || { echo "schemathesis: FAIL: evcsm-local died during the run"; exit 1; }
grep -qE '[0-9]+ passed' "$DATA/st.log" || { echo "schemathesis: FAIL: no test case ran"; exit 1; }
# The unauthenticated pass runs even when this one failed, so one run reports both.
[ "$rc" = 0 ] && echo "schemathesis: authenticated pass passed" || echo "schemathesis: authenticated pass FAILED (exit $rc)"

# Without a token: a few hundred fuzzed requests (max-examples per operation), each answered 401 {"message":"Unauthorized"}.
echo "schemathesis: unauthenticated pass, up to $UNAUTH_EXAMPLES examples per operation, every answer must be 401"
set +e
# No --max-time here: with one, schemathesis repeats fuzzing until the time is spent; the count bounds this pass.
SCHEMATHESIS_HOOKS="$ROOT/Tests/fuzz/unauthorized_hooks.py" timeout 300 "$ST" run "$BASE/swagger/v1/swagger.json" --url "$BASE" \
    --phases fuzzing --checks unauthorized_without_token,not_a_server_error --max-examples "$UNAUTH_EXAMPLES" \
    --warnings off \
    --workers 1 --request-timeout 30 --seed ${ST_SEED:-20261201} --no-color \
    --report junit --report-dir "$ROOT/test-artifacts/schemathesis-unauthenticated" 2>&1 | tee "$DATA/st-unauth.log"
unauth_rc=${PIPESTATUS[0]}
set -e
kill -0 $RUNNER 2>/dev/null || { echo "schemathesis: FAIL: evcsm-local died during the unauthenticated pass"; exit 1; }
grep -qE '[0-9]+ passed' "$DATA/st-unauth.log" || { echo "schemathesis: FAIL: no unauthenticated case ran"; exit 1; }
[ "$unauth_rc" = 0 ] || { echo "schemathesis: FAIL: unauthenticated pass (exit $unauth_rc)"; exit 1; }
echo "schemathesis: unauthenticated pass passed"
[ "$rc" = 0 ] || { echo "schemathesis: FAIL: authenticated pass (exit $rc)"; exit 1; }
echo "schemathesis: passed"
