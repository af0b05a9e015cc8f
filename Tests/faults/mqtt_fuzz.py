"""MQTT fuzzer (issue 12): random and malformed payloads on every topic filter the template subscribes
(`charging/updates`, `chargers/+/meter`), from a seeded generator, through a real MQTT client (paho-mqtt, QoS 1),
interleaved with valid messages whose effects are known. Asserts the runner stays healthy, the broker keeps
accepting connections, and at the end the store equals the model built from the valid messages exactly.

    EVCSM_FUZZ_SEED=<int>    the generator's seed (printed; the default is fixed)
    EVCSM_FUZZ_CASES=<int>   how many fuzz payloads (default 600, at least 500)

The broker allows no anonymous client (issue 13): `charging/updates` goes out as the development screen user,
meter readings and raw packets as the simulator user (`<data-dir>/mqtt-*.json`); mqtt_auth.py checks that an
anonymous client and a wrong password are refused at CONNECT and write nothing.

Exits non-zero on any failure; prints a summary and saves it in test-artifacts/faults.txt.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

import paho.mqtt.client as mqtt

from fuzz_model import Fuzzer, store_diff, summarize_store
from fuzz_payloads import MAX_BYTES
from harness import API, Failure, Runner, check, start_body, wait_for, write_results
from mqtt_auth import refused_clients
from mqtt_clients import PUBLISH_TIMEOUT, UPDATES, RoutedPublisher, broker_accepts, matches_meter_filter, meter_topic
from raw_packets import raw_cases

METER_FILTER = "chargers/+/meter"
METER_SESSIONS = 6


def main() -> int:
    seed = int(os.environ.get("EVCSM_FUZZ_SEED", "20261201"))
    cases = int(os.environ.get("EVCSM_FUZZ_CASES", "600"))
    print(f"mqtt-fuzz: seed {seed} (EVCSM_FUZZ_SEED overrides), {cases} fuzz payloads", flush=True)
    check(cases >= 500, "EVCSM_FUZZ_CASES must be at least 500")
    started = time.monotonic()
    runner = Runner(name="mqtt-fuzz")
    counts: Counter = Counter()
    kinds: Counter = Counter()
    ok = False
    try:
        fuzz = Fuzzer(seed, runner)
        for i in range(METER_SESSIONS):
            point = f"fz-m-{i}"
            reply = runner.request("POST", f"{API}/start", start_body(point, user="u-meter", vehicle="v-meter"))
            check(reply.status == 201, f"POST /start {point}: {reply.status} {reply.text}")
            fuzz.meter_sessions[reply.json["sessionId"]] = {"point": point, "seq": 0, "energy": 0}
        screen, simulator = runner.mqtt_credentials("screen"), runner.mqtt_credentials("simulator")
        refusals = refused_clients(runner, simulator)
        publisher = RoutedPublisher(runner.mqtt_port, f"fz-{seed}", screen, simulator)
        pending: list[mqtt.MQTTMessageInfo] = []
        valid_sent = 0
        crashes = 0
        stream: list[tuple[str, str, bytes, bool]] = []
        for n in range(cases):
            if fuzz.rng.random() < 0.5:
                kind, payload = fuzz.invalid_update() if fuzz.rng.random() < 0.85 else fuzz.noop_update()
                stream.append((kind, UPDATES, payload, False))
            else:
                kind, topic, payload = fuzz.invalid_meter()
                stream.append((kind, topic, payload, False))
            roll = fuzz.rng.random()
            if roll < 0.25:
                kind, topic, payload = fuzz.valid_reading()
                stream.append((kind, topic, payload, True))
            elif roll < 0.29:
                kind, payload = fuzz.valid_start()
                stream.append((kind, UPDATES, payload, True))
        # Readings at the functions' size limit: exactly 64 KiB is applied, one byte more is dropped.
        stream.append(fuzz.valid_reading(padded_to=MAX_BYTES) + (True,))
        session, point = fuzz.real_session()
        big = fuzz.reading(session, 19999, 10**6)
        stream.append(("huge:65537-real", meter_topic(point), big + b" " * (MAX_BYTES + 1 - len(big)), False))

        for index, (kind, topic, payload, valid) in enumerate(stream):
            pending.append(publisher.publish(topic, payload))
            counts[("valid " if valid else "fuzz ") + (UPDATES if topic == UPDATES else
                                                       (METER_FILTER if matches_meter_filter(topic) else "other topics"))] += 1
            kinds[kind] += 1
            valid_sent += valid
            if len(pending) >= 32 or index == len(stream) - 1:
                for info in pending:
                    info.wait_for_publish(timeout=PUBLISH_TIMEOUT)
                    check(info.is_published(), f"no PUBACK within {PUBLISH_TIMEOUT:.0f} s (at payload {index}, {kind})")
                pending = []
            if index % 50 == 0:
                check(runner.healthy(), f"/healthz failed after payload {index} ({kind}):\n{runner.log_tail()}")
                check(broker_accepts(runner.mqtt_port, simulator), f"the broker refused a connection after payload {index} ({kind})")
        fuzz_sent = sum(v for k, v in counts.items() if not str(k).startswith("valid"))
        raw = raw_cases(runner.mqtt_port, counts, simulator)
        for name in raw:
            kinds["raw:" + name] += 1

        # Fence: the bridge received every message that matches a rule; then one last reading per meter
        # session (the highest seq) and every MQTT start are applied; then the invocation counters are still.
        to_updates = sum(v for k, v in counts.items() if k in ("valid " + UPDATES, "fuzz " + UPDATES))
        to_meter = sum(v for k, v in counts.items() if k in ("valid " + METER_FILTER, "fuzz " + METER_FILTER))
        in_updates = f'evcsm_mqtt_messages_in_total{{topic="{UPDATES}"}}'
        in_meter = f'evcsm_mqtt_messages_in_total{{topic="{METER_FILTER}"}}'
        wait_for(f"the bridge received {to_updates} + {to_meter} messages",
                 lambda: (m := runner.metrics()).get(in_updates, 0) >= to_updates and m.get(in_meter, 0) >= to_meter,
                 timeout=120, interval=0.3)
        for session in sorted(fuzz.meter_sessions):
            state = fuzz.meter_sessions[session]
            state["seq"] += 1
            state["energy"] += 1
            publisher.publish(meter_topic(state["point"]), fuzz.reading(session, state["energy"], state["seq"])).wait_for_publish(PUBLISH_TIMEOUT)
            valid_sent += 1
            counts["valid " + METER_FILTER] += 1

        def applied() -> bool:
            docs, _ = summarize_store(runner)
            by_point = {d["chargingPointId"]: d for d in docs.values()}
            return all(docs.get(s, {}).get("lastMeterSeq") == st["seq"] for s, st in fuzz.meter_sessions.items()) \
                and all(p in by_point for p in fuzz.mqtt_starts)
        wait_for("every valid reading and MQTT start is in the store", applied, timeout=120, interval=0.3)

        # Valid stops with known effects: half of the MQTT-started points by point, half of the meter sessions by id.
        stop_points = sorted(fuzz.mqtt_starts)[::2]
        stop_sessions = sorted(fuzz.meter_sessions)[::2]
        for point in stop_points:
            publisher.publish(UPDATES, fuzz.obj({"status": '"Stopped"', "chargingPointId": json.dumps(point)}))
            fuzz.mqtt_starts[point].update(status="Stopped", stopReason="Requested")
        for session in stop_sessions:
            publisher.publish(UPDATES, fuzz.obj({"status": '"stopped"', "sessionId": json.dumps(session)}))
        valid_sent += len(stop_points) + len(stop_sessions)
        counts["valid " + UPDATES] += len(stop_points) + len(stop_sessions)
        wait_for("the valid stops are applied", lambda: all(
            d["status"] == "Stopped" for d in summarize_store(runner)[0].values()
            if d["sessionId"] in stop_sessions or d["chargingPointId"] in stop_points), timeout=120, interval=0.3)
        publisher.close()

        def still() -> bool:
            before = {k: v for k, v in runner.metrics().items() if k.startswith("evcsm_invocations_total")}
            time.sleep(1.0)
            after = {k: v for k, v in runner.metrics().items() if k.startswith("evcsm_invocations_total")}
            return before == after
        wait_for("the invocation counters are still (everything delivered was handled)", still, timeout=120)

        # The store against the model, exactly.
        docs, locks = summarize_store(runner)
        diff = store_diff(fuzz, docs, locks, stop_sessions)

        metrics = runner.metrics()
        restarts = {k: v for k, v in metrics.items() if k.startswith("evcsm_child_restarts_total")}
        crashes = int(sum(restarts.values()))
        check(runner.healthy(), "/healthz failed at the end")
        check(broker_accepts(runner.mqtt_port, simulator), "the broker refused a connection at the end")
        check(runner.process.poll() is None, "evcsm-local exited during the fuzz run")

        seconds = time.monotonic() - started
        lines = [
            f"seed {seed}; {fuzz_sent} fuzz payloads + {len(raw)} raw-socket packets, {valid_sent} valid messages, {seconds:.1f} s",
            *(f"  {k}: {v}" for k, v in sorted((str(k), v) for k, v in counts.items())),
            f"  payload kinds: {len(kinds)} ({', '.join(f'{k}={v}' for k, v in sorted(kinds.items()))})",
            f"  sessions expected: {len(fuzz.meter_sessions)} REST (meter readings) + {len(fuzz.mqtt_starts)} MQTT starts; "
            f"stored: {len(summarize_store(runner)[0])}",
            f"  child restarts (crashes of broker / Data API): {crashes} ({restarts})",
            f"  dead letters: {int(sum(v for k, v in metrics.items() if k.startswith('evcsm_iot_dead_letters_total')))}",
            f"  publishes outside the simulator's ACL (dropped by the broker): {dict(publisher.refused)}",
            *(f"  {line}" for line in refusals),
            f"  store diff: {len(diff)}",
            *(f"    {d}" for d in diff),
        ]
        print("mqtt-fuzz summary:\n" + "\n".join(lines), flush=True)
        write_results("mqtt-fuzz", lines)
        check(crashes == 0, f"a supervised child crashed during the fuzz run: {restarts}\n{runner.log_tail()}")
        check(not diff, "the store differs from the model of the valid messages:\n" + "\n".join(diff))
        check(fuzz_sent >= 500, f"only {fuzz_sent} fuzz payloads were sent")
        ok = True
        print(f"mqtt-fuzz: {fuzz_sent + len(raw)} passed, 0 failed")
        return 0
    except Failure as failure:
        print(f"mqtt-fuzz: FAIL: {failure}\n--- runner log (tail) ---\n{runner.log_tail()}", flush=True)
        write_results("mqtt-fuzz", [f"FAIL (seed {seed}): {failure}"])
        return 1
    finally:
        status = runner.stop()
        runner.save_log("faults-mqtt-fuzz-runner")
        if ok and status != 0:
            print(f"mqtt-fuzz: FAIL: evcsm-local exited with {status} on SIGTERM")
            sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
