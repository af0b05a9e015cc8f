#!/usr/bin/env bash
# `make bench`: every figure of issue 11 for evcsm-local, each with its baseline measured in the same run and
# the ratio, one table at the end (also in test-artifacts/bench.txt). Not a test: the machines are shared and
# noisy, so only ratios against a same-run baseline mean anything. The sections live in Tests/runner/bench/
# (Python 3 stdlib; wrk, mosquitto, mosquitto-clients and strace from apt).
#   BIN_DIR             release bin dir (required): evcsm-local (and the function binaries, unless FUNCTIONS_DIR)
#   FUNCTIONS_DIR       the function binaries (`make bench`: the Lambda bootstraps of `make lambda-release`)
#   BENCH_DURATION      each wrk run and the start+stop loop (10s)    BENCH_CONNECTIONS  wrk connections (64)
#   BENCH_ROUNDS        rounds of a side-by-side comparison (5): the cases of a ratio take turns, DURATION/ROUNDS each
#   BENCH_SESSIONS      sessions seeded into the large store (100000)
#   BENCH_MQTT_MESSAGES meter readings per evcsm ingest case (10000); BENCH_MQTT_BASELINE_MESSAGES raw (20000)
#   BENCH_PAIR_CLIENTS  start+stop clients (8)                         BENCH_WRITES_PER_PAIR  override (4)
#   BENCH_DATA_ROOT     where the runners' data dirs go (system temp)  BENCH_KEEP_DATA=1 keeps them
set -euo pipefail
: "${BIN_DIR:?BIN_DIR (the release bin dir) is required}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
missing=""
for tool in wrk mosquitto_pub mosquitto_sub python3; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || missing="$missing mosquitto"
[ -z "$missing" ] || { echo "bench: missing:$missing (apt-get install wrk mosquitto mosquitto-clients)"; exit 2; }
[ -x "$BIN_DIR/evcsm-local" ] || { echo "bench: no evcsm-local in $BIN_DIR (make release)"; exit 2; }
cd "$ROOT"
# Bounded: every step has its own limit; this is the backstop for the whole run.
exec timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-1200}" python3 -B Tests/runner/bench
