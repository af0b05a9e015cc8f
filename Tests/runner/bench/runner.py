"""One `evcsm-local` on ephemeral loopback ports with its own data dir, and clients for what it serves."""

from __future__ import annotations

import functools
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass

import processes

API_PATH = "/api/ChargingSessionAPI"


class BenchError(Exception):
    """The bench itself could not measure something (as opposed to a target not met)."""


class Client:
    """A keep-alive HTTP/1.1 client for one base URL (reconnects once when the server closed the connection)."""

    def __init__(self, base: str, timeout: float = 30.0, headers: dict | None = None):
        url = urllib.parse.urlparse(base)
        self.host, self.port, self.timeout = url.hostname, url.port, timeout
        self.headers = headers or {}  # sent with every request (the bearer token)
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, body bytes)."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body, {**self.headers, **(headers or {})})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, document=None, headers: dict | None = None, expect=(200,)):
        """Sends `document` as JSON, returns the decoded answer; BenchError when the status is not in `expect`."""
        body = None if document is None else json.dumps(document).encode()
        all_headers = {"content-type": "application/json", **(headers or {})}
        status, data = self.request(method, path, body, all_headers)
        if status not in expect:
            raise BenchError(f"{method} {path}: HTTP {status}: {data[:300].decode(errors='replace')}")
        return json.loads(data) if data else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Metric:
    name: str
    labels: dict
    value: float


def parse_metrics(text: str) -> list[Metric]:
    """Prometheus text format, one sample per line (comments skipped)."""
    samples = []
    pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
    for line in text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        try:
            samples.append(Metric(match.group(1), labels, float(match.group(3))))
        except ValueError:
            continue
    return samples


def metric_sum(samples: list[Metric], name: str, **labels) -> float | None:
    """The sum of every sample of `name` whose labels match (None when there is none)."""
    values = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    return sum(values) if values else None


def ejson_int(value) -> int | None:
    """An integer from relaxed or canonical Extended JSON (`5`, `{"$numberLong": "5"}`, `5.0`)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, dict):
        for key in ("$numberLong", "$numberInt", "$numberDouble"):
            if key in value:
                return int(float(value[key]))
    return None


@functools.cache
def _has_bench_flag(binary: str) -> bool:
    """Whether this evcsm-local serves `/_bench/hello` only with `--bench` (and so takes the flag)."""
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    return "--bench" in help_text


class Runner:
    """`evcsm-local --bench` on port 0 with a fresh data dir under `data_root`; stops on `stop()`.

    Its children (workers, mosquitto, the Data API) die with it; it dies with the bench (parent-death signal).
    """

    def __init__(self, name: str, config):
        self.name, self.config = name, config
        self.data_dir = tempfile.mkdtemp(prefix=f"evcsm-bench-{name}-", dir=config.data_root)
        self.process = None
        self.base = self.mqtt_host = ""
        self.mqtt_port = 0
        self._client: Client | None = None
        self._data_api_key = ""
        self.auth_headers: dict = {}

    def start(self, timeout: float = 60.0) -> "Runner":
        binary = os.path.join(self.config.bin_dir, "evcsm-local")
        args = [binary, "--functions-dir", self.config.functions_dir, "--data-dir", self.data_dir,
                "--port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0", "--log-level", "warning"]
        if _has_bench_flag(binary):
            args.append("--bench")  # older builds serve /_bench/hello without it
        self.stdout_path = os.path.join(self.data_dir, "stdout")
        self.log_path = os.path.join(self.data_dir, "runner.log")
        with open(self.stdout_path, "wb") as out, open(self.log_path, "wb") as err:
            self.process = processes.spawn(args, cwd=self.config.root, stdout=out, stderr=err,
                                           stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        banner = ""
        while time.monotonic() < deadline:
            banner = open(self.stdout_path, errors="replace").read()
            if "Press Ctrl-C" in banner:
                break
            if self.process.poll() is not None:
                raise BenchError(f"evcsm-local ({self.name}) exited with {self.process.returncode}: {self.log_tail()}")
            time.sleep(0.05)
        else:
            raise BenchError(f"evcsm-local ({self.name}) did not start within {timeout:.0f} s: {self.log_tail()}")
        http_match = re.search(r"http://[0-9.]+:\d+", banner)
        mqtt_match = re.search(r"mqtt://([0-9.]+):(\d+)", banner)
        if not http_match or not mqtt_match:
            raise BenchError(f"evcsm-local ({self.name}): no HTTP or MQTT address in its banner:\n{banner}")
        self.base = http_match.group(0)
        self.mqtt_host, self.mqtt_port = mqtt_match.group(1), int(mqtt_match.group(2))
        if "/dev/token" in banner:  # JWT with the development issuer: every request carries an operator token
            answer = Client(self.base).json("POST", "/dev/token", {"sub": "bench", "role": "operator",
                                                                 "ttl": 4 * 3600})
            self.auth_headers = {"authorization": f"Bearer {answer['token']}"}
        return self

    def mqtt_login(self, user: str) -> list[str]:
        """`-u <name> -P <password>` for mosquitto_pub/sub from `<data-dir>/mqtt-<user>.json` (none without it)."""
        path = os.path.join(self.data_dir, f"mqtt-{user}.json")
        if not os.path.exists(path):
            return []
        login = json.load(open(path))
        return ["-u", login["username"], "-P", login["password"]]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def api(self) -> str:
        """The REST API base URL."""
        return self.base + API_PATH

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.base, headers=self.auth_headers)
        return self._client

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(open(self.log_path, errors="replace").read().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def data_api(self, action: str, collection: str, **fields):
        """One Data API action through the runner's `/data-api` (key from the data dir)."""
        if not self._data_api_key:
            self._data_api_key = open(os.path.join(self.data_dir, "data-api-key")).read().strip()
        body = {"dataSource": "mongodb-atlas", "database": "EVChargingDB", "collection": collection, **fields}
        return self.client.json("POST", f"/data-api/action/{action}", body, headers={"apiKey": self._data_api_key},
                                expect=(200, 201))

    def metrics(self) -> list[Metric]:
        status, body = self.client.request("GET", "/metrics")
        if status != 200:
            raise BenchError(f"GET /metrics: HTTP {status}")
        return parse_metrics(body.decode())

    def settle(self, quiet: float = 0.5, timeout: float = 30.0) -> bool:
        """Waits until the runner finished what an earlier load left queued: no invocation completed for `quiet`
        seconds (wrk closing its connections does not empty the functions' queues). False after `timeout`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            count = metric_sum(self.metrics(), "evcsm_invocations_total")
            if count is not None and count == last:
                return True
            last = count
            time.sleep(quiet)
        return False

    def workers(self) -> list[tuple[str, int]]:
        """(function name, pid) of every live worker: descendants whose executable is a function binary."""
        found = []
        bin_dir = os.path.realpath(self.config.functions_dir)
        for pid in processes.descendants(self.pid):
            exe = processes.executable(pid)
            name = os.path.basename(exe)
            if os.path.dirname(exe) == bin_dir and not name.startswith("evcsm-"):
                found.append((name, pid))
        return found

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.process is not None:
            processes.stop(self.process)
        if not self.config.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)
