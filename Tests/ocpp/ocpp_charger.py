"""The independent charge point: `ocpp.v16.ChargePoint` (PyPI `ocpp` 2.1.0) over `websockets`, and a raw
WebSocket connection for frames the library would never send.

The charge point answers the CSMS calls evcsm sends (RemoteStartTransaction → StartTransaction after the answer,
RemoteStopTransaction → StopTransaction, Reset, GetConfiguration) and records them. Its own calls use
`suppress=False`, so a CALLERROR from evcsm raises the library's OCPPError (code and description in the message),
and the library checks every evcsm answer against the 1.6 schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from ocpp_harness import WAIT, Failure, basic, iso, now

SUBPROTOCOL = "ocpp1.6"


async def open_socket(url: str, user: str | None, password: str | None, subprotocols=(SUBPROTOCOL,)):
    """A WebSocket handshake as a charger does it (HTTP Basic auth when `password` is given)."""
    headers = {"Authorization": basic(user, password)} if password is not None else {}
    return await websockets.connect(url, subprotocols=list(subprotocols) or None, additional_headers=headers,
                                    open_timeout=WAIT, close_timeout=5, ping_interval=None, max_size=2**20)


def energy_sample(value: str, moment, unit: str | None = "Wh", measurand: str | None = "Energy.Active.Import.Register",
                  context: str | None = "Sample.Periodic") -> dict:
    """One MeterValue (camelCase, as sent) with one sampledValue."""
    sampled = {"value": value}
    for key, field in (("unit", unit), ("measurand", measurand), ("context", context)):
        if field is not None:
            sampled[key] = field
    return {"timestamp": iso(moment), "sampledValue": [sampled]}


class Charger(ChargePoint):
    """A 1.6 charge point. `remote_start` is what it answers to RemoteStartTransaction."""

    def __init__(self, charge_point_id: str, connection):
        super().__init__(charge_point_id, connection, response_timeout=WAIT)
        self.remote_start = "Accepted"
        self.meter_wh = 0  # the register: meterStart of a remote start, meterStop base of a remote stop
        self.remote_stop_delta_wh = 80
        self.csms_calls: list[tuple[str, dict]] = []  # (action, snake_case payload) as received
        self.transactions: asyncio.Queue[int] = asyncio.Queue()  # ids the remote starts got
        self.stopped: asyncio.Queue[int] = asyncio.Queue()  # ids the remote stops ended
        self.task: asyncio.Task | None = None
        self.hold: asyncio.Event | None = None

    # Charger → CSMS ---------------------------------------------------------------------------------------
    async def boot(self, vendor: str = "PyOCPP", model: str = "evcsm-suite", **fields):
        return await self.call(call.BootNotification(charge_point_vendor=vendor, charge_point_model=model, **fields),
                               suppress=False)

    async def heartbeat(self):
        return await self.call(call.Heartbeat(), suppress=False)

    async def status(self, connector: int, status: str, error_code: str = "NoError", **fields):
        return await self.call(call.StatusNotification(connector_id=connector, error_code=error_code, status=status,
                                                       **fields), suppress=False)

    async def authorize(self, tag: str):
        return await self.call(call.Authorize(id_tag=tag), suppress=False)

    async def start_transaction(self, connector: int, tag: str, meter_start: int, moment=None):
        return await self.call(call.StartTransaction(connector_id=connector, id_tag=tag, meter_start=meter_start,
                                                     timestamp=iso(moment or now())), suppress=False)

    async def meter(self, connector: int, transaction_id: int | None, values: list[dict]):
        return await self.call(call.MeterValues(connector_id=connector, transaction_id=transaction_id,
                                                meter_value=values), suppress=False)

    async def stop_transaction(self, transaction_id: int, meter_stop: int, moment=None, reason: str | None = None,
                   tag: str | None = None, transaction_data: list[dict] | None = None):
        return await self.call(call.StopTransaction(meter_stop=meter_stop, timestamp=iso(moment or now()),
                                                    transaction_id=transaction_id, reason=reason, id_tag=tag,
                                                    transaction_data=transaction_data), suppress=False)

    # CSMS → charger ---------------------------------------------------------------------------------------
    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, **payload):
        self.csms_calls.append(("RemoteStartTransaction", {"id_tag": id_tag, **payload}))
        return call_result.RemoteStartTransaction(status=self.remote_start)

    @after(Action.remote_start_transaction)
    async def after_remote_start(self, id_tag, connector_id=None, **_):
        if self.remote_start != "Accepted":
            return
        try:
            answer = await self.start_transaction(connector_id or 1, id_tag, self.meter_wh)
            await self.transactions.put(answer.transaction_id)
        except Exception as error:  # the library drops an after-hook's exception: hand it to the waiting case
            await self.transactions.put(error)

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id):
        self.csms_calls.append(("RemoteStopTransaction", {"transaction_id": transaction_id}))
        return call_result.RemoteStopTransaction(status="Accepted")

    @after(Action.remote_stop_transaction)
    async def after_remote_stop(self, transaction_id):
        self.meter_wh += self.remote_stop_delta_wh
        try:
            await self.stop_transaction(transaction_id, self.meter_wh, reason="Remote")
            await self.stopped.put(transaction_id)
        except Exception as error:
            await self.stopped.put(error)

    @on(Action.reset)
    def on_reset(self, type):
        self.csms_calls.append(("Reset", {"type": type}))
        return call_result.Reset(status="Accepted")

    @on(Action.get_configuration)
    async def on_get_configuration(self, key=None):
        self.csms_calls.append(("GetConfiguration", {"key": key}))
        if self.hold is not None:  # a case keeps this call outstanding until it sets the event
            await self.hold.wait()
        known = {"HeartbeatInterval": "300", "MeterValueSampleInterval": "10"}
        wanted = key or list(known)
        return call_result.GetConfiguration(
            configuration_key=[{"key": k, "readonly": False, "value": known[k]} for k in wanted if k in known],
            unknown_key=[k for k in wanted if k not in known] or None)


@contextlib.asynccontextmanager
async def charger(url: str, charge_point_id: str, password: str):
    """A connected `Charger` reading its socket in a task; closed (and the task ended) on exit."""
    connection = await open_socket(url, charge_point_id, password)
    point = Charger(charge_point_id, connection)
    point.task = asyncio.create_task(point.start())
    try:
        yield point
    finally:
        point.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await point.task
        await connection.close()


async def next_item(queue: asyncio.Queue, what: str):
    try:
        item = await asyncio.wait_for(queue.get(), WAIT)
    except asyncio.TimeoutError:
        raise Failure(f"timed out after {WAIT:.0f} s waiting for {what}") from None
    if isinstance(item, Exception):
        raise Failure(f"{what} failed: {type(item).__name__}: {item}")
    return item


class RawSocket:
    """A charger's WebSocket without the library: any text, and the one frame answering it."""

    def __init__(self, connection):
        self.connection = connection

    @classmethod
    async def open(cls, url: str, charge_point_id: str, password: str) -> "RawSocket":
        return cls(await open_socket(url, charge_point_id, password))

    async def exchange(self, text: str) -> list:
        """Sends `text`; returns the answering frame, decoded (fails on no answer or a non-JSON answer)."""
        await self.connection.send(text)
        return await self.next_frame(f"the frame {text!r}")

    async def next_frame(self, what: str = "the next frame") -> list:
        """The next frame received, decoded."""
        try:
            answer = await asyncio.wait_for(self.connection.recv(), WAIT)
        except asyncio.TimeoutError:
            raise Failure(f"no answer within {WAIT:.0f} s to {what}") from None
        except websockets.ConnectionClosed as closed:
            raise Failure(f"the connection closed instead of answering {what}: {closed}") from None
        try:
            frame = json.loads(answer)
        except ValueError:
            raise Failure(f"answer to {what} is not JSON: {answer!r}") from None
        if not isinstance(frame, list):
            raise Failure(f"answer to {what} is not an OCPP-J frame: {answer!r}")
        return frame

    async def close(self) -> None:
        await self.connection.close()
