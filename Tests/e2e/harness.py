"""A real `evcsm-local` on ephemeral ports and headless Debian Chromium, for the e2e tests and the screenshot.

The runner comes from $EVCSM_BIN_DIR (set by `make test-e2e`), else from `swift build --show-bin-path`.
EVCSM_E2E_URL=http://127.0.0.1:5274 uses a runner that is already up instead of starting one;
EVCSM_E2E_TEMPLATE=<file> starts it with another template than the tree's template.yaml.
The runner's API needs a bearer token (issue 13): `Runner.request` sends an operator token from the runner's
development issuer (`POST /dev/token`) unless it is given another (`token=`) or none (`token=None`).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

ROOT = Path(os.environ.get("EVCSM_ROOT") or Path(__file__).resolve().parents[2])
ARTIFACTS = ROOT / "test-artifacts"
FUNCTIONS = ["GetStatus", "StartSession", "StopSession", "ListSessions", "GetSession", "ChargingUpdates", "MeterValues",
             "RegisterCharger", "ListChargers", "OcppConnect", "OcppDisconnect", "OcppMessage"]  # fmt: skip
API = "/api/ChargingSessionAPI"
# evcsm-local's start-up banner (Runtime/LocalRunner/Application.swift) has "  Web page:   http://127.0.0.1:<port>/".
URL_LINE = re.compile(r"Web page:\s*https?://(?:127\.0\.0\.1|localhost|0\.0\.0\.0):(\d+)")
STARTUP_TIMEOUT = 120.0
OPERATOR = "e2e-operator"
OPERATOR_TOKEN = object()  # `request`'s default: the runner's operator token


class HarnessError(Exception):
    """A prerequisite is missing or the runner did not come up; the tests fail with this message."""


def bin_dir() -> Path:
    configured = os.environ.get("EVCSM_BIN_DIR")
    if configured:
        return Path(configured)
    swift = shutil.which("swift")
    if swift is None:
        raise HarnessError("EVCSM_BIN_DIR is unset and `swift` is not on PATH: run `make test-e2e`")
    shown = subprocess.run([swift, "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True)
    if shown.returncode != 0:
        raise HarnessError(f"swift build --show-bin-path failed: {shown.stderr.strip()}")
    return Path(shown.stdout.strip())


@dataclass
class Runner:
    """A running evcsm-local and a small JSON client for its API (authenticated as an operator by default)."""

    base: str
    log: Path | None
    operator_token: str | None = None

    def url(self, path: str) -> str:
        return self.base + path

    def token(self, sub: str, role: str = "driver") -> str:
        """A token for `sub` from the runner's development issuer (POST /dev/token)."""
        code, answer = self.request("POST", "/dev/token", {"sub": sub, "role": role}, token=None)
        if code != 200 or not isinstance(answer, dict) or not isinstance(answer.get("token"), str):
            raise HarnessError(f"POST /dev/token for {sub} ({role}): {code} {answer}")
        return answer["token"]

    def request(self, method: str, path: str, body: dict | None = None, token=OPERATOR_TOKEN) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token is OPERATOR_TOKEN:
            if self.operator_token is None:
                # A runner started with `--auth none` has no development issuer: its API is open.
                code, _ = self.request("GET", "/auth/config", token=None)
                open_api = code == 200 and _.get("mode") == "none"
                self.operator_token = "" if open_api else self.token(OPERATOR, "operator")
            token = self.operator_token or None
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, {"raw": text.decode(errors="replace")}

    def status(self, point: str) -> tuple[int, dict]:
        return self.request("GET", f"{API}/status?chargingPointId={point}")

    def session(self, session_id: str) -> dict:
        code, body = self.request("GET", f"{API}/sessions/{session_id}")
        assert code == 200, f"GET /sessions/{session_id}: {code} {body}"
        return body

    def log_tail(self, lines: int = 80) -> str:
        if self.log is None or not self.log.exists():
            return "(no runner log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _pump(stream, log_file, lines: queue.Queue) -> None:
    for raw in iter(stream.readline, b""):
        text = raw.decode(errors="replace")
        log_file.write(text)
        log_file.flush()
        lines.put(text)
    lines.put(None)


def wait_healthy(base: str, process: subprocess.Popen | None, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise HarnessError(f"evcsm-local exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            last = str(error)
        time.sleep(0.2)
    raise HarnessError(f"{base}/healthz did not answer 200 in time ({last})")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def running_runner(speed: int = 60, log_name: str = "e2e-runner.log"):
    """Yields a Runner for a fresh evcsm-local (own data dir, ephemeral ports), stopped on exit."""
    external = os.environ.get("EVCSM_E2E_URL")
    if external:
        base = external.rstrip("/")
        wait_healthy(base, None, time.monotonic() + 30)
        yield Runner(base, None)
        return
    directory = bin_dir()
    missing = [name for name in ["evcsm-local", *FUNCTIONS] if not (directory / name).is_file()]
    if missing:
        raise HarnessError(f"missing binaries in {directory}: {', '.join(missing)} (run `make build`)")
    ARTIFACTS.mkdir(exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="evcsm-e2e-"))
    log_path = ARTIFACTS / log_name
    command = [
        str(directory / "evcsm-local"),
        "--port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0",
        "--data-dir", str(data_dir),
        "--functions-dir", str(directory),
        "--template", os.environ.get("EVCSM_E2E_TEMPLATE") or str(ROOT / "template.yaml"),
        "--simulate-chargers", "--speed", str(speed),
    ]  # fmt: skip
    with open(log_path, "w") as log_file:
        log_file.write("$ " + " ".join(command) + "\n")
        log_file.flush()
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            lines: queue.Queue = queue.Queue()
            threading.Thread(target=_pump, args=(process.stdout, log_file, lines), daemon=True).start()
            deadline = time.monotonic() + STARTUP_TIMEOUT
            base = None
            while base is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError("evcsm-local printed no \"Web page: http://127.0.0.1:<port>/\" line")
                try:
                    line = lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:
                    raise HarnessError(f"evcsm-local exited with {process.wait()} before printing its URL")
                match = URL_LINE.search(line)
                if match:
                    base = f"http://127.0.0.1:{match.group(1)}"
            wait_healthy(base, process, deadline)
        except HarnessError as error:
            _stop(process)
            raise HarnessError(f"{error}\n--- {log_path} ---\n" + log_path.read_text(errors="replace")[-6000:])
        try:
            yield Runner(base, log_path)
        finally:
            _stop(process)
            shutil.rmtree(data_dir, ignore_errors=True)


def new_chrome(width: int = 1000, height: int = 900) -> webdriver.Chrome:
    """Headless Debian Chromium through Debian's chromedriver (NOTES.md, "Browser tests")."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        raise HarnessError("chromium and chromedriver must be installed (`make e2e-deps` installs Debian's packages)")
    options = Options()
    options.binary_location = chromium
    for argument in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        f"--window-size={width},{height}", "--lang=en-US", "--force-device-scale-factor=1",
        "--hide-scrollbars",
    ]:  # fmt: skip
        options.add_argument(argument)
    # The request log (performance) shows every URL the page asked for: the tests check no token is in one.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


def set_viewport(driver: webdriver.Chrome, width: int, height: int, mobile: bool = False) -> None:
    """Exact CSS viewport size (the window size also counts the window's frame)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
