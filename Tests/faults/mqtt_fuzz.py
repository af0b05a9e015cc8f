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
import random
import socket
import sys
import time
import uuid
from collections import Counter

import paho.mqtt.client as mqtt

from harness import API, Failure, Runner, check, start_body, wait_for, write_results
from mqtt_auth import refused_clients
from mqtt_clients import (PUBLISH_TIMEOUT, UPDATES, RoutedPublisher, broker_accepts, matches_meter_filter, meter_topic,
                          raw_connect, remaining_length, utf8_field)

METER_FILTER = "chargers/+/meter"
MAX_BYTES = 64 * 1024  # RequestBody.maxBytes: a larger topic payload is dropped by the functions
MQTT_MAX_REMAINING = 268_435_455  # the broker config sets no max_packet_size: mosquitto's limit is MQTT's
STATUS_WORDS = {"charging", "active", "stopped"}
METER_SESSIONS = 6


def raw_cases(port: int, counts: Counter, credentials: tuple[str, str]) -> list[str]:
    """Packets paho refuses to build, sent on raw sockets: the broker must drop the connection, not die."""
    def publish(topic: bytes, payload: bytes) -> bytes:
        body = utf8_field(topic) + payload  # QoS 0: no packet id
        return b"\x30" + remaining_length(len(body)) + body

    reading = b'{"sessionId":"fz-raw","energyWh":1,"seq":1}'
    cases = [
        ("wildcard + in a publish topic", publish(b"chargers/+/meter", reading)),
        ("wildcard # in a publish topic", publish(b"chargers/#", reading)),
        ("invalid UTF-8 topic", publish(b"chargers/\xff\xfe/meter", reading)),
        ("NUL in the topic", publish(b"charging/updates\x00x", b"Charging")),
        ("truncated packet announcing the broker's maximum (268435455 bytes)",
         b"\x30" + remaining_length(MQTT_MAX_REMAINING) + utf8_field(b"charging/updates") + b"x" * 4096),
        ("remaining length past the maximum (5-byte varint)",
         b"\x30\xff\xff\xff\xff\x01" + utf8_field(b"charging/updates") + b"Charging"),
    ]
    seen = []
    for name, packet in cases:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(raw_connect(f"fz-raw-{len(seen)}", credentials))
            check(sock.recv(4)[:1] == b"\x20", f"raw case {name}: no CONNACK")
            try:
                sock.sendall(packet)
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
            except OSError:
                pass  # the broker closed the connection: what it should do
        counts["raw:" + ("charging/updates" if b"charging/updates" in packet else "chargers/…/meter")] += 1
        check(broker_accepts(port, credentials), f"the broker stopped accepting connections after the raw case: {name}")
        seen.append(name)
    return seen


class Fuzzer:
    """The seeded generator and the model of what the valid messages did."""

    def __init__(self, seed: int, runner: Runner) -> None:
        self.rng = random.Random(seed)
        self.runner = runner
        self.meter_sessions: dict[str, dict] = {}  # sessionId -> {point, seq, energy}
        self.mqtt_starts: dict[str, dict] = {}  # point -> expected fields of the session started over MQTT
        self.serial = 0

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"fz-{prefix}-{self.serial}"

    def unknown_session(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def real_session(self) -> tuple[str, str]:
        session = self.rng.choice(sorted(self.meter_sessions))
        return session, self.meter_sessions[session]["point"]

    # Payload pieces -------------------------------------------------------------------------------------
    def random_bytes(self, low: int = 1, high: int = 300) -> bytes:
        while True:
            data = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(low, high)))
            stripped = data.strip(b" \t\r\n")
            if not stripped or stripped[:1] in (b"{", b'"') or stripped.isalpha():
                continue
            return data

    def bare_word(self) -> bytes:
        while True:
            letters = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                              for _ in range(self.rng.randint(1, 40)))
            if letters.lower() not in STATUS_WORDS:
                return letters.encode()

    def deep(self, depth: int) -> str:
        kind = self.rng.choice(["[]", "{}"])
        return ("[" * depth + "]" * depth) if kind == "[]" else ('{"a":' * depth + "1" + "}" * depth)

    WRONG_TYPES = ["123", "-4.5", "true", "false", "[]", '["x"]', "{}", '{"k":"v"}']
    WRONG_STRINGS_FOR_NUMBERS = ['"11"', '"NaN"', '"Infinity"', '"1e308"', '""']
    BAD_MAX_POWER = ["0", "-0", "-1", "350.0000001", "351", "1e308", "-1e308", "1e309", "9223372036854775808",
                     "-9223372036854775808", "NaN", "Infinity", "-Infinity", "0.0"]
    BAD_TARGET = ["0", "-0", "0.999", "100.5", "101", "1e308", "9223372036854775808", "-1", "NaN"]
    BAD_BATTERY = ["0", "-0", "0.5", "200.1", "1e308", "9223372036854775808", "Infinity"]
    BAD_CURRENT = ["-1", "-0.001", "99.5", "100", "1e308", "9223372036854775808", "NaN"]
    BAD_IDS = ['""', '"a b"', '"cp/1"', '"cp+1"', '"cp#"', '"' + "x" * 65 + '"', '"\\u00fcml"', '"tab\\t"',
               '"semi;colon"', '"\\u0000"']
    BAD_ENERGY = ["-1", "-1e-9", "1000000000001", "1e13", "1e308", "-1e308", "1e309", "9223372036854775808",
                  '"100"', "true", "null", "[]", "{}", "NaN", '"NaN"', "Infinity"]
    BAD_SEQ = ["-1", "1.5", "-0.5", "9223372036854775808", "1e308", '"5"', "null", "true", "[]", "{}",
               "18446744073709551616", "NaN"]

    def start_fields(self, point: str) -> dict[str, str]:
        return {"status": '"Charging"', "chargingPointId": json.dumps(point), "userId": '"u-fz"',
                "vehicleId": '"v-fz"', "maxPower": "11", "targetCharge": "80"}

    @staticmethod
    def obj(fields: dict[str, str] | list[tuple[str, str]]) -> bytes:
        items = fields.items() if isinstance(fields, dict) else fields
        return ("{" + ",".join(f'"{k}":{v}' for k, v in items) + "}").encode()

    # Invalid charging/updates payloads (no effect by construction) --------------------------------------
    def invalid_update(self) -> tuple[str, bytes]:
        r = self.rng
        kind = r.choice(["empty", "space", "binary", "utf8", "bareword", "longword", "punct", "jsonstring",
                         "nonobject", "deep", "wrongtype", "numberstring", "extreme", "badid", "dupkeys",
                         "nostatus", "nullstatus", "truncated", "huge", "stopbadfield", "nanbare"])
        point = json.dumps(self.fresh("x"))
        if kind == "empty":
            return kind, b""
        if kind == "space":
            return kind, r.choice([b" ", b"\n\t \r", b"   \n"])
        if kind == "binary":
            return kind, self.random_bytes()
        if kind == "utf8":
            fields = self.start_fields("x")
            fields["chargingPointId"] = '"fz-\xff\xfe-bad"'
            payload = self.obj(fields).replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
            return kind, r.choice([payload, b"Charg\xffing", b'"Stopp\xc3"', b"\xef\xbb\xbfCharging"])
        if kind == "bareword":
            return kind, self.bare_word()
        if kind == "longword":
            return kind, b"Charging" * r.randint(5, 40)
        if kind == "punct":
            return kind, r.choice([b"Charging!", b"Charging.", b"Charging\x00", b"Stopped;", b"Char ging", b"1"])
        if kind == "jsonstring":
            return kind, r.choice([b'"Running"', b'"Charging', b'""', b'"Stopped ', b'"charging\\u0000"'])
        if kind == "nonobject":
            return kind, r.choice([b"[]", b"123", b"null", b"true", b'[{"status":"Charging"}]', b"1e308", b"-0"])
        if kind == "deep":
            fields = self.start_fields(point)
            fields["chargingPointId"] = point
            fields["maxPower"] = "999"  # invalid whatever the parser makes of the depth
            fields["nest"] = self.deep(r.choice([64, 512, 513, 2000, 20000]))
            if r.random() < 0.5:
                return kind, self.obj({"status": self.deep(r.choice([10, 600, 5000]))})
            return kind, self.obj(fields)
        if kind == "wrongtype":
            field = r.choice(["status", "chargingPointId", "userId", "vehicleId", "sessionId", "maxPower",
                              "targetCharge", "batteryCapacity", "currentCharge"])
            fields = self.start_fields(point)
            fields["chargingPointId"] = point
            if field in ("maxPower", "targetCharge", "batteryCapacity", "currentCharge"):
                fields[field] = r.choice(["true", "[]", "{}", '"x"', "[11]", '{"$numberDouble":"11"}'])
            else:
                fields[field] = r.choice(self.WRONG_TYPES)
            return f"wrongtype:{field}", self.obj(fields)
        if kind == "numberstring":
            field = r.choice(["maxPower", "targetCharge", "batteryCapacity", "currentCharge"])
            fields = self.start_fields(point)
            fields[field] = r.choice(self.WRONG_STRINGS_FOR_NUMBERS)
            return f"numberstring:{field}", self.obj(fields)
        if kind == "extreme":
            field, values = r.choice([("maxPower", self.BAD_MAX_POWER), ("targetCharge", self.BAD_TARGET),
                                      ("batteryCapacity", self.BAD_BATTERY), ("currentCharge", self.BAD_CURRENT)])
            fields = self.start_fields(point)
            fields[field] = r.choice(values)
            return f"extreme:{field}", self.obj(fields)
        if kind == "badid":
            field = r.choice(["chargingPointId", "userId", "vehicleId"])
            fields = self.start_fields(point)
            fields[field] = r.choice(self.BAD_IDS)
            return f"badid:{field}", self.obj(fields)
        if kind == "dupkeys":
            fields = [(k, v) for k, v in self.start_fields(point).items() if k != "maxPower"]
            fields += [("status", r.choice(['"Charging"', '"Bogus"'])), ("maxPower", "999"), ("maxPower", "0")]
            r.shuffle(fields)
            fields = [("status", '"Charging"')] + fields
            return kind, self.obj(fields)
        if kind == "nostatus":
            fields = self.start_fields(point)
            del fields["status"]
            return kind, self.obj(fields)
        if kind == "nullstatus":
            fields = self.start_fields(point)
            fields["status"] = r.choice(["null", '"Pending"', '""', '"Charging "', '"STOP"'])
            return kind, self.obj(fields)
        if kind == "truncated":
            return kind, self.obj(self.start_fields(point))[: r.randint(1, 40)]
        if kind == "huge":
            size = r.choice([MAX_BYTES + 1, 128 * 1024 + 1, 1024 * 1024])
            head = self.obj(self.start_fields(point))[:-1] + b',"pad":"'
            return f"huge:{size}", head + b"x" * (size - len(head) - 2) + b'"}'
        if kind == "stopbadfield":
            session, _ = self.real_session()  # a real session: a stop must still not happen
            bad = r.choice(['123', '"bad id!"', "[]", '"' + "y" * 65 + '"'])
            return kind, self.obj({"status": '"Stopped"', "sessionId": json.dumps(session), "chargingPointId": bad})
        if kind == "nanbare":
            fields = self.start_fields(point)
            fields[r.choice(["maxPower", "targetCharge"])] = r.choice(["NaN", "Infinity", "-Infinity", "nan", "+1"])
            return kind, self.obj(fields)
        raise AssertionError(kind)

    # Valid-looking charging/updates messages without an effect ------------------------------------------
    def noop_update(self) -> tuple[str, bytes]:
        r = self.rng
        return r.choice([
            ("stop-unknown-session", self.obj({"status": '"Stopped"', "sessionId": json.dumps(self.unknown_session()),
                                               "chargingPointId": json.dumps(self.fresh("none"))})),
            ("stop-unknown-point", self.obj({"status": '"Stopped"', "chargingPointId": json.dumps(self.fresh("none"))})),
            ("stop-default-point", r.choice([b"Stopped", b"stopped", b"STOPPED", b'"Stopped"', b'{"status":"Stopped"}',
                                             b'{"status":"stopped","sessionId":null}'])),
        ])

    # Meter payloads ---------------------------------------------------------------------------------------
    def reading(self, session: str, energy, seq, extra: list[tuple[str, str]] | None = None) -> bytes:
        fields = [("sessionId", json.dumps(session)), ("energyWh", str(energy)), ("seq", str(seq)),
                  ("timestamp", '"2026-12-01T12:00:00Z"')] + (extra or [])
        return self.obj(fields)

    def odd_point(self) -> tuple[str, bool]:
        """A charging point id for a topic, and whether it is a valid id."""
        r = self.rng
        choice = r.choice(["empty", "space", "unicode", "long65", "long1k", "long60k", "dots", "valid64", "percent",
                           "dollar", "emoji", "plusword"])
        return {
            "empty": ("", False), "space": ("cp 1", False), "unicode": ("cp-\u00fc", False),
            "long65": ("p" * 65, False), "long1k": ("q" * 1000, False), "long60k": ("r" * 60000, False),
            "dots": ("..", True), "valid64": ("v" * 64, True), "percent": ("cp%2B1", False),
            "dollar": ("$SYS", False), "emoji": ("cp-\U0001f50c", False), "plusword": ("cp+x", None),
        }[choice]

    def invalid_meter(self) -> tuple[str, str, bytes]:
        """(kind, topic, payload) without an effect by construction."""
        r = self.rng
        session, point = self.real_session()
        topic = meter_topic(point)
        kind = r.choice(["empty", "binary", "utf8", "nonobject", "deep", "badenergy", "badseq", "badsession",
                         "missing", "dupkeys", "huge", "truncated", "oddtopic", "nomatch", "unknown-session",
                         "wrong-point", "unknown-point", "timestamp-unknown", "minus-zero-unknown"])
        if kind == "empty":
            return kind, topic, b""
        if kind == "binary":
            return kind, topic, self.random_bytes()
        if kind == "utf8":
            return kind, topic, b'{"sessionId":"' + session.encode() + b'\xff","energyWh":21000,"seq":1000000}'
        if kind == "nonobject":
            return kind, topic, r.choice([b"[]", b"42", b"null", b'"reading"', b"true", b"[{\"seq\":1}]"])
        if kind == "deep":
            return kind, topic, self.reading(session, self.deep(r.choice([8, 600, 20000])), 10**6)
        if kind == "badenergy":
            return kind, topic, self.reading(session, r.choice(self.BAD_ENERGY), 10**6)
        if kind == "badseq":
            return kind, topic, self.reading(session, 21000, r.choice(self.BAD_SEQ))
        if kind == "badsession":
            bad = r.choice(["123", "null", "[]", "{}", "true", '""', '"a b"', '"' + "s" * 65 + '"'])
            return kind, topic, self.obj([("sessionId", bad), ("energyWh", "21000"), ("seq", "1000000")])
        if kind == "missing":
            fields = [("sessionId", json.dumps(session)), ("energyWh", "21000"), ("seq", "1000000")]
            del fields[r.randrange(3)]
            return kind, topic, self.obj(fields)
        if kind == "dupkeys":
            fields = [("sessionId", json.dumps(session)), ("energyWh", "-5"), ("seq", "1000000"), ("energyWh", "-7"),
                      ("sessionId", json.dumps(session))]
            return kind, topic, self.obj(fields)
        if kind == "huge":
            size = r.choice([MAX_BYTES + 1, 128 * 1024 + 1, 1024 * 1024, 4 * 1024 * 1024])
            head = self.reading(session, 21000, 10**6)
            return f"huge:{size}", topic, head + b" " * (size - len(head))
        if kind == "truncated":
            return kind, topic, self.reading(session, 21000, 10**6)[: r.randint(1, 30)]
        if kind == "oddtopic":
            odd, valid = self.odd_point()
            payload = self.reading(session, 21000, 10**6)
            if odd == "cp+x":
                odd = "cp-x"
            return f"oddtopic{'-valid' if valid else ''}", f"chargers/{odd}/meter", payload
        if kind == "nomatch":
            odd = r.choice([f"chargers/{point}/meter/x", f"chargers/a/{point}/meter", f"Chargers/{point}/meter",
                            f"chargers/{point}/Meter", f"/chargers/{point}/meter", f"chargers/{point}"])
            return kind, odd, self.reading(session, 21000, 10**6)
        if kind == "unknown-session":
            return kind, topic, self.reading(self.unknown_session(), 21000, 10**6)
        if kind == "wrong-point":
            other = next(s["point"] for k, s in sorted(self.meter_sessions.items()) if k != session)
            return kind, meter_topic(r.choice([other, self.fresh("none")])), self.reading(session, 21000, 10**6)
        if kind == "unknown-point":
            return kind, meter_topic("v" * 64), self.reading(session, 21000, 10**6)
        if kind == "timestamp-unknown":
            return kind, topic, self.reading(self.unknown_session(), 1, 1, [("timestamp", r.choice(["1", "[]", "null"]))])
        if kind == "minus-zero-unknown":
            return kind, topic, self.reading(self.unknown_session(), "-0", "-0")
        raise AssertionError(kind)

    # Valid messages with known effects ------------------------------------------------------------------
    def valid_reading(self, padded_to: int | None = None) -> tuple[str, str, bytes]:
        session = self.rng.choice(sorted(self.meter_sessions))
        state = self.meter_sessions[session]
        state["seq"] += self.rng.randint(1, 3)
        # At most 100 Wh: plausible right after the start (MeterPlausibility's toleranceWh), far from the target.
        state["energy"] += self.rng.randint(1, 2)
        check(state["energy"] < 100, "the generator would pass 100 Wh (MeterPlausibility toleranceWh)")
        payload = self.reading(session, state["energy"], state["seq"])
        if padded_to:
            payload += b" " * (padded_to - len(payload))
        return ("valid-reading" if not padded_to else f"valid-reading-{padded_to}B"), meter_topic(state["point"]), payload

    def valid_start(self) -> tuple[str, bytes]:
        point = self.fresh("s")
        form = self.rng.choice(["full", "defaults", "active", "nulls"])
        if form == "full":
            fields = {"status": '"Charging"', "chargingPointId": json.dumps(point), "userId": '"u-mq"',
                      "vehicleId": '"v-mq"', "maxPower": "22", "targetCharge": "90", "batteryCapacity": "60",
                      "currentCharge": "10"}
            expected = {"userId": "u-mq", "vehicleId": "v-mq", "maxPower": 22.0, "targetCharge": 90.0}
        else:
            status = '"ACTIVE"' if form == "active" else '"Charging"'
            fields = {"status": status, "chargingPointId": json.dumps(point)}
            if form == "nulls":
                fields.update({"userId": "null", "maxPower": "null", "sessionId": "null"})
            expected = {"userId": "unknown", "vehicleId": "unknown", "maxPower": 11.0, "targetCharge": 80.0}
        self.mqtt_starts[point] = {**expected, "status": "Charging", "energyWh": 0, "stopReason": None}
        return f"valid-start-{form}", self.obj(fields)


def summarize_store(runner: Runner) -> tuple[dict, dict]:
    sessions = runner.documents("ChargingSessions")
    points = runner.documents("ChargingPoints")
    return {d["sessionId"]: d for d in sessions}, {d["_id"]: d.get("activeSessionId") for d in points}


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
        diff: list[str] = []
        expected_points = {s["point"] for s in fuzz.meter_sessions.values()} | set(fuzz.mqtt_starts)
        for session, state in sorted(fuzz.meter_sessions.items()):
            doc = docs.pop(session, None)
            stopped = session in stop_sessions
            want = {"chargingPointId": state["point"], "status": "Stopped" if stopped else "Charging",
                    "energyWh": state["energy"], "lastMeterSeq": state["seq"], "userId": "u-meter",
                    "stopReason": "Requested" if stopped else None}
            got = {k: (doc or {}).get(k) for k in want}
            if got != want:
                diff.append(f"meter session {session}: expected {want}, stored {got}")
        by_point: dict[str, list[dict]] = {}
        for doc in docs.values():
            by_point.setdefault(doc["chargingPointId"], []).append(doc)
        for point, want in sorted(fuzz.mqtt_starts.items()):
            found = by_point.pop(point, [])
            if len(found) != 1:
                diff.append(f"MQTT start on {point}: {len(found)} sessions stored, expected 1")
                continue
            got = {k: found[0].get(k) for k in want}
            if got != want:
                diff.append(f"MQTT start on {point}: expected {want}, stored {got}")
        for point, extra in sorted(by_point.items()):
            diff.append(f"unexpected session(s) on {point!r}: {[d['sessionId'] for d in extra]}")
        active = {p for p, s in locks.items() if s}
        want_active = {s["point"] for k, s in fuzz.meter_sessions.items() if k not in stop_sessions} | {
            p for p, w in fuzz.mqtt_starts.items() if w["status"] == "Charging"}
        if active != want_active:
            diff.append(f"charging point locks: unexpected {sorted(active - want_active)}, missing {sorted(want_active - active)}")
        unexpected_points = set(locks) - expected_points
        if unexpected_points:
            diff.append(f"charging points never started: {sorted(unexpected_points)[:10]}")

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
