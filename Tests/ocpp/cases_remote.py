"""CSMS → charger: remote start and stop from REST (the charge point answers RemoteStartTransaction and sends
StartTransaction, answers RemoteStopTransaction and sends StopTransaction), a rejected remote start, a start on a
charger that is not connected, a REST target reached (→ RemoteStopTransaction), SendChargerCommand (GetConfiguration,
Reset, refused payloads, ChargerBusy while a call is outstanding), and the SSE stream carrying an OCPP session's
`session/updates`.
"""

from __future__ import annotations

import asyncio
import contextlib

from cases_flow import booted, stopped_view
from ocpp_charger import charger, energy_sample, next_item
from ocpp_harness import ago, case, check, close_to, wait_until
from sse import EventStream


async def connector_status_is(w, cp: str, connector: int, status: str):
    """Waits until GET /chargers shows the stored status (what POST /start picks a connector by)."""
    async def probe():
        view = await w.charger_view(cp)
        found = [c for c in (view or {}).get("connectors", []) if c.get("connectorId") == connector]
        return view if found and found[0].get("status") == status else None
    return await wait_until(f"GET /chargers shows {cp} connector {connector} {status}", probe)


@contextlib.asynccontextmanager
async def available_charger(w, cp: str, password: str):
    """A connected, booted charge point whose connector 1 the Central System has seen `Available`."""
    async with charger(w.url(cp), cp, password) as point:
        await booted(point)
        await point.status(1, "Available")
        await connector_status_is(w, cp, 1, "Available")
        yield point


def start_body(cp: str, user: str) -> dict:
    return {"userId": user, "vehicleId": f"{user}-car", "chargingPointId": cp, "maxPower": 11, "targetCharge": 80}


@case("remote start (POST /start, driver) → RemoteStartTransaction → StartTransaction; POST /stop → 200 with cost")
async def remote_start_stop(w):
    cp, user, tag = "py-remote", "py-remote-driver", "PYREMOTE"
    password = await w.register(cp)
    await w.put_idtag(tag, user)
    driver = await w.token(user)
    async with available_charger(w, cp, password) as point:
        point.meter_wh = 4321
        started = await w.expect("POST", "start", start_body(cp, user), status=201, token=driver)
        sid = started.get("sessionId")
        check(started.get("status") == "STARTED" and isinstance(sid, str), f"POST /start answered {started}")
        remote = [p for a, p in point.csms_calls if a == "RemoteStartTransaction"]
        check(len(remote) == 1 and remote[0].get("id_tag") == tag and remote[0].get("connector_id") in (1, None),
              f"RemoteStartTransaction calls the charger got: {remote} (expected idTag {tag}, connectorId 1)")
        transaction_id = await next_item(point.transactions, "the StartTransaction answer after the remote start")
        view = await w.session_when(sid, f"transactionId {transaction_id} attached",
                                    lambda v: v.get("transactionId") == transaction_id)
        check(view.get("status") == "ACTIVE" and view.get("connectorId") == 1 and view.get("userId") == user,
              f"the remote-started session: {view}")
        stop = await w.expect("POST", "stop", {"sessionId": sid}, status=200, token=driver)
        stops = [p for a, p in point.csms_calls if a == "RemoteStopTransaction"]
        check(stops == [{"transaction_id": transaction_id}], f"RemoteStopTransaction calls: {stops}")
        check(await next_item(point.stopped, "the StopTransaction after the remote stop") == transaction_id,
              "the charger stopped another transaction")
        check(stop.get("status") == "STOPPED" and close_to(stop.get("energyConsumed"), 0.08)
              and close_to(stop.get("cost"), 5.04, 0.001) and stop.get("stopReason") == "Remote",
              f"POST /stop: expected STOPPED, 0.08 kWh, cost 5.04, Remote; got {stop}")
        again = await w.expect("POST", "stop", {"sessionId": sid}, status=200, token=driver)
        check(close_to(again.get("cost"), 5.04, 0.001), f"a second POST /stop: {again}")


@case("remote start Rejected → 409 ChargerRejected, session NotStarted; not connected → 409 ChargerNotConnected")
async def remote_start_rejected(w):
    cp, user = "py-rejected", "py-rejected-driver"
    password = await w.register(cp)
    driver = await w.token(user)
    async with available_charger(w, cp, password) as point:
        point.remote_start = "Rejected"
        reply = await w.rest("POST", "start", start_body(cp, user), token=driver)
        check(reply.status == 409 and (reply.json or {}).get("error") == "ChargerRejected",
              f"POST /start on a rejecting charger: {reply.status} {reply.text[:300]}")
        sessions = await w.sessions_of(cp)
        check(len(sessions) == 1 and all(s.get("status") == "STOPPED" and s.get("stopReason") == "NotStarted"
                                         and close_to(s.get("cost"), 0, 0.001) for s in sessions),
              f"sessions of {cp} after the rejected start: {sessions}")
    await wait_until(f"{cp} disconnected", lambda: _disconnected(w, cp))
    reply = await w.rest("POST", "start", start_body(cp, user), token=driver)
    check(reply.status == 409 and (reply.json or {}).get("error") == "ChargerNotConnected",
          f"POST /start on a disconnected charger: {reply.status} {reply.text[:300]}")


async def _disconnected(w, cp: str):
    view = await w.charger_view(cp)
    return view is not None and view.get("connected") is False


@case("SendChargerCommand: GetConfiguration and Reset return the charger's answer; bad requests refused")
async def charger_commands(w):
    cp = "py-command"
    password = await w.register(cp)
    path = f"chargers/{cp}/commands"
    async with charger(w.url(cp), cp, password) as point:
        await booted(point)
        got = await w.expect("POST", path, {"action": "GetConfiguration",
                                            "payload": {"key": ["HeartbeatInterval", "NoSuchKey"]}})
        result = got.get("result") or {}
        check(got.get("action") == "GetConfiguration" and got.get("status") == "Answered"
              and result.get("configurationKey") == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
              and result.get("unknownKey") == ["NoSuchKey"], f"GetConfiguration: {got}")
        reset = await w.expect("POST", path, {"action": "Reset", "payload": {"type": "Soft"}})
        check(reset.get("action") == "Reset" and (reset.get("result") or {}).get("status") == "Accepted",
              f"Reset: {reset}")
        check(("Reset", {"type": "Soft"}) in point.csms_calls, f"the charger got: {point.csms_calls}")
        calls = len(point.csms_calls)
        for body in ({"action": "Reset", "payload": {"type": "Warm"}}, {"action": "Reset", "payload": {}},
                     {"action": "FooBar", "payload": {}}, {"action": "RemoteStartTransaction",
                                                          "payload": {"idTag": "X"}}):
            reply = await w.rest("POST", path, body)
            check(reply.status == 400, f"POST /{path} {body}: expected 400, got {reply.status} {reply.text[:300]}")
        check(len(point.csms_calls) == calls, f"a refused command reached the charger: {point.csms_calls[calls:]}")
        driver = await w.token("py-command-driver")
        reply = await w.rest("POST", path, {"action": "Reset", "payload": {"type": "Soft"}}, token=driver)
        check(reply.status == 403, f"a driver's command: {reply.status} {reply.text[:200]}")
    reply = await w.rest("POST", "chargers/py-no-such-charger/commands", {"action": "Reset", "payload": {"type": "Soft"}})
    check(reply.status == 404, f"a command to an unregistered charger: {reply.status} {reply.text[:200]}")
    await wait_until(f"{cp} disconnected", lambda: _disconnected(w, cp))
    reply = await w.rest("POST", path, {"action": "Reset", "payload": {"type": "Soft"}})
    check(reply.status == 409, f"a command to a disconnected charger: {reply.status} {reply.text[:200]}")


@case("one outstanding CSMS call per charger: a second command meanwhile → 409 ChargerBusy")
async def charger_busy(w):
    cp = "py-busy"
    password = await w.register(cp)
    path = f"chargers/{cp}/commands"
    async with charger(w.url(cp), cp, password) as point:
        await booted(point)
        point.hold = asyncio.Event()
        first = asyncio.create_task(w.rest("POST", path, {"action": "GetConfiguration", "payload": {}}))
        try:
            await wait_until("the charger got the first GetConfiguration",
                             lambda: _true([a for a, _ in point.csms_calls if a == "GetConfiguration"]))
            second = await w.rest("POST", path, {"action": "Reset", "payload": {"type": "Soft"}})
            check(second.status == 409 and (second.json or {}).get("error") == "ChargerBusy",
                  f"a command while one is outstanding: {second.status} {second.text[:300]}")
        finally:
            point.hold.set()
        answered = await first
        check(answered.status == 200 and (answered.json or {}).get("status") == "Answered",
              f"the held GetConfiguration: {answered.status} {answered.text[:300]}")
        check(("Reset", {"type": "Soft"}) not in point.csms_calls, "the refused Reset reached the charger")


async def _true(value):
    return value


@case("SSE /events carries session/updates of an OCPP session (and chargepoint/status)")
async def sse_updates(w):
    cp, tag = "py-sse", "PYSSE1"
    password = await w.register(cp)
    await w.put_idtag(tag, "py-sse-driver")
    token = await w.token("py-sse-operator", "operator")
    async with EventStream(w.runner.host, w.runner.port, token) as stream:
        async with charger(w.url(cp), cp, password) as point:
            await booted(point)
            await point.status(1, "Available")
            start = await point.start_transaction(1, tag, 0, ago(60))
            await point.meter(1, start.transaction_id, [energy_sample("2500", ago(30))])
            await stream.wait_for(f"session/updates of {cp} with 2.5 kWh, Charging", lambda t, p: (
                t == "session/updates" and isinstance(p, dict) and p.get("chargingPointId") == cp
                and p.get("status") == "Charging" and close_to(p.get("energyConsumed"), 2.5)))
            await point.stop_transaction(start.transaction_id, 3000, ago(5))
            update = await stream.wait_for(f"session/updates of {cp}: Stopped", lambda t, p: (
                t == "session/updates" and isinstance(p, dict) and p.get("chargingPointId") == cp
                and p.get("status") == "Stopped"))
            check(close_to(update.get("energyConsumed"), 3.0) and close_to(update.get("cost"), 6.5, 0.001),
                  f"the Stopped update: {update}")
            await stream.wait_for(f"chargepoint/status of {cp} connector 1", lambda t, p: (
                t == "chargepoint/status" and isinstance(p, dict) and p.get("chargePointId") == cp
                and p.get("connectorId") == 1 and p.get("status") == "Available"))
        sid = update.get("sessionId")
        check(isinstance(sid, str) and (await stopped_view(w, sid)).get("stopReason") == "Local",
              f"the session of the SSE update: {update}")


@case("a REST-started session keeps its target: reaching it sends RemoteStopTransaction; the charger's stop ends it")
async def remote_target_reached(w):
    cp, user = "py-target", "py-target-driver"
    password = await w.register(cp)
    driver = await w.token(user)
    async with available_charger(w, cp, password) as point:
        point.meter_wh = 1000
        # (80 − 79) % of 1 kWh: a 10 Wh target, within the plausibility tolerance at once.
        body = {**start_body(cp, user), "batteryCapacity": 1, "currentCharge": 79}
        sid = (await w.expect("POST", "start", body, status=201, token=driver))["sessionId"]
        transaction_id = await next_item(point.transactions, "the StartTransaction after the remote start")
        await w.session_when(sid, "transactionId attached", lambda v: v.get("transactionId") == transaction_id)
        point.meter_wh, point.remote_stop_delta_wh = 1050, 10
        await point.meter(1, transaction_id, [energy_sample("1050", ago(0))])
        check(await next_item(point.stopped, "RemoteStopTransaction once the target was reached") == transaction_id,
              "the charger was told to stop another transaction")
        final = await stopped_view(w, sid)
        check(close_to(final.get("energyConsumed"), 0.06) and final.get("stopReason") == "Remote",
              f"expected 0.06 kWh (meterStop 1060 − meterStart 1000), stopReason Remote; got {final}")
