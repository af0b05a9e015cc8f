"""Stored sessions shaped like the ones the functions write (DataAPISessionStore.document), for seeding a store.

Session `i` of `n` (0 = oldest): charging point `bench-cp-<i % 100>`, user `bench-user-<i % 1000>`, started
`i` steps after `now - 90 days` (one every ~78 s at n = 100,000, so a point's sessions never overlap), stopped
after 15-74 minutes; the `charging` newest ones are still Charging, each with its ChargingPoints lock document.
Canonical Extended JSON, so the stored bodies are the same shape and size as a function's.
"""

from __future__ import annotations

POINTS = 100
USERS = 1_000
SPAN_MS = 90 * 24 * 3600 * 1000
POWERS = (11.0, 22.0, 50.0, 150.0)
TARGET_CHARGE = 80.0
TARGET_ENERGY_WH = 22_000  # (80 - 40) % of 55 kWh, the defaults


def point(i: int) -> str:
    return f"bench-cp-{i % POINTS:03d}"


def session_id(i: int) -> str:
    """UUID-shaped (36 characters, like the functions' ids), unique, and sorting like `i`."""
    return f"{i:08x}-be0c-4000-8000-{i:012x}"


def _long(n: int) -> dict:
    return {"$numberLong": str(n)}


def _double(x: float) -> dict:
    return {"$numberDouble": repr(float(x))}


def _date(ms: int) -> dict:
    return {"$date": {"$numberLong": str(ms)}}


def start_time(i: int, n: int, now_ms: int) -> int:
    # The newest starts 10 minutes ago.
    return now_ms - 600_000 - SPAN_MS + (i * SPAN_MS) // max(n, 1)


def session(i: int, n: int, now_ms: int, charging: bool) -> dict:
    start = start_time(i, n, now_ms)
    max_power = POWERS[i % len(POWERS)]
    minutes = 15 + (i * 7) % 60
    energy_wh = min(TARGET_ENERGY_WH, int(max_power * 1000 * minutes / 60 * 0.8))
    if charging:
        energy_wh = int(max_power * 1000 * 10 / 60 * 0.8)
    cost = round(energy_wh / 1000 * 0.5 + 5.0, 2)
    sid = session_id(i)
    return {
        "_id": sid, "sessionId": sid, "chargingPointId": point(i), "userId": f"bench-user-{i % USERS:04d}",
        "vehicleId": f"bench-ev-{i % USERS:04d}", "status": "Charging" if charging else "Stopped",
        "startTime": _date(start), "endTime": None if charging else _date(start + minutes * 60_000),
        "energyWh": _long(energy_wh), "energyConsumed": _double(energy_wh / 1000), "maxPower": _double(max_power),
        "targetCharge": _double(TARGET_CHARGE), "targetEnergyWh": _long(TARGET_ENERGY_WH),
        "lastMeterSeq": _long(minutes), "stopReason": None if charging else "Requested",
        "cost": None if charging else _double(cost), "currency": "EUR",
    }


def charging_indices(n: int, charging: int) -> range:
    """The newest `charging` sessions (on distinct points as long as charging <= POINTS)."""
    return range(max(0, n - charging), n)


def lock(i: int, n: int, now_ms: int) -> dict:
    """The ChargingPoints lock a Charging session holds (DataAPISessionStore.claim)."""
    return {"_id": point(i), "activeSessionId": session_id(i), "claimedAt": _date(start_time(i, n, now_ms))}
