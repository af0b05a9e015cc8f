"""A real `evcsm-local` for the fault and MQTT fuzz suites: started on ephemeral 127.0.0.1 ports in its own
process group, its banner read for the URLs, the MQTT port and the Data API key file; a small HTTP client for
the REST API, /healthz, /metrics and the Data API proxy; the runner's child processes from /proc.
Credentials (issue 13): REST calls carry an operator token from the runner's development issuer
(`POST /dev/token`); MQTT clients sign in with `<data-dir>/mqtt-screen.json` or `mqtt-simulator.json`.

Every wait here waits on a fact with a generous deadline; nothing sleeps as an assertion.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from processes import alive, children_of, command_line  # noqa: F401 (alive: re-exported for the scenarios)

ROOT = Path(os.environ.get("EVCSM_ROOT") or Path(__file__).resolve().parents[2])
ARTIFACTS = ROOT / "test-artifacts"
RESULTS = ARTIFACTS / "faults.txt"
API = "/api/ChargingSessionAPI"
STARTUP_TIMEOUT = 120.0
# A bound on every HTTP request: an answer later than this is a hang (functions time out after 10 s).
REQUEST_TIMEOUT = 30.0
OPERATOR_TOKEN = object()  # `Runner.request`'s default for REST paths: the run's operator token


class Failure(Exception):
    """A suite assertion failed; the message says what and with which figures."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def bin_dir() -> Path:
    configured = os.environ.get("EVCSM_BIN_DIR")
    if configured:
        return Path(configured)
    shown = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True)
    if shown.returncode != 0:
        raise Failure(f"EVCSM_BIN_DIR unset and swift build --show-bin-path failed: {shown.stderr.strip()}")
    return Path(shown.stdout.strip())


def wait_for(what: str, predicate, timeout: float = 60.0, interval: float = 0.05):
    """Polls `predicate` until it returns a truthy value (returned), or fails naming `what`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, http.client.HTTPException, ValueError) as error:
            last_error = error
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f} s waiting for: {what}" + (f" (last error: {last_error})" if last_error else ""))


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    @property
    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Runner:
    """One evcsm-local process (and its children) on a data directory."""

    def __init__(self, data_dir: Path | None = None, extra: list[str] | None = None, name: str = "runner") -> None:
        self.bin = bin_dir()
        self.owns_data_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="evcsm-faults-"))
        self.name = name
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"{name}.log"
        self.out_path = self.data_dir / f"{name}.out"
        arguments = [
            str(self.bin / "evcsm-local"), "--functions-dir", str(self.bin), "--data-dir", str(self.data_dir),
            "--template", str(ROOT / "template.yaml"), "--web-dir", str(ROOT / "Web"),
            "--openapi", str(ROOT / "openapi/evcsm.openapi.json"),
            "--port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0", "--log-level", "warning",
        ] + (extra or [])
        self.process = subprocess.Popen(
            arguments, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=open(self.out_path, "wb"),
            stderr=open(self.log_path, "wb"), start_new_session=True)
        self.pid = self.process.pid
        banner = wait_for("the evcsm-local banner (Press Ctrl-C)", self._banner, timeout=STARTUP_TIMEOUT, interval=0.1)
        web = re.search(r"Web page:\s*(http://127\.0\.0\.1:\d+)/", banner)
        mqtt = re.search(r"MQTT:\s*mqtt://127\.0\.0\.1:(\d+)", banner)
        key = re.search(r"key in (\S+?);", banner)
        check(bool(web and mqtt and key), f"cannot read the banner:\n{banner}")
        self.base = web.group(1)
        self.host, self.port = "127.0.0.1", int(self.base.rsplit(":", 1)[1])
        self.mqtt_port = int(mqtt.group(1))
        self.api_key = next(line.strip() for line in Path(key.group(1)).read_text().splitlines() if line.strip())
        self.operator_token = self.token("faults-operator", "operator")

    def token(self, sub: str, role: str = "driver") -> str:
        """A bearer token from the runner's development issuer (loopback only)."""
        reply = self.request("POST", "/dev/token", {"sub": sub, "role": role}, token=None)
        check(reply.status == 200 and isinstance((reply.json or {}).get("token"), str),
              f"POST /dev/token for {sub} ({role}): {reply.status} {reply.text[:300]}")
        return reply.json["token"]

    def mqtt_credentials(self, user: str) -> tuple[str, str]:
        """(username, password) of a development MQTT user from `<data-dir>/mqtt-<user>.json` (0600)."""
        path = self.data_dir / f"mqtt-{user}.json"
        document = wait_for(f"{path} (the runner's {user} MQTT user)",
                            lambda: path.exists() and json.loads(path.read_text()), timeout=30)
        check(isinstance(document.get("username"), str) and isinstance(document.get("password"), str),
              f"{path} has no username/password")
        return document["username"], document["password"]
    def _banner(self) -> str | None:
        if self.process.poll() is not None:
            raise Failure(f"evcsm-local exited with {self.process.returncode} before its banner:\n{self.log_tail()}")
        text = self.out_path.read_text(errors="replace")
        return text if "Press Ctrl-C" in text else None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no runner log)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # HTTP ------------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body=None, headers: dict[str, str] | None = None,
                timeout: float = REQUEST_TIMEOUT, token=OPERATOR_TOKEN) -> Reply:
        """One request on a new connection. A connection failure is status 0 (body: the error); a request
        not answered within `timeout` is a hang and fails the suite. REST paths carry the operator token
        unless `token` names another (or None: no Authorization header)."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if token is OPERATOR_TOKEN:
            token = self.operator_token if path.startswith(API) else None
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        if data is not None:
            sent_headers.setdefault("Content-Type", "application/json")
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=sent_headers)
            response = connection.getresponse()
            payload = response.read()
            return Reply(response.status, payload, {k.lower(): v for k, v in response.getheaders()},
                         time.monotonic() - started)
        except socket.timeout as error:
            raise Failure(f"{method} {path} was not answered within {timeout:.0f} s (a hang): {error}") from error
        except (OSError, http.client.HTTPException) as error:
            return Reply(0, str(error).encode(), {}, time.monotonic() - started)
        finally:
            connection.close()

    def healthy(self) -> bool:
        reply = self.request("GET", "/healthz", timeout=10)
        return reply.status == 200

    def metrics(self) -> dict[str, float]:
        reply = self.request("GET", "/metrics")
        check(reply.status == 200, f"/metrics answered {reply.status}")
        values = {}
        for line in reply.text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def data_api(self, action: str, body: dict) -> Reply:
        document = {"dataSource": "local", "database": "EVChargingDB", **body}
        return self.request("POST", f"/data-api/action/{action}", document, headers={"apiKey": self.api_key})

    def documents(self, collection: str, filter_: dict | None = None, limit: int = 20000) -> list[dict]:
        """Every document of `collection` (through the Data API proxy with the run's key)."""
        reply = self.data_api("find", {"collection": collection, "filter": filter_ or {}, "limit": limit})
        check(reply.status == 200, f"Data API find {collection}: {reply.status} {reply.text[:300]}")
        return reply.json["documents"]

    def sessions_by_id(self) -> dict[str, dict]:
        return {d["sessionId"]: d for d in self.documents("ChargingSessions")}

    def rest_sessions(self) -> list[dict]:
        """Every session through GET /sessions, paged with nextCursor (limit 500)."""
        sessions, cursor = [], None
        for _ in range(1000):
            path = f"{API}/sessions?limit=500" + (f"&cursor={cursor}" if cursor else "")
            reply = self.request("GET", path)
            check(reply.status == 200, f"GET {path}: {reply.status} {reply.text[:300]}")
            sessions += reply.json["sessions"]
            cursor = reply.json.get("nextCursor")
            if not cursor:
                return sessions
        raise Failure("GET /sessions paged more than 1000 times")

    # Processes -------------------------------------------------------------------------------------------
    def children(self, containing: str) -> list[int]:
        return [pid for pid in children_of(self.pid) if containing in command_line(pid)]

    def child(self, containing: str) -> int | None:
        found = self.children(containing)
        return found[0] if found else None

    def stop(self) -> int | None:
        """SIGTERM and wait (60 s), else SIGKILL the process group; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._reap_group()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL of the runner process alone (its children die with it: parent-death signal)."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def _reap_group(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def save_log(self, name: str) -> None:
        """Copies the runner's log to test-artifacts, then removes a data directory this runner created."""
        try:
            (ARTIFACTS / f"{name}.log").write_bytes(self.log_path.read_bytes())
        except OSError:
            pass
        if self.owns_data_dir and self.process.poll() is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def write_results(section: str, lines: list[str]) -> None:
    """Replaces this suite's section of test-artifacts/faults.txt (other suites' sections stay)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sections: dict[str, list[str]] = {}
    current = None
    if RESULTS.exists():
        for line in RESULTS.read_text().splitlines():
            if line.startswith("== ") and line.endswith(" =="):
                current = line[3:-3]
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
    sections[section] = lines
    text = "".join(f"== {name} ==\n" + "".join(f"{line}\n" for line in body) for name, body in sorted(sections.items()))
    RESULTS.write_text(text)


def start_body(point: str, user: str = "u-faults", vehicle: str = "v-faults") -> dict:
    return {"userId": user, "vehicleId": vehicle, "chargingPointId": point, "maxPower": 11, "targetCharge": 80}
