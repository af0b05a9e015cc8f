"""Payload generators of the MQTT fuzzer (mqtt_fuzz.py): seeded random and malformed payloads on `charging/updates`
and `chargers/+/meter`, each without an effect by construction, and the pieces they are made of."""

from __future__ import annotations

import json
import random
import uuid

from harness import Runner
from mqtt_clients import meter_topic

MAX_BYTES = 64 * 1024  # RequestBody.maxBytes: a larger topic payload is dropped by the functions
STATUS_WORDS = {"charging", "active", "stopped"}


class Payloads:
    """The seeded generator; `meter_sessions` and `mqtt_starts` hold the model (fuzz_model.Fuzzer)."""

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
