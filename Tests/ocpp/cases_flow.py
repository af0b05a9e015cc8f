"""Charger-started transactions end to end: the whole flow with energy and cost through REST, meter value units and
decimal strings, late queued messages, StopTransaction with transactionData, unknown transactions, two chargers at
once, a reconnect without a new BootNotification, and GET /chargers.

Timestamps lie in the past (the transaction started two hours ago) so the energies below stay within the
connector's 22 kW: the plausibility rule never refuses them. Tariff defaults: 0.50/kWh + 5.00 per session.
"""

from __future__ import annotations

import asyncio

from ocpp_charger import charger, energy_sample
from ocpp_harness import ago, case, check, close_to, now, parse_time, same_instant, wait_until


def cost_of(kwh: float) -> float:
    return round(kwh * 0.50 + 5.00, 2)


async def booted(point, **fields):
    boot = await point.boot(**fields)
    check(boot.status == "Accepted" and isinstance(boot.interval, int) and 0 < boot.interval <= 540,
          f"BootNotification answered {boot}")
    return boot


async def stopped_view(w, session_id: str) -> dict:
    return await w.session_when(session_id, "status STOPPED", lambda v: v.get("status") == "STOPPED")


async def energy_is(w, session_id: str, kwh: float, tolerance: float = 0.0005) -> dict:
    return await w.session_when(session_id, f"energyConsumed {kwh}",
                                lambda v: close_to(v.get("energyConsumed"), kwh, tolerance))


@case("boot → heartbeat → status → authorize → start → meter values → stop; the session through REST")
async def full_flow(w):
    cp, tag, user = "py-flow", "PYFLOW1", "py-flow-driver"
    password = await w.register(cp)
    await w.put_idtag(tag, user)
    await w.put_idtag("PYBLOCKED", user, status="Blocked")
    async with charger(w.url(cp), cp, password) as point:
        boot = await booted(point, firmware_version="1.2.3", charge_point_serial_number="SN-PY-1")
        check(abs((parse_time(boot.current_time) - now()).total_seconds()) < 300, f"Boot currentTime {boot}")
        beat = await point.heartbeat()
        check(abs((parse_time(beat.current_time) - now()).total_seconds()) < 300, f"Heartbeat answered {beat}")
        await point.status(0, "Available")
        await point.status(1, "Available")
        for wanted, status in ((tag, "Accepted"), ("PYNOSUCHTAG", "Invalid"), ("PYBLOCKED", "Blocked")):
            answer = await point.authorize(wanted)
            check(answer.id_tag_info.get("status") == status, f"Authorize {wanted}: expected {status}, got {answer}")
        started_at = ago(120)
        start = await point.start_transaction(1, tag, 1000, started_at)
        check(isinstance(start.transaction_id, int) and start.transaction_id > 0
              and start.id_tag_info.get("status") == "Accepted", f"StartTransaction answered {start}")
        await point.status(1, "Charging")
        view = await w.session_of_transaction(cp, start.transaction_id)
        sid = view["sessionId"]
        check(view.get("status") == "ACTIVE" and view.get("connectorId") == 1 and view.get("userId") == user
              and same_instant(view.get("startTime"), started_at) and close_to(view.get("energyConsumed"), 0),
              f"the started session: {view}")
        await point.meter(1, start.transaction_id, [energy_sample("8500", ago(90))])
        await energy_is(w, sid, 7.5)  # register − meterStart
        await point.meter(1, start.transaction_id, [energy_sample("12.345", ago(60), unit="kWh")])
        await energy_is(w, sid, 11.345)
        # No unit, no measurand: Wh and Energy.Active.Import.Register; a decimal string is tolerated.
        await point.meter(1, start.transaction_id,
                          [energy_sample("13500.4", ago(45), unit=None, measurand=None, context="Sample.Clock")])
        await energy_is(w, sid, 12.5, tolerance=0.0015)
        # Other measurands beside the register: only Energy.Active.Import.Register counts.
        power = {"value": "7400", "measurand": "Power.Active.Import", "unit": "W", "context": "Sample.Periodic"}
        mixed = energy_sample("14000", ago(30))
        mixed["sampledValue"].insert(0, power)
        await point.meter(1, start.transaction_id, [mixed])
        await energy_is(w, sid, 13.0)
        stopped_at = ago(10)
        stop = await point.stop_transaction(start.transaction_id, 16500, stopped_at, reason="Local", tag=tag)
        check((stop.id_tag_info or {}).get("status") == "Accepted", f"StopTransaction answered {stop}")
        final = await stopped_view(w, sid)
        check(close_to(final.get("energyConsumed"), 15.5) and close_to(final.get("cost"), 12.75, 0.001)
              and same_instant(final.get("endTime"), stopped_at) and final.get("stopReason") == "Local"
              and final.get("transactionId") == start.transaction_id,
              f"expected 15.5 kWh, cost 12.75, endTime {stopped_at.isoformat()}, stopReason Local; got {final}")
        listed = next((s for s in await w.sessions_of(cp) if s["sessionId"] == sid), None)
        check(listed is not None and close_to(listed.get("energyConsumed"), 15.5)
              and close_to(listed.get("cost"), 12.75, 0.001), f"GET /sessions?chargingPointId={cp}: {listed}")


@case("late queued messages: older MeterValues ignored, in-order ones applied, StopTransaction's timestamp kept")
async def late_messages(w):
    cp, tag = "py-late", "PYLATE1"
    password = await w.register(cp)
    await w.put_idtag(tag, "py-late-driver")
    async with charger(w.url(cp), cp, password) as point:
        await booted(point)
        start = await point.start_transaction(1, tag, 0, ago(180))
        sid = (await w.session_of_transaction(cp, start.transaction_id))["sessionId"]
        await point.meter(1, start.transaction_id, [energy_sample("2000", ago(100))])
        await point.meter(1, start.transaction_id, [energy_sample("4000", ago(80))])
        await energy_is(w, sid, 4.0)
        await point.meter(1, start.transaction_id, [energy_sample("3000", ago(90))])  # older than the last: ignored
        view = await w.session(sid)
        check(close_to(view.get("energyConsumed"), 4.0), f"an older MeterValues changed the energy: {view}")
        await point.meter(1, start.transaction_id, [energy_sample("6000", ago(60))])
        await energy_is(w, sid, 6.0)
        stopped_at = ago(30)
        await point.stop_transaction(start.transaction_id, 7000, stopped_at)
        final = await stopped_view(w, sid)
        check(same_instant(final.get("endTime"), stopped_at) and close_to(final.get("energyConsumed"), 7.0)
              and close_to(final.get("cost"), cost_of(7.0), 0.001) and final.get("stopReason") == "Local",
              f"expected endTime {stopped_at.isoformat()} (the message's), 7.0 kWh, cost 8.50, Local; got {final}")


@case("StopTransaction with transactionData; a stop of an unknown or stopped transaction still answered")
async def transaction_data(w):
    cp, tag = "py-txdata", "PYTXDATA"
    password = await w.register(cp)
    await w.put_idtag(tag, "py-txdata-driver")
    async with charger(w.url(cp), cp, password) as point:
        await booted(point)
        start = await point.start_transaction(1, tag, 500, ago(120))
        sid = (await w.session_of_transaction(cp, start.transaction_id))["sessionId"]
        data = [energy_sample("3500", ago(60), context="Sample.Periodic"),
                energy_sample("5500", ago(30), context="Transaction.End")]
        stopped_at = ago(20)
        await point.stop_transaction(start.transaction_id, 6500, stopped_at, reason="EVDisconnected", transaction_data=data)
        final = await stopped_view(w, sid)
        check(close_to(final.get("energyConsumed"), 6.0) and close_to(final.get("cost"), cost_of(6.0), 0.001)
              and final.get("stopReason") == "EVDisconnected" and same_instant(final.get("endTime"), stopped_at),
              f"expected 6.0 kWh, cost 8.00, EVDisconnected; got {final}")
        again = await point.stop_transaction(start.transaction_id, 9999, now(), tag=tag)
        check(again is not None, "a second StopTransaction got no CALLRESULT")
        unchanged = await w.session(sid)
        check(close_to(unchanged.get("energyConsumed"), 6.0) and same_instant(unchanged.get("endTime"), stopped_at),
              f"a stop of a stopped transaction changed the session: {unchanged}")
        unknown = await point.stop_transaction(2_147_000_001, 100, now(), tag=tag)
        check(unknown.id_tag_info is not None, f"StopTransaction of an unknown transaction with an idTag: {unknown}")
        bare = await point.stop_transaction(2_147_000_002, 100, now())
        check(bare is not None, "StopTransaction of an unknown transaction got no CALLRESULT")


async def one_charger_flow(w, cp: str, tag: str, meter_stop: int) -> None:
    password = await w.register(cp)
    await w.put_idtag(tag, f"{cp}-driver")
    async with charger(w.url(cp), cp, password) as point:
        await booted(point, model=f"model-{cp}")
        await point.status(1, "Available")
        start = await point.start_transaction(1, tag, 0, ago(120))
        sid = (await w.session_of_transaction(cp, start.transaction_id))["sessionId"]
        for step in range(1, 4):
            await point.meter(1, start.transaction_id, [energy_sample(str(meter_stop * step // 4), ago(100 - 20 * step))])
        await energy_is(w, sid, meter_stop * 3 // 4 / 1000)
        await point.stop_transaction(start.transaction_id, meter_stop, ago(5))
        final = await stopped_view(w, sid)
        check(close_to(final.get("energyConsumed"), meter_stop / 1000) and final.get("chargingPointId") == cp,
              f"{cp}: expected {meter_stop / 1000} kWh; got {final}")


@case("two chargers at once")
async def two_chargers(w):
    await asyncio.gather(one_charger_flow(w, "py-two-a", "PYTWOA", 8000),
                         one_charger_flow(w, "py-two-b", "PYTWOB", 12000))


@case("reconnect without a new BootNotification: heartbeat works, the session continues")
async def reconnect(w):
    cp, tag = "py-reconnect", "PYRECONN"
    password = await w.register(cp)
    await w.put_idtag(tag, "py-reconnect-driver")
    async with charger(w.url(cp), cp, password) as point:
        await booted(point, firmware_version="9.9")
        start = await point.start_transaction(1, tag, 0, ago(60))
        sid = (await w.session_of_transaction(cp, start.transaction_id))["sessionId"]
        await point.meter(1, start.transaction_id, [energy_sample("3000", ago(30))])
        await energy_is(w, sid, 3.0)
    await wait_until(f"GET /chargers shows {cp} disconnected",
                     lambda: _connected_is(w, cp, False))
    async with charger(w.url(cp), cp, password) as point:
        beat = await point.heartbeat()
        check(beat.current_time, f"Heartbeat after the reconnect: {beat}")
        view = await wait_until(f"GET /chargers shows {cp} connected again", lambda: _connected_is(w, cp, True))
        check((view.get("boot") or {}).get("firmwareVersion") == "9.9", f"boot info lost on reconnect: {view}")
        await point.meter(1, start.transaction_id, [energy_sample("4000", ago(20))])
        view = await energy_is(w, sid, 4.0)
        check(view.get("status") == "ACTIVE", f"the session after the reconnect: {view}")
        await point.stop_transaction(start.transaction_id, 5000, ago(10))
        final = await stopped_view(w, sid)
        check(close_to(final.get("energyConsumed"), 5.0), f"after the reconnect: {final}")


async def _connected_is(w, cp: str, connected: bool):
    view = await w.charger_view(cp)
    return view if view is not None and view.get("connected") is connected else None


@case("GET /chargers: connected, boot info, last heartbeat, connector statuses")
async def list_chargers(w):
    cp = "py-list"
    password = await w.register(cp, [{"connectorId": 1, "maxPower": 11}, {"connectorId": 2, "maxPower": 22}])
    before = await w.charger_view(cp)
    check(before is not None and before.get("connected") is False and before.get("ocpp") is True,
          f"a registered, never connected charger: {before}")
    async with charger(w.url(cp), cp, password) as point:
        await booted(point, vendor="PyVendor", model="PyModel", firmware_version="fw-7")
        await point.heartbeat()
        await point.status(1, "Available")
        await point.status(2, "Faulted", error_code="GroundFailure", info="insulation")
        view = await wait_until(f"GET /chargers shows {cp} connected", lambda: _connected_is(w, cp, True))
        boot = view.get("boot") or {}
        connectors = {c.get("connectorId"): c for c in view.get("connectors", [])}
        check(boot.get("chargePointVendor") == "PyVendor" and boot.get("chargePointModel") == "PyModel"
              and boot.get("firmwareVersion") == "fw-7" and isinstance(view.get("lastHeartbeat"), str)
              and isinstance(view.get("connectionId"), str), f"GET /chargers entry: {view}")
        one, two = connectors.get(1, {}), connectors.get(2, {})
        check(one.get("status") == "Available" and one.get("errorCode") == "NoError" and one.get("maxPower") == 11
              and two.get("status") == "Faulted" and two.get("errorCode") == "GroundFailure"
              and two.get("info") == "insulation" and two.get("maxPower") == 22, f"connectors: {view.get('connectors')}")


@case("an implausible MeterValues (over the connector's maxPower) is answered and refused, not applied")
async def implausible_reading(w):
    cp, tag = "py-implausible", "PYIMPLAUS"
    password = await w.register(cp, [{"connectorId": 1, "maxPower": 11}])
    await w.put_idtag(tag, "py-implausible-driver")
    async with charger(w.url(cp), cp, password) as point:
        await booted(point)
        start = await point.start_transaction(1, tag, 0, ago(10))
        sid = (await w.session_of_transaction(cp, start.transaction_id))["sessionId"]
        await point.meter(1, start.transaction_id, [energy_sample("1000", ago(5))])
        await energy_is(w, sid, 1.0)
        await point.meter(1, start.transaction_id, [energy_sample("50000", ago(4))])  # 49 kWh in a minute at 11 kW
        view = await w.session_when(sid, "the reading counted as rejected", lambda v: v.get("rejectedReadings", 0) >= 1)
        check(close_to(view.get("energyConsumed"), 1.0), f"an implausible reading was applied: {view}")
        await point.stop_transaction(start.transaction_id, 1500, ago(1))
        final = await stopped_view(w, sid)
        check(close_to(final.get("energyConsumed"), 1.5), f"after the refused reading: {final}")
