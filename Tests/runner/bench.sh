#!/usr/bin/env bash
# `make bench`: figures for evcsm-local from one run on this machine (not a test).
#   - requests/s and p50/p99 of GET /api/ChargingSessionAPI/status through the full path
#     (API Gateway -> Lambda worker -> Data API -> SQLite) next to a bare route of the same process
#     (/_bench/hello, served only with --bench), and their ratio;
#   - start+stop pairs per second;
#   - cold start of each function (spawn -> first /next from the runner's metrics, and the first
#     request's latency as a client sees it).
set -euo pipefail
BIN_DIR=${BIN_DIR:?BIN_DIR (the release bin dir) is required}
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$(mktemp -d)
OUT="$DATA/stdout"
cd "$ROOT"
"$BIN_DIR/evcsm-local" --functions-dir "$BIN_DIR" --data-dir "$DATA" --port 0 --mqtt-port 0 --mqtt-ws-port 0 \
    --bench --log-level warning >"$OUT" 2>"$DATA/runner.log" &
RUNNER=$!
trap 'kill -TERM $RUNNER 2>/dev/null; wait $RUNNER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 300); do grep -q "Press Ctrl-C" "$OUT" 2>/dev/null && break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.]*:[0-9]*' "$OUT" | head -1)
MQTT_PORT=$(grep -o 'mqtt://[0-9.]*:[0-9]*' "$OUT" | head -1 | sed 's/.*://')
[ -n "$BASE" ] || { echo "evcsm-local did not start:"; cat "$DATA/runner.log"; exit 1; }
API="$BASE/api/ChargingSessionAPI"

first() { curl -s -o /dev/null -w '%{time_total}' "$@"; }
echo "evcsm-local bench — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
echo
echo "First request per HTTP function (cold: spawn + init + invoke), seconds:"
printf '  %-14s %s\n' GetStatus "$(first "$API/status?chargingPointId=bench")"
printf '  %-14s %s\n' ListSessions "$(first "$API/sessions")"
printf '  %-14s %s\n' GetSession "$(first "$API/sessions/none")"
start_json='{"userId":"bench","vehicleId":"bench","chargingPointId":"bench-cp","maxPower":11,"targetCharge":80}'
T=$(curl -s -o "$DATA/start.json" -w '%{time_total}' -X POST "$API/start" -H 'content-type: application/json' -d "$start_json")
printf '  %-14s %s\n' StartSession "$T"
SID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sessionId"])' "$DATA/start.json")
printf '  %-14s %s\n' StopSession "$(first -X POST "$API/stop" -d "{\"sessionId\":\"$SID\"}")"
mosquitto_pub -p "$MQTT_PORT" -q 1 -t chargers/bench-cp/meter -m "{\"sessionId\":\"$SID\",\"energyWh\":1,\"seq\":1}"
mosquitto_pub -p "$MQTT_PORT" -q 1 -t charging/updates -m '{"status":"Charging","chargingPointId":"bench-status"}'
sleep 2
echo
echo "Cold start per function (spawn -> first /next), ms:"
curl -s "$BASE/metrics" | sed -n 's/^evcsm_cold_start_duration_seconds_sum{function="\([^"]*\)"} \(.*\)/\1 \2/p' |
    awk '{printf "  %-16s %.1f\n", $1, $2 * 1000}'

wrk_run() {  # url -> "rps p50 p99"
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$1" >"$DATA/wrk.txt" 2>&1
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}' "$DATA/wrk.txt"
}
echo
echo "wrk -t2 -c$CONNECTIONS -d$DURATION:"
read -r HELLO_RPS HELLO_P50 HELLO_P99 < <(wrk_run "$BASE/_bench/hello")
read -r STATUS_RPS STATUS_P50 STATUS_P99 < <(wrk_run "$API/status?chargingPointId=bench-status")
printf '  %-44s %10s req/s  p50 %8s  p99 %8s\n' "GET /_bench/hello (bare route, same process)" "$HELLO_RPS" "$HELLO_P50" "$HELLO_P99"
printf '  %-44s %10s req/s  p50 %8s  p99 %8s\n' "GET /api/ChargingSessionAPI/status (full path)" "$STATUS_RPS" "$STATUS_P50" "$STATUS_P99"
python3 -c 'import sys; print("  full path / bare route: %.3f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$STATUS_RPS" "$HELLO_RPS"

echo
python3 - "$API" <<'PY'
import http.client, json, sys, threading, time, urllib.parse
api = urllib.parse.urlparse(sys.argv[1])
duration, workers, counts = 10.0, 4, []
def run(n):
    conn = http.client.HTTPConnection(api.hostname, api.port)
    done, deadline = 0, time.monotonic() + duration
    while time.monotonic() < deadline:
        body = json.dumps({"userId": "bench", "vehicleId": "bench", "chargingPointId": "pair-%d" % n,
                           "maxPower": 11, "targetCharge": 80})
        conn.request("POST", api.path + "/start", body, {"content-type": "application/json"})
        r = conn.getresponse(); data = r.read()
        if r.status != 201: raise SystemExit("start failed: %d %s" % (r.status, data))
        sid = json.loads(data)["sessionId"]
        conn.request("POST", api.path + "/stop", json.dumps({"sessionId": sid}), {"content-type": "application/json"})
        r = conn.getresponse(); r.read()
        if r.status != 200: raise SystemExit("stop failed: %d" % r.status)
        done += 1
    counts.append(done)
threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
for t in threads: t.start()
for t in threads: t.join()
print("start+stop pairs: %.1f pairs/s (%d clients, %.0f s, %d pairs)" % (sum(counts) / duration, workers, duration, sum(counts)))
PY
