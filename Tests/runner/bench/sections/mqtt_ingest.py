"""MQTT meter ingest at 1 and 10 charging points vs raw mosquitto QoS 1 pub -> sub with the runner's broker config.

Baseline: a second mosquitto started with the `small` runner's own generated mosquitto.conf (ports swapped,
a copy of its dynamic-security state, so the same users and ACLs with no anonymous client),
`mosquitto_pub -q 1 -l` per charging point as the `simulator` user (C4: `<data-dir>/mqtt-simulator.json`) into
`mosquitto_sub -q 1` on `chargers/+/meter` as the bridge user: msg/s from the first publish to the last message
received, lost = sent - received, duplicates = received - distinct. The evcsm cases publish as the same user.

evcsm: one session per point started through POST /start (maxPower 350), then the same publishers on the
runner's broker; done when the stored `lastMeterSeq` of every session (Data API `find`) reaches the last
seq. Readings carry energy that only rises, to E_TOTAL Wh per session (well within 350 kW for the second
they wait after the start), so a plausibility rule on energy vs elapsed time never refuses them.
Lost: messages the IoT bridge did not receive (its `evcsm_mqtt_messages_in_total`) plus sessions whose
stored seq or energy stayed short of the last reading; double-counted: sessions whose energy went past it.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import processes
from runner import BenchError, ejson_int, metric_sum
from table import Row, failed_row, fmt_rate, fmt_ratio, ratio

TOPIC_FILTER = "chargers/+/meter"
E_TOTAL_WH = 50
WAIT_AFTER_START = 1.0
TARGET = "≥ 0.2×, 0 lost, 0 double-counted"


def _readings(session_id: str, count: int) -> str:
    """`count` meter readings, seq 1…count, energy rising to E_TOTAL_WH, one JSON payload per line."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return "".join(
        f'{{"sessionId":"{session_id}","energyWh":{_energy(seq, count)},"timestamp":"{stamp}","seq":{seq}}}\n'
        for seq in range(1, count + 1))


def _energy(seq: int, count: int) -> int:
    return math.ceil(seq * E_TOTAL_WH / count)


def _publishers(port: int, points: list[str], files: list[str], login: list[str]) -> list[subprocess.Popen]:
    started = []
    for i, (point, path) in enumerate(zip(points, files)):
        with open(path, "rb") as readings:
            started.append(processes.spawn(
                ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-i", f"bench-pub-{i}", *login,
                 "-t", f"chargers/{point}/meter", "-l"],
                stdin=readings, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    return started


def _reap(publishers: list[subprocess.Popen], timeout: float) -> None:
    for publisher in publishers:
        try:
            publisher.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            processes.stop(publisher, grace=1)
        if publisher.returncode:
            raise BenchError(f"mosquitto_pub exited with {publisher.returncode}: {publisher.stderr.read()[:300]!r}")


def _write_files(scratch: str, label: str, session_ids: list[str], per_point: int) -> list[str]:
    files = []
    for i, sid in enumerate(session_ids):
        path = os.path.join(scratch, f"{label}-{i}.txt")
        with open(path, "w") as f:
            f.write(_readings(sid, per_point))
        files.append(path)
    return files


PROBE_TOPIC = "chargers/bench-ready/meter"


class _Subscriber:
    """mosquitto_sub on the meter filter (as `sub_login`); counts meter messages as they arrive. Ready once a probe
    published as `pub_login` on a meter topic of its own came through (the ACLs allow no other topic)."""

    def __init__(self, port: int, expected: int, sub_login: list[str], pub_login: list[str]):
        self.expected, self.lines, self.last = expected, [], 0.0
        self.ready, self.done = threading.Event(), threading.Event()
        self.process = processes.spawn(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-v", "-i", "bench-sub", *sub_login,
             "-t", TOPIC_FILTER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self.ready.is_set() and time.monotonic() < deadline:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", *pub_login,
                            "-t", PROBE_TOPIC, "-m", "1"], timeout=10, check=False)
            self.ready.wait(0.1)
        if not self.ready.is_set():
            raise BenchError("mosquitto_sub did not receive its probe within 10 s")

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith(PROBE_TOPIC.encode()):
                self.ready.set()
                continue
            self.lines.append(line)
            self.last = time.monotonic()
            if len(self.lines) >= self.expected:
                self.done.set()

    def stop(self) -> None:
        processes.stop(self.process, grace=2)


def _baseline_broker(bench, runner, scratch: str) -> tuple[subprocess.Popen, int]:
    """mosquitto with the runner's generated config, on fresh ports."""
    source = os.path.join(runner.data_dir, "mosquitto.conf")
    try:
        config = open(source).read()
    except OSError as error:
        raise BenchError(f"no broker config at {source} ({error}); started with --mqtt-url?") from error
    config = re.sub(r"^listener \d+", lambda _: f"listener {processes.free_port()}", config, flags=re.MULTILINE)
    # Same users and ACLs: a copy of the dynamic-security state (the plugin rewrites its file), own persistence.
    state = re.search(r"^plugin_opt_config_file (.+)$", config, re.MULTILINE)
    if state:
        copy = os.path.join(scratch, "dynamic-security.json")
        shutil.copyfile(state.group(1).strip(), copy)
        os.chmod(copy, 0o600)
        config = config.replace(state.group(0), f"plugin_opt_config_file {copy}")
    config = re.sub(r"^persistence_location .*$", f"persistence_location {scratch}/", config, flags=re.MULTILINE)
    config = re.sub(r"^pid_file .*$", "", config, flags=re.MULTILINE)
    port = int(re.search(r"^listener (\d+)", config, re.MULTILINE).group(1))
    path = os.path.join(scratch, "mosquitto.conf")
    open(path, "w").write(config)
    binary = next((p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)), "mosquitto")
    broker = processes.spawn([binary, "-c", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not processes.wait_for_port(port, 10):
        processes.stop(broker)
        raise BenchError("the baseline mosquitto did not listen within 10 s")
    bench.say(f"  baseline broker: {binary} -c (the runner's mosquitto.conf and users, listener ports changed)")
    return broker, port


def _baseline(bench, runner, port: int, scratch: str, points: int) -> dict:
    per_point = max(1, bench.config.mqtt_baseline_messages // points)
    names = [f"bench-raw-{points}-{i}" for i in range(points)]
    files = _write_files(scratch, f"raw{points}", [f"raw-{points}-{i}" for i in range(points)], per_point)
    sent = per_point * points
    simulator = runner.mqtt_login("simulator")
    subscriber = _Subscriber(port, sent, runner.mqtt_login("evcsm-bridge"), simulator)
    try:
        started = time.monotonic()
        publishers = _publishers(port, names, files, simulator)
        subscriber.done.wait(bench.config.mqtt_timeout)
        _reap(publishers, timeout=10)
        time.sleep(0.2)  # duplicates, if any, arrive right behind
    finally:
        subscriber.stop()
    received = len(subscriber.lines)
    distinct = len(set(subscriber.lines))
    elapsed = (subscriber.last or time.monotonic()) - started
    return {"sent": sent, "lost": max(0, sent - distinct), "duplicates": received - distinct,
            "rate": distinct / elapsed if elapsed > 0 else None, "seconds": elapsed}


def _stored(runner, ids: list[str]) -> dict:
    answer = runner.data_api("find", "ChargingSessions", filter={"_id": {"$in": ids}},
                             projection={"lastMeterSeq": 1, "energyWh": 1, "status": 1})
    return {d["_id"]: d for d in answer.get("documents", [])}


def _meter_in(runner) -> float | None:
    """Meter messages the runner's IoT bridge received so far (None when it does not export the count)."""
    return metric_sum(runner.metrics(), "evcsm_mqtt_messages_in_total", topic=TOPIC_FILTER)


def _evcsm(bench, runner, scratch: str, points: int) -> dict:
    config = bench.config
    per_point = max(1, config.mqtt_messages // points)
    names = [f"bench-meter-{points}-{i}" for i in range(points)]
    ids = []
    for point in names:
        answer = runner.client.json("POST", "/api/ChargingSessionAPI/start", {
            "userId": "bench", "vehicleId": "bench", "chargingPointId": point, "maxPower": 350,
            "targetCharge": 80}, expect=(201,))
        ids.append(answer["sessionId"])
    time.sleep(WAIT_AFTER_START)
    files = _write_files(scratch, f"evcsm{points}", ids, per_point)
    sent = per_point * points
    last_energy = _energy(per_point, per_point)
    before = _meter_in(runner)
    started = time.monotonic()
    publishers = _publishers(runner.mqtt_port, names, files, runner.mqtt_login("simulator"))
    deadline = started + config.mqtt_timeout
    stored, finished = {}, None
    while time.monotonic() < deadline:
        stored = _stored(runner, ids)
        if len(stored) == len(ids) and all((ejson_int(d.get("lastMeterSeq")) or -1) >= per_point
                                           for d in stored.values()):
            finished = time.monotonic()
            break
        time.sleep(0.02)
    _reap(publishers, timeout=10)
    time.sleep(0.2)
    after = _meter_in(runner)
    received = None if before is None or after is None else int(after - before)
    stored = _stored(runner, ids)
    for sid in ids:
        runner.client.json("POST", "/api/ChargingSessionAPI/stop", {"sessionId": sid}, expect=(200, 404, 409))
    energies = [ejson_int(stored.get(sid, {}).get("energyWh")) or 0 for sid in ids]
    seqs = [ejson_int(stored.get(sid, {}).get("lastMeterSeq")) or -1 for sid in ids]
    short = sum(1 for e, s in zip(energies, seqs) if e < last_energy or s < per_point)
    over = sum(1 for e in energies if e > last_energy)
    elapsed = (finished or time.monotonic()) - started
    return {"sent": sent, "received": received, "lost": 0 if received is None else max(0, sent - received),
            "short_sessions": short, "over_sessions": over, "rate": sent / elapsed if finished else None,
            "seconds": elapsed, "finished": finished is not None}


def run(bench) -> list[Row]:
    runner = bench.runner("small")
    rounds = max(1, bench.config.rounds)
    rows = []
    with tempfile.TemporaryDirectory(prefix="evcsm-bench-mqtt-", dir=bench.config.data_root) as scratch:
        broker, port = _baseline_broker(bench, runner, scratch)
        try:
            for points in (1, 10):
                rows.append(_case(bench, runner, port, scratch, points, rounds))
        finally:
            processes.stop(broker)
    bench.note(f"MQTT: {bench.config.mqtt_messages:,} readings per evcsm case, "
               f"{bench.config.mqtt_baseline_messages:,} per raw mosquitto case, QoS 1, "
               f"one mosquitto_pub per charging point, {rounds} rounds of raw mosquitto and evcsm taking turns "
               "(the ratio is the median round's); 'lost' for evcsm = not received by the IoT bridge "
               "+ sessions whose stored seq/energy stayed short of the last reading, over all rounds.")
    return rows


def _case(bench, runner, port: int, scratch: str, points: int, rounds: int) -> Row:
    """`rounds` rounds of the raw mosquitto baseline and evcsm taking turns (a run of about a second each is at the
    mercy of this machine's drift otherwise); the median round's figures, losses counted over every round."""
    label = f"MQTT meter ingest, {points} charging point{'s' if points > 1 else ''}, vs raw mosquitto QoS 1"
    measured = []
    for _ in range(rounds):
        base = _baseline(bench, runner, port, scratch, points)
        bench.say(f"  raw mosquitto, {points:>2} publisher(s): {fmt_rate(base['rate'], 'msg/s'):>12} "
                  f"({base['sent']:,} sent, {base['lost']} lost, {base['duplicates']} duplicates, "
                  f"{base['seconds']:.2f} s)")
        try:
            got = _evcsm(bench, runner, scratch, points)
        except Exception as error:
            bench.say(f"  evcsm, {points} point(s): failed: {error}")
            return failed_row(label, TARGET, str(error))
        received = "?" if got["received"] is None else f"{got['received']:,}"
        bench.say(f"  evcsm,         {points:>2} point(s):     {fmt_rate(got['rate'], 'msg/s'):>12} "
                  f"({got['sent']:,} sent, {received} received by the IoT bridge, "
                  f"{got['short_sessions']} session(s) short of the last reading, {got['over_sessions']} past it, "
                  f"{got['seconds']:.2f} s{'' if got['finished'] else ', TIMED OUT'})")
        measured.append((ratio(got["rate"], base["rate"]), base, got))
    ranked = sorted(measured, key=lambda m: -1.0 if m[0] is None else m[0])
    r, base, got = ranked[len(ranked) // 2]
    lost = sum(g["lost"] + g["short_sessions"] for _, _, g in measured)
    over = sum(g["over_sessions"] for _, _, g in measured)
    finished = all(g["finished"] for _, _, g in measured)
    bench.say(f"  {points} point(s): ratios by round "
              + ", ".join(fmt_ratio(m[0]) for m in measured) + f"; median {fmt_ratio(r)}")
    value = f"{fmt_rate(got['rate'], 'msg/s')}, {lost} lost, {over} double-counted"
    baseline = f"{fmt_rate(base['rate'], 'msg/s')}, {sum(b['lost'] for _, b, _ in measured)} lost"
    ok = r is not None and r >= 0.2 and lost == 0 and over == 0 and finished
    return Row(label, value, baseline, fmt_ratio(r), TARGET, met=ok)
