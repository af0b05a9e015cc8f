"""Fault b: SIGKILL of the runner's mosquitto during meter ingest (QoS 1, paho-mqtt, as the simulator MQTT user).

Readings go one per session, so the store shows which ones arrived. Set A is published while the broker is
killed: a reading the broker acknowledged (PUBACK) that never reached the store was lost in the crash window
(counted and printed, never a failure). Set B is published after the supervised restart: every acknowledged one
must be applied.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from harness import API, Failure, Runner, check, start_body, wait_for
from mqtt_clients import Publisher, broker_accepts, meter_topic

SET_A = 400
SET_B = 150
KILL_AFTER_ACKS = 120


def reading(session: str, energy: int) -> bytes:
    return f'{{"sessionId":"{session}","energyWh":{energy},"seq":1,"timestamp":"2026-12-01T12:00:00Z"}}'.encode()


def persistence_settings(runner: Runner) -> list[str]:
    conf = (runner.data_dir / "mosquitto.conf").read_text()
    keys = ("persistence", "autosave", "max_queued", "max_inflight", "max_packet", "message_size")
    return [line.strip() for line in conf.splitlines() if line.strip().startswith(keys)]


def broker_kill(lines: list[str]) -> None:
    runner = Runner(name="faults-b")
    try:
        def start(point: str) -> str:
            reply = runner.request("POST", f"{API}/start", start_body(point))
            check(reply.status == 201, f"POST /start {point}: {reply.status} {reply.text[:200]}")
            return reply.json["sessionId"]

        with ThreadPoolExecutor(8) as pool:
            set_a = dict(zip(pool.map(start, [f"fz-b-a{i}" for i in range(SET_A)]), [f"fz-b-a{i}" for i in range(SET_A)]))
            set_b = dict(zip(pool.map(start, [f"fz-b-b{i}" for i in range(SET_B)]), [f"fz-b-b{i}" for i in range(SET_B)]))
        # At most 100 Wh: plausible at once after the start whatever the elapsed time (MeterPlausibility).
        energy = {s: 10 + i % 90 for i, s in enumerate(list(set_a) + list(set_b))}
        database = runner.data_dir / "mosquitto.db"
        wait_for("mosquitto saved its database (the bridge's persistent session)", database.exists, timeout=30)
        first = runner.child("mosquitto")
        check(first is not None, "no mosquitto child of evcsm-local")

        # Set A: published as fast as the client goes; the broker is SIGKILLed after KILL_AFTER_ACKS PUBACKs.
        acked: set[int] = set()
        by_mid: dict[int, str] = {}
        lock = threading.Lock()
        killed = threading.Event()

        def on_publish(client, userdata, mid, reason_code, properties) -> None:
            with lock:
                if not killed.is_set():
                    acked.add(mid)
                    if len(acked) >= KILL_AFTER_ACKS:
                        os.kill(first, signal.SIGKILL)
                        killed.set()

        simulator = runner.mqtt_credentials("simulator")
        client = Publisher(runner.mqtt_port, "fz-b-a", simulator)
        client.client.on_publish = on_publish
        client.client.reconnect_delay_set(3600, 3600)  # no reconnect: set A belongs to the old broker
        for session, point in set_a.items():
            if killed.is_set() or not client.client.is_connected():
                break
            info = client.client.publish(meter_topic(point), reading(session, energy[session]), qos=1)
            by_mid[info.mid] = session
        wait_for("the broker was killed", killed.is_set, timeout=30)
        with lock:
            acked_a = {by_mid[mid] for mid in acked}
            published_a = len(by_mid)
        client.client.disconnect()
        client.client.loop_stop()

        wait_for("a new mosquitto accepts connections", lambda: (p := runner.child("mosquitto")) not in (None, first)
                 and broker_accepts(runner.mqtt_port, simulator), timeout=60, interval=0.1)
        restarted_at = time.monotonic()
        # Set B: after the restart, each publish waits for its PUBACK.
        after = Publisher(runner.mqtt_port, "fz-b-b", simulator)
        for session, point in set_b.items():
            info = after.publish(meter_topic(point), reading(session, energy[session]))
            info.wait_for_publish(timeout=60)
            check(info.is_published(), f"no PUBACK after the restart for {session}")
        after.close()

        def applied(sessions) -> set[str]:
            store = runner.sessions_by_id()
            return {s for s in sessions if store.get(s, {}).get("energyWh") == energy[s]}
        try:
            wait_for(f"all {SET_B} readings acknowledged after the restart are applied",
                     lambda: len(applied(set_b)) == SET_B, timeout=90, interval=0.3)
        except Failure as failure:
            metrics = runner.metrics()
            seen = {k: v for k, v in metrics.items() if "mqtt_messages_in" in k or "MeterValues" in k and "_total" in k}
            raise Failure(f"{failure}: {len(applied(set_b))} of {SET_B} applied (set A: {len(applied(set_a))}); "
                          f"/healthz {runner.request('GET', '/healthz').text}; metrics {seen}") from None
        b_seconds = time.monotonic() - restarted_at
        wait_for("the bridge is connected again", lambda: runner.request("GET", "/healthz").json.get("mqtt") == "connected",
                 timeout=60)

        def still() -> bool:
            before = {k: v for k, v in runner.metrics().items() if k.startswith("evcsm_invocations_total")}
            time.sleep(1.0)
            return before == {k: v for k, v in runner.metrics().items() if k.startswith("evcsm_invocations_total")}
        wait_for("meter ingest is idle", still, timeout=120)
        got_a = applied(set_a)
        lost = sorted(acked_a - got_a)
        unacked_applied = len(got_a - acked_a)
        restarts = runner.metrics().get('evcsm_child_restarts_total{child="mosquitto"}', 0)
        lines += [
            f"b. SIGKILL of mosquitto (pid {first}) during meter ingest:",
            f"   before/at the kill: {published_a} readings published, {len(acked_a)} acknowledged (PUBACK); "
            f"applied {len(got_a)}; broker-acknowledged-but-lost {len(lost)}; applied without a PUBACK {unacked_applied}",
            f"   after the restart: {SET_B} published and acknowledged, {len(applied(set_b))} applied "
            f"(all within {b_seconds:.1f} s); mosquitto restarts {int(restarts)}",
            f"   broker persistence (mosquitto.conf): {'; '.join(persistence_settings(runner))}",
        ]
        check(restarts == 1, f"evcsm_child_restarts_total{{child=mosquitto}} = {restarts}, expected 1")
        check(runner.healthy(), "/healthz failed after the broker restart")
    finally:
        runner.stop()
        runner.save_log("faults-b-runner")
