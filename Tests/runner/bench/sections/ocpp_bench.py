"""OCPP 1.6J MeterValues throughput and reply latency with 100 simulated charge points (issue 14).

A runner of its own (`ocpp`): BENCH_OCPP_CHARGERS (100) chargers registered through POST /chargers, each connected
(`ws://…/ocpp/<id>`, subprotocol ocpp1.6, HTTP Basic auth) with one raw WebSocket from one asyncio process
(ocpp_wire.py, stdlib), BootNotification, and StartTransaction (12 hours ago, so 1 Wh a second stays plausible).
Then every charger sends MeterValues CALLs, one outstanding at a time (OCPP-J §4.1.1), for BENCH_WARMUP
(not counted) and BENCH_DURATION (counted): msg/s = CALLRESULTs of CALLs sent and answered inside the window,
latency = send → CALLRESULT. Lost: sessions whose stored energy is not the last acknowledged register.

Baseline, same run: the same client against a bare OCPP-J echo server (ocpp_wire.py --echo-server, a child
process of its own, answering `[3, id, {}]` to every CALL with no work behind it) — the ceiling of this client.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import os
import sys
import time
import urllib.parse

import processes
from runner import API_PATH, BenchError, ejson_int
from table import Row, fmt_rate, fmt_ratio, ratio

from sections.ocpp_wire import HandshakeRefused, WebSocket

TARGET = "reported; 0 errors, 0 lost"


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Window:
    """What the chargers' loops measure: completions of CALLs sent inside [start, end)."""

    def __init__(self, warmup: float, duration: float):
        self.start = time.monotonic() + warmup
        self.end = self.start + duration
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error = ""

    def error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text


class Point:
    def __init__(self, charge_point_id: str, socket: WebSocket):
        self.id, self.socket = charge_point_id, socket
        self.transaction_id: int | None = None
        self.register_wh = 0  # the last register evcsm acknowledged
        self.sent = 0
        self.base = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=12)

    async def call(self, action: str, payload: dict) -> list:
        self.sent += 1
        message_id = f"{self.id}-{self.sent}"
        await self.socket.send(json.dumps([2, message_id, action, payload], separators=(",", ":")))
        reply = json.loads(await self.socket.recv())
        if reply[:2] != [3, message_id]:
            raise BenchError(f"{self.id}: {action} answered {str(reply)[:200]}")
        return reply

    def meter_values(self) -> dict:
        moment = self.base + datetime.timedelta(seconds=self.register_wh + 1)
        sample = {"value": str(self.register_wh + 1), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        payload = {"connectorId": 1, "meterValue": [{"timestamp": _iso(moment), "sampledValue": [sample]}]}
        if self.transaction_id is not None:
            payload["transactionId"] = self.transaction_id
        return payload

    async def load(self, window: Window) -> None:
        """MeterValues, one outstanding, until the window ends."""
        while time.monotonic() < window.end:
            sent = time.monotonic()
            try:
                await self.call("MeterValues", self.meter_values())
            except (BenchError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
                window.error(str(error))
                return
            answered = time.monotonic()
            self.register_wh += 1
            if sent >= window.start and answered < window.end:
                window.latencies.append(answered - sent)


async def _connect_all(host: str, port: int, paths: list[tuple[str, str, dict]]) -> list[Point]:
    gate = asyncio.Semaphore(20)

    async def one(charge_point_id: str, path: str, headers: dict) -> Point:
        async with gate:
            return Point(charge_point_id, await WebSocket.connect(host, port, path, headers))
    return list(await asyncio.gather(*(one(*p) for p in paths)))


async def _measure(host: str, port: int, paths, config, booted: bool) -> tuple[Window, list[Point]]:
    points = await _connect_all(host, port, paths)
    try:
        if booted:
            async def boot(point: Point) -> None:
                await point.call("BootNotification", {"chargePointVendor": "bench", "chargePointModel": "py"})
                answer = await point.call("StartTransaction", {"connectorId": 1, "idTag": f"B{point.id[-12:]}",
                                                               "meterStart": 0, "timestamp": _iso(point.base)})
                point.transaction_id = answer[2]["transactionId"]
            await asyncio.gather(*(boot(p) for p in points))
        window = Window(config.warmup, config.duration)
        await asyncio.gather(*(p.load(window) for p in points))
        if booted:
            for point in points:
                if point.transaction_id is not None and not window.errors:
                    await point.call("StopTransaction", {"transactionId": point.transaction_id,
                                                         "meterStop": point.register_wh,
                                                         "timestamp": _iso(datetime.datetime.now(datetime.timezone.utc))})
        return window, points
    finally:
        await asyncio.gather(*(p.socket.close() for p in points), return_exceptions=True)


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def _lost(runner, points: list[Point]) -> int:
    """Sessions whose stored energyWh is not the charger's last acknowledged register (through the Data API)."""
    ids = [p.id for p in points]
    found = runner.data_api("find", "ChargingSessions", filter={"chargingPointId": {"$in": ids}}, limit=10 * len(ids))
    energy = {d.get("chargingPointId"): ejson_int(d.get("energyWh")) for d in found.get("documents", [])}
    return sum(1 for p in points if energy.get(p.id) != p.register_wh)


def run(bench) -> list[Row]:
    config = bench.config
    count = int(os.environ.get("BENCH_OCPP_CHARGERS", "100"))
    runner = bench.runner("ocpp")
    host, port = urllib.parse.urlparse(runner.base).hostname, urllib.parse.urlparse(runner.base).port
    paths = []
    for i in range(count):
        cp = f"bench-ocpp-{i:03d}"
        answer = runner.client.json("POST", f"{API_PATH}/chargers", {"chargePointId": cp, "ocpp": True,
                                    "connectors": [{"connectorId": 1, "maxPower": 22}]}, expect=(201,))
        auth = base64.b64encode(f"{cp}:{answer['password']}".encode()).decode()
        paths.append((cp, f"/ocpp/{cp}", {"Authorization": f"Basic {auth}"}))
    echo_port = processes.free_port()
    echo = processes.spawn([sys.executable, "-B", os.path.join(os.path.dirname(__file__), "ocpp_wire.py"),
                            "--echo-server", str(echo_port)])
    try:
        if not processes.wait_for_port(echo_port, 30):
            raise BenchError("the echo server did not listen within 30 s")
        try:
            evcsm, points = asyncio.run(_measure(host, port, paths, config, booted=True))
        except HandshakeRefused as refused:
            raise BenchError(f"evcsm-local refused the OCPP handshake ({refused.status_line}): no OCPP in this build?")
        bare, _ = asyncio.run(_measure("127.0.0.1", echo_port, [(cp, path, {}) for cp, path, _ in paths], config,
                                       booted=False))
    finally:
        processes.stop(echo)
    lost = _lost(runner, points)
    bench.stop("ocpp")
    rate, base_rate = len(evcsm.latencies) / config.duration, len(bare.latencies) / config.duration
    p50, p99 = _percentile(evcsm.latencies, 50), _percentile(evcsm.latencies, 99)
    b50, b99 = _percentile(bare.latencies, 50), _percentile(bare.latencies, 99)
    ms = lambda v: "n/a" if v is None else f"{v:.1f} ms"  # noqa: E731
    bench.say(f"{count} charge points, one MeterValues outstanding each, {config.duration:g} s after "
              f"{config.warmup:g} s warm-up:")
    bench.say(f"  evcsm-local OCPP       {fmt_rate(rate, 'msg/s')}, p50 {ms(p50)}, p99 {ms(p99)}, "
              f"{evcsm.errors} errors, {lost} sessions lost readings")
    bench.say(f"  bare OCPP-J echo       {fmt_rate(base_rate, 'msg/s')}, p50 {ms(b50)}, p99 {ms(b99)}, "
              f"{bare.errors} errors")
    for label, window in (("evcsm", evcsm), ("echo", bare)):
        if window.first_error:
            bench.say(f"  first {label} error: {window.first_error[:300]}")
    bench.note("OCPP baseline: the same asyncio client (one process, raw RFC 6455 frames) against a bare OCPP-J echo "
               "server in a child process answering [3,id,{}] with no work: the client's own ceiling.")
    clean = evcsm.errors == 0 and lost == 0
    return [
        Row(f"OCPP MeterValues, {count} charge points, 1 outstanding each", fmt_rate(rate, "msg/s"),
            fmt_rate(base_rate, "msg/s"), fmt_ratio(ratio(rate, base_rate)), TARGET, met=clean),
        Row("  … its reply latency p50 / p99", f"{ms(p50)} / {ms(p99)}", f"{ms(b50)} / {ms(b99)}",
            fmt_ratio(ratio(p99, b99)), "reported"),
    ]
