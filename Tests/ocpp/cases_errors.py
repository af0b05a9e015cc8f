"""What evcsm refuses: handshakes (unknown identity, bad password, no subprotocol) and frames answered with a
CALLERROR (OCPP-J 1.6 §4.2.3 Table 7): unknown action → NotImplemented, a known action evcsm does not take from a
charger → NotSupported, broken frames → FormationViolation / ProtocolError, schema violations → Type-, Occurence-
and PropertyConstraintViolation. Sent on a raw WebSocket (the library would refuse to send them, and it answers
unknown actions itself with the reverse codes — its issue #426); the connection keeps working after each.
"""

from __future__ import annotations

import asyncio

import websockets

from ocpp_charger import SUBPROTOCOL, RawSocket, charger, open_socket
from ocpp_harness import WAIT, Failure, case, check


async def refused(url: str, user: str | None, password: str | None, subprotocols=(SUBPROTOCOL,)):
    """The HTTP response of a handshake that must be refused (fails when the upgrade succeeds)."""
    try:
        connection = await open_socket(url, user, password, subprotocols)
    except websockets.InvalidStatus as error:
        return error.response
    except websockets.InvalidHandshake as error:
        raise Failure(f"handshake to {url} failed without an HTTP refusal: {type(error).__name__}: {error}") from None
    await connection.close()
    raise Failure(f"handshake to {url} (subprotocols {list(subprotocols)}) was accepted "
                  f"(subprotocol {connection.subprotocol!r})")


@case("handshake: ocpp1.6 echoed; unknown identity → 404; bad or missing password → 401; no ocpp1.6 → refused")
async def handshakes(w):
    cp = "py-handshake"
    password = await w.register(cp)
    connection = await open_socket(w.url(cp), cp, password)
    check(connection.subprotocol == SUBPROTOCOL, f"accepted with subprotocol {connection.subprotocol!r}")
    await connection.close()
    unknown = await refused(w.url("py-no-such-charger"), "py-no-such-charger", "whatever")
    check(unknown.status_code == 404, f"unknown identity: HTTP {unknown.status_code} {unknown.body[:200]!r}")
    wrong = await refused(w.url(cp), cp, password + "x")
    check(wrong.status_code == 401 and "basic" in (wrong.headers.get("WWW-Authenticate") or "").lower(),
          f"bad password: HTTP {wrong.status_code} WWW-Authenticate={wrong.headers.get('WWW-Authenticate')!r}")
    other_user = await refused(w.url(cp), "someone-else", password)
    check(other_user.status_code == 401, f"Basic user other than the identity: HTTP {other_user.status_code}")
    anonymous = await refused(w.url(cp), None, None)
    check(anonymous.status_code == 401, f"no Authorization: HTTP {anonymous.status_code}")
    no_protocol = await refused(w.url(cp), cp, password, subprotocols=())
    check(400 <= no_protocol.status_code < 500, f"no subprotocol offered: HTTP {no_protocol.status_code}")
    wrong_protocol = await refused(w.url(cp), cp, password, subprotocols=("ocpp2.0.1",))
    check(400 <= wrong_protocol.status_code < 500, f"only ocpp2.0.1 offered: HTTP {wrong_protocol.status_code}")
    encoded_url = w.ws_base + "/py%2Dpct"  # the identity is the last path segment, percent-decoded: py-pct
    encoded = await open_socket(encoded_url, "py-pct", await w.register("py-pct"))
    check(encoded.subprotocol == SUBPROTOCOL, f"{encoded_url}: subprotocol {encoded.subprotocol!r}")
    await encoded.close()
    query = w.ws_base + f"?chargePointId={cp}"
    by_query = await open_socket(query, cp, password)
    check(by_query.subprotocol == SUBPROTOCOL, f"{query}: subprotocol {by_query.subprotocol!r}")
    await by_query.close()


STATUS = '{"connectorId":1,"errorCode":"NoError","status":"Available"}'

# (what, frame text, expected messageId or None when it cannot be read, expected error code or codes)
ERROR_FRAMES = [
    ("unknown action", '[2,"e-unknown","FooBar",{}]', "e-unknown", "NotImplemented"),
    ("a CSMS action sent by the charger", '[2,"e-reset","Reset",{"type":"Hard"}]', "e-reset", "NotSupported"),
    ("not JSON", "not json", None, "FormationViolation"),
    ("a JSON object", '{"a":1}', None, "FormationViolation"),
    ("a CALL without action and payload", '[2,"e-short"]', "e-short", "ProtocolError"),
    ("an unknown MessageTypeId", '[7,"e-type","Heartbeat",{}]', "e-type", "ProtocolError"),
    ("a number as messageId", '[2,42,"Heartbeat",{}]', None, "FormationViolation"),
    ("a string payload", '[2,"e-payload","Heartbeat","x"]', "e-payload", "FormationViolation"),
    ("connectorId as a string", '[2,"e-type1","StatusNotification",' + STATUS.replace(":1,", ':"1",') + "]",
     "e-type1", "TypeConstraintViolation"),
    ("meterStart as a decimal", '[2,"e-type2","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":1.5,'
     '"timestamp":"2026-01-01T00:00:00Z"}]', "e-type2", "TypeConstraintViolation"),
    ("a required field missing", '[2,"e-occ1","BootNotification",{"chargePointModel":"m"}]', "e-occ1",
     "OccurenceConstraintViolation"),
    ("an extra field", '[2,"e-occ2","Heartbeat",{"extra":1}]', "e-occ2", "OccurenceConstraintViolation"),
    ("a bad enum value", '[2,"e-prop1","StatusNotification",' + STATUS.replace("Available", "Sleeping") + "]",
     "e-prop1", "PropertyConstraintViolation"),
    ("an idTag over 20 characters", '[2,"e-prop2","Authorize",{"idTag":"' + "A" * 21 + '"}]', "e-prop2",
     ("PropertyConstraintViolation", "TypeConstraintViolation")),  # CiString20: Table 7 reads either way
]


@case("CALLERRORs: unknown action, CSMS action, broken frames, schema violations (raw frames)")
async def call_errors(w):
    cp = "py-raw"
    password = await w.register(cp)
    raw = await RawSocket.open(w.url(cp), cp, password)
    try:
        boot = await raw.exchange('[2,"boot-1","BootNotification",{"chargePointVendor":"Raw","chargePointModel":"R"}]')
        check(boot[:2] == [3, "boot-1"] and boot[2].get("status") == "Accepted", f"BootNotification: {boot}")
        wrong = []
        for what, text, message_id, code in ERROR_FRAMES:
            answer = await raw.exchange(text)
            shape_ok = len(answer) == 5 and answer[0] == 4 and isinstance(answer[3], str) \
                and isinstance(answer[4], dict)
            id_ok = message_id is None or answer[1:2] == [message_id]
            codes = code if isinstance(code, tuple) else (code,)
            if not (shape_ok and id_ok and answer[2] in codes):
                wrong.append(f"{what}: sent {text!r}, expected [4,{message_id!r},{code!r},…], got {answer}")
            beat = await raw.exchange('[2,"hb-after","Heartbeat",{}]')
            if beat[:2] != [3, "hb-after"]:
                wrong.append(f"after {what}: Heartbeat answered {beat}")
        check(not wrong, f"{len(wrong)} of {len(ERROR_FRAMES)} frames answered wrongly:\n    " + "\n    ".join(wrong))
        view = await w.charger_view(cp) or {}
        statuses = [c.get("status") for c in view.get("connectors", [])]
        check((view.get("boot") or {}).get("chargePointModel") == "R" and statuses == [None],
              f"refused frames changed the stored charger (boot model R, no connector status expected): {view}")
    finally:
        await raw.close()


@case("a CALLRESULT or CALLERROR nobody asked for gets no answer; the connection keeps working")
async def unsolicited_answers(w):
    cp = "py-unsolicited"
    password = await w.register(cp)
    raw = await RawSocket.open(w.url(cp), cp, password)
    try:
        await raw.connection.send('[3,"nobody-asked",{}]')
        await raw.connection.send('[4,"nobody-asked-2","GenericError","",{}]')
        beat = await raw.exchange('[2,"hb-1","Heartbeat",{}]')
        check(beat[:2] == [3, "hb-1"], f"expected the Heartbeat's CALLRESULT first (no answer to answers), got {beat}")
    finally:
        await raw.close()


@case("a binary frame → FormationViolation; a message over 128 KiB closes the connection with 1009")
async def binary_and_oversize(w):
    cp = "py-binary"
    password = await w.register(cp)
    raw = await RawSocket.open(w.url(cp), cp, password)
    try:
        await raw.connection.send(b'[2,"bin-1","Heartbeat",{}]')
        after = await raw.exchange('[2,"hb-2","Heartbeat",{}]')  # frames of a connection are handled in order
        check(after[:1] == [4] and after[2:3] == ["FormationViolation"],
              f"a binary frame: expected a FormationViolation CALLERROR first, got {after}")
        beat = await raw.next_frame()
        check(beat[:2] == [3, "hb-2"], f"the Heartbeat after the binary frame: {beat}")
        big = '[2,"big-1","DataTransfer",{"vendorId":"py","data":"' + "x" * (130 * 1024) + '"}]'
        await raw.connection.send(big)
        try:
            reply = await asyncio.wait_for(raw.connection.recv(), WAIT)
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            check(code == 1009, f"a {len(big)}-byte message: closed with {code} ({closed}), expected 1009")
        else:
            raise Failure(f"a {len(big)}-byte message was answered instead of closing with 1009: {reply[:200]!r}")
    finally:
        await raw.close()


@case("the library's own schema-breaking calls are refused by evcsm (TypeConstraintViolation via ocpp)")
async def library_type_violation(w):
    from ocpp.exceptions import OCPPError
    from ocpp.v16 import call

    cp = "py-libtype"
    password = await w.register(cp)
    async with charger(w.url(cp), cp, password) as point:
        await point.boot()
        try:
            await point.call(call.StatusNotification(connector_id="1", error_code="NoError", status="Available"),
                             suppress=False, skip_schema_validation=True)
        except OCPPError as error:
            check(error.code == "TypeConstraintViolation", f"connectorId \"1\": {error.code}: {error}")
        else:
            raise Failure('StatusNotification with connectorId "1" was accepted')
