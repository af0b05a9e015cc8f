"""A scripted OCPP 1.6J charge point for the e2e tests (issue 14): a real WebSocket client of the runner's OCPP
endpoint (websocket-client, already pinned for selenium), so the page sees a real charger's connection, status
and answers. It answers each CSMS call from `answers` (action → CALLRESULT payload; a missing action is never
answered, which the CSMS reports as ChargerTimeout) and records the calls it got.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from datetime import datetime, timezone
from urllib.parse import quote

import websocket
from harness import API, HarnessError, Runner


def register(runner: Runner, charge_point_id: str, connectors: list[dict] | None = None) -> str:
    """Registers an OCPP charger (POST /chargers, operator) and returns its password."""
    body: dict = {"chargePointId": charge_point_id, "ocpp": True}
    if connectors is not None:
        body["connectors"] = connectors
    code, answer = runner.request("POST", f"{API}/chargers", body)
    if code != 201 or not isinstance(answer.get("password"), str):
        raise HarnessError(f"POST /chargers {charge_point_id}: {code} {answer}")
    return answer["password"]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ScriptedCharger:
    """One OCPP connection: connect, boot, status notifications, and scripted answers to the CSMS's calls."""

    def __init__(self, runner: Runner, charge_point_id: str, password: str, answers: dict | None = None):
        self.url = runner.base.replace("http://", "ws://", 1) + "/ocpp/" + quote(charge_point_id, safe="")
        self.charge_point_id = charge_point_id
        self.password = password
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, dict]] = []  # (action, payload) of every CSMS call received
        self.results: dict[str, list] = {}  # messageId → the CSMS's answer frame to our calls
        self.ids = (f"m{n}" for n in itertools.count(1))
        self.lock = threading.Condition()
        self.ws: websocket.WebSocket | None = None
        self.reader: threading.Thread | None = None

    def connect(self) -> ScriptedCharger:
        credentials = base64.b64encode(f"{self.charge_point_id}:{self.password}".encode()).decode()
        self.ws = websocket.create_connection(
            self.url, subprotocols=["ocpp1.6"], header=[f"Authorization: Basic {credentials}"], timeout=10
        )
        self.ws.settimeout(None)  # the reader blocks until a frame or the close
        self.reader = threading.Thread(target=self._read, args=(self.ws,), daemon=True)
        self.reader.start()
        self.call("BootNotification", {"chargePointVendor": "e2e", "chargePointModel": "scripted"})
        return self

    def close(self) -> None:
        """Closes the connection (close frame, then the socket): the CSMS sees the charger go offline."""
        ws, self.ws = self.ws, None
        if ws is None:
            return
        try:
            ws.send_close()
        except (websocket.WebSocketException, OSError):
            pass
        if self.reader is not None:
            self.reader.join(timeout=10)
        ws.shutdown()

    def call(self, action: str, payload: dict, timeout: float = 15) -> dict:
        """Sends a CALL and waits for the CSMS's CALLRESULT payload (fails on a CALLERROR or no answer)."""
        message_id = next(self.ids)
        self.ws.send(json.dumps([2, message_id, action, payload]))
        deadline = time.monotonic() + timeout
        with self.lock:
            while message_id not in self.results:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError(f"{self.charge_point_id}: no answer to {action} in {timeout:.0f} s")
                self.lock.wait(remaining)
            frame = self.results.pop(message_id)
        if frame[0] != 3:
            raise HarnessError(f"{self.charge_point_id}: {action} answered with {frame}")
        return frame[2]

    def status(self, connector_id: int, status: str, error_code: str = "NoError") -> None:
        self.call("StatusNotification", {"connectorId": connector_id, "status": status, "errorCode": error_code,
                                         "timestamp": now()})  # fmt: skip

    def wait_call(self, action: str, timeout: float = 30) -> dict:
        """The payload of the first CSMS call `action` received (waits for it)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [payload for name, payload in self.calls if name == action]
                if found:
                    return found[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError(f"{self.charge_point_id}: the CSMS sent no {action} in {timeout:.0f} s")
                self.lock.wait(remaining)

    def _read(self, ws: websocket.WebSocket) -> None:
        while ws.connected:
            try:
                text = ws.recv()
            except (websocket.WebSocketException, OSError):
                break
            if not text:
                break
            frame = json.loads(text)
            if frame[0] == 2:
                _, message_id, action, payload = frame
                with self.lock:
                    self.calls.append((action, payload))
                    self.lock.notify_all()
                    answer = self.answers.get(action)
                if answer is not None:
                    ws.send(json.dumps([3, message_id, answer]))
            else:
                with self.lock:
                    self.results[frame[1]] = frame
                    self.lock.notify_all()
