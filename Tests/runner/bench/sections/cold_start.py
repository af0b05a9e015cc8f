"""Cold starts on a fresh runner of its own: each function's first invocation (spawn + init + invoke) as a
client sees it, and spawn -> first /next from the runner's metrics. Reported, no target in issue 11."""

from __future__ import annotations

import json
import subprocess
import time

from runner import API_PATH, metric_sum
from table import Row


def _timed(client, method: str, path: str, document=None) -> tuple[float, bytes]:
    body = None if document is None else json.dumps(document).encode()
    started = time.monotonic()
    status, data = client.request(method, path, body, {"content-type": "application/json"})
    return time.monotonic() - started, data


def _publish(runner, topic: str, payload: str) -> None:
    # The broker allows no anonymous client: meter readings as the simulator, the rest as the screen user.
    login = runner.mqtt_login("simulator" if topic.startswith("chargers/") else "screen")
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(runner.mqtt_port), "-q", "1", *login, "-t", topic,
                    "-m", payload], timeout=10, check=True)


def run(bench) -> list[Row]:
    runner = bench.runner("cold")
    client = runner.client
    first = {
        "GetStatus": _timed(client, "GET", API_PATH + "/status?chargingPointId=bench")[0],
        "ListSessions": _timed(client, "GET", API_PATH + "/sessions")[0],
        "GetSession": _timed(client, "GET", API_PATH + "/sessions/none")[0],
    }
    seconds, data = _timed(client, "POST", API_PATH + "/start", {
        "userId": "bench", "vehicleId": "bench", "chargingPointId": "bench-cp", "maxPower": 11, "targetCharge": 80})
    first["StartSession"] = seconds
    session = json.loads(data)["sessionId"]
    first["StopSession"] = _timed(client, "POST", API_PATH + "/stop", {"sessionId": session})[0]
    _publish(runner, "chargers/bench-cp/meter", json.dumps({"sessionId": session, "energyWh": 1, "seq": 1}))
    _publish(runner, "charging/updates", json.dumps({"status": "Charging", "chargingPointId": "bench-status"}))
    deadline = time.monotonic() + 15
    cold = {}
    while time.monotonic() < deadline:
        samples = runner.metrics()
        names = {s.labels.get("function") for s in samples if s.name == "evcsm_cold_start_duration_seconds_sum"}
        cold = {}
        for name in filter(None, names):
            count = metric_sum(samples, "evcsm_cold_start_duration_seconds_count", function=name) or 0
            total = metric_sum(samples, "evcsm_cold_start_duration_seconds_sum", function=name) or 0
            if count:
                cold[name] = total / count * 1000
        if {"MeterValues", "ChargingUpdates"} <= cold.keys():
            break
        time.sleep(0.1)
    bench.say("  first request per HTTP function (spawn + init + invoke), ms: "
              + ", ".join(f"{k} {v * 1000:.1f}" for k, v in first.items()))
    bench.say("  cold start per function (spawn -> first /next), ms: "
              + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cold.items())))
    bench.stop("cold")
    rows = []
    if cold:
        rows.append(Row("cold start per function (spawn → first /next)",
                        f"{min(cold.values()):.1f}–{max(cold.values()):.1f} ms"))
    rows.append(Row("first request per HTTP function (as a client sees it)",
                    f"{min(first.values()) * 1000:.0f}–{max(first.values()) * 1000:.0f} ms"))
    return rows
