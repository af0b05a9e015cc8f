"""The model of the MQTT fuzzer (mqtt_fuzz.py): valid messages with known effects, and the store compared with
what they did."""

from __future__ import annotations

import json

from fuzz_payloads import Payloads
from harness import Runner, check
from mqtt_clients import meter_topic


class Fuzzer(Payloads):
    """The seeded generator and the model of what the valid messages did."""

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


def store_diff(fuzz: Fuzzer, docs: dict, locks: dict, stop_sessions: list[str]) -> list[str]:
    """The store (`summarize_store`) against the model, exactly: one line per difference."""
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
    return diff
