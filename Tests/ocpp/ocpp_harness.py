"""The OCPP suite's world: one real evcsm-local (Tests/faults/harness.py's Runner, `--auth jwt`, development
tokens) and helpers around it — async REST calls (the blocking client runs in a thread, so a charge point on the
same event loop can answer the CSMS calls a REST request waits for), charger registration and IdTags, the
WebSocket URL, OCPP timestamps, and the suite's failure type.

Every wait waits on a fact with a generous deadline; nothing sleeps as an assertion.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import os
import re
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(os.environ.get("EVCSM_ROOT") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(ROOT / "Tests" / "faults"))

import harness  # noqa: E402  (Tests/faults/harness.py: the Runner, check, Failure)
from harness import API, Failure, Reply, check  # noqa: E402,F401  (re-exported for the cases)

ARTIFACTS = ROOT / "test-artifacts"
RESULTS = ARTIFACTS / "ocpp.txt"
# A bound on every wait for a fact (a frame, a stored state): generous, never an assertion of speed.
WAIT = 60.0


def iso(moment: datetime.datetime) -> str:
    """OCPP's dateTime: ISO-8601 UTC with milliseconds and `Z`."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now() -> datetime.datetime:
    """Now, to the millisecond (what an OCPP timestamp carries)."""
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def ago(minutes: float) -> datetime.datetime:
    return now() - datetime.timedelta(minutes=minutes)


def parse_time(text: str) -> datetime.datetime:
    """An ISO-8601 UTC time as the REST API and OCPP answers carry it (`Z` or `+00:00`)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class World:
    """The runner and what every case needs from it."""

    def __init__(self) -> None:
        self.runner = harness.Runner(name="ocpp", extra=["--auth", "jwt"])
        banner = self.runner.out_path.read_text(errors="replace")
        shown = re.search(r"(ws://127\.0\.0\.1:\d+/ocpp)", banner)
        self.ws_base = shown.group(1) if shown else f"ws://127.0.0.1:{self.runner.port}/ocpp"
        self._tokens: dict[tuple[str, str], str] = {}

    def url(self, charge_point_id: str) -> str:
        return f"{self.ws_base}/{urllib.parse.quote(charge_point_id, safe='')}"

    def close(self) -> None:
        self.runner.stop()
        self.runner.save_log("ocpp-runner")

    # REST ------------------------------------------------------------------------------------------------
    async def token(self, sub: str, role: str = "driver") -> str:
        if (sub, role) not in self._tokens:
            self._tokens[(sub, role)] = await asyncio.to_thread(self.runner.token, sub, role)
        return self._tokens[(sub, role)]

    async def rest(self, method: str, path: str, body=None, token=harness.OPERATOR_TOKEN) -> Reply:
        """One REST request (path below /api/ChargingSessionAPI unless it starts with `/`), operator by default."""
        full = path if path.startswith("/") else f"{API}/{path}"
        return await asyncio.to_thread(self.runner.request, method, full, body, None, harness.REQUEST_TIMEOUT, token)

    async def expect(self, method: str, path: str, body=None, status: int = 200, token=harness.OPERATOR_TOKEN):
        reply = await self.rest(method, path, body, token)
        check(reply.status == status, f"{method} {path} {body if body is not None else ''}: expected {status}, got "
              f"{reply.status} {reply.text[:400]}")
        return reply.json

    async def register(self, charge_point_id: str, connectors: list[dict] | None = None) -> str:
        """Registers an OCPP charger (operator); returns its password (shown once)."""
        body = {"chargePointId": charge_point_id, "ocpp": True,
                "connectors": connectors or [{"connectorId": 1, "maxPower": 22}]}
        answer = await self.expect("POST", "chargers", body, status=201)
        check(isinstance(answer, dict) and answer.get("chargePointId") == charge_point_id
              and isinstance(answer.get("password"), str) and answer["password"],
              f"POST /chargers answer has no password: {answer}")
        return answer["password"]

    async def put_idtag(self, tag: str, user: str, status: str = "Accepted", expiry: str | None = None) -> dict:
        body = {"userId": user, "status": status, **({"expiryDate": expiry} if expiry else {})}
        reply = await self.rest("PUT", f"idtags/{urllib.parse.quote(tag, safe='')}", body)
        check(reply.status in (200, 201), f"PUT /idtags/{tag} {body}: {reply.status} {reply.text[:300]}")
        check(reply.json.get("idTag") == tag and reply.json.get("status") == status,
              f"PUT /idtags/{tag} answered {reply.json}")
        return reply.json

    async def sessions_of(self, charge_point_id: str) -> list[dict]:
        answer = await self.expect("GET", f"sessions?chargingPointId={urllib.parse.quote(charge_point_id)}")
        return answer["sessions"]

    async def session_of_transaction(self, charge_point_id: str, transaction_id: int) -> dict:
        """The session GET /sessions?chargingPointId= lists with this transactionId (waits for it)."""
        async def find():
            return next((s for s in await self.sessions_of(charge_point_id)
                         if s.get("transactionId") == transaction_id), None)
        return await wait_until(f"a session of {charge_point_id} with transactionId {transaction_id}", find)

    async def session(self, session_id: str) -> dict:
        return await self.expect("GET", f"sessions/{session_id}")

    async def session_when(self, session_id: str, what: str, predicate) -> dict:
        """GET /sessions/{id} until `predicate(view)` holds; fails with the last view."""
        last: dict = {}

        async def probe():
            nonlocal last
            last = await self.session(session_id)
            return last if predicate(last) else None
        try:
            return await wait_until(f"session {session_id}: {what}", probe)
        except Failure as failure:
            raise Failure(f"{failure}; last GET /sessions/{session_id}: {last}") from None

    async def charger_view(self, charge_point_id: str) -> dict | None:
        answer = await self.expect("GET", "chargers")
        return next((c for c in answer.get("chargers", []) if c.get("chargePointId") == charge_point_id), None)


async def wait_until(what: str, probe, timeout: float = WAIT, interval: float = 0.1):
    """Awaits `probe()` until it returns a truthy value (returned), or fails naming `what`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise Failure(f"timed out after {timeout:.0f} s waiting for: {what}")
        await asyncio.sleep(interval)


def close_to(value, expected: float, tolerance: float = 0.0005) -> bool:
    return isinstance(value, (int, float)) and abs(value - expected) <= tolerance


def same_instant(text: str | None, moment: datetime.datetime, tolerance_ms: float = 1.0) -> bool:
    """Whether the ISO-8601 `text` names `moment` (to the millisecond OCPP sends)."""
    if not isinstance(text, str):
        return False
    return abs((parse_time(text) - moment).total_seconds()) * 1000 <= tolerance_ms


# The cases, in registration order: (name, coroutine function taking the World).
CASES: list[tuple[str, object]] = []


def case(name: str):
    """Registers an `async def (world)` as a case of the suite."""
    def register(function):
        CASES.append((name, function))
        return function
    return register
