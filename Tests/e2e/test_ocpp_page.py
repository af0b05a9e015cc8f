"""OCPP chargers on the web page (issue 14), against the real evcsm-local and real OCPP connections.

17. An operator sees a registered OCPP charger in the charger list, offline, then connected and its connector
    statuses live (`chargepoint/status` over /events); a remote start with a chosen connector shows the
    409 ChargerNotConnected, 409 ChargerRejected and 504 ChargerTimeout envelopes' messages next to Start.
18. A driver (no GET /chargers) sees the followed point's connector status from /events only.
19. The runner's simulated OCPP charger `ocpp-1` (--simulate-chargers) is listed connected; a remote start and
    stop on it from the page charge, meter and stop.
20. A remote stop the charger does not answer shows 504 ChargerTimeout next to Stop, the session goes on, and
    the charger's later StopTransaction ends it on the page.
The chargers in 17, 18 and 20 are scripted OCPP 1.6J charge points (ocpp_peer.py) on the runner's WebSocket API.
"""

from __future__ import annotations

from ocpp_peer import ScriptedCharger, now, register
from pages import SLACK, Page, active_session_id
from selenium.webdriver.support.select import Select


def charger_element(point: str, connector: int | None = None) -> str:
    selector = f'#chargers li[data-charger="{point}"]'
    return selector if connector is None else selector + f' li[data-connector="{connector}"]'


def charger_attribute(browser, point: str, name: str, connector: int | None = None) -> str | None:
    """An attribute of the listed charger (or its connector), read in one script: the list is redrawn live."""
    script = "const e = document.querySelector(arguments[0]); return e && e.getAttribute(arguments[1]);"
    return browser.execute_script(script, charger_element(point, connector), name)


def wait_error(page: Page, code: str, status: str, timeout: float) -> str:
    page.wait(lambda: page.element("error").is_displayed() and page.attribute("error", "data-code") == code,
              timeout, f"{code} not shown next to Start")  # fmt: skip
    assert page.attribute("error", "data-status") == status and page.attribute("error", "data-action") == "start"
    return page.text("error")


def test_17_operator_sees_ocpp_charger_live_and_remote_start_refusals(browser, runner):
    point = "cp-ocpp-17"
    password = register(runner, point, [{"connectorId": 1, "maxPower": 11}, {"connectorId": 2, "maxPower": 22}])
    page = Page(browser, runner).open(point)
    page.wait_live()
    page.wait(lambda: charger_attribute(browser, point, "data-connected") == "false", 20,
              "the registered charger is not listed as offline")  # fmt: skip
    assert page.element("connector-field").is_displayed(), "no connector choice for an OCPP charger"
    options = [option.get_attribute("value") for option in Select(page.element("connectorId")).options]
    assert options == ["", "1", "2"], options

    Select(page.element("connectorId")).select_by_value("1")  # "first available" needs a reported status
    page.click("start")
    shown = wait_error(page, "ChargerNotConnected", "409", 5 * SLACK)
    assert "not connected" in shown, shown
    assert page.text("status") == "Stopped"

    charger = ScriptedCharger(runner, point, password, {"RemoteStartTransaction": {"status": "Rejected"}})
    charger.connect()
    try:
        page.wait(lambda: charger_attribute(browser, point, "data-connected") == "true", 10,
                  "the connected charger is not shown connected")  # fmt: skip
        charger.status(1, "Available")
        charger.status(2, "Available")
        page.wait(lambda: charger_attribute(browser, point, "data-status", connector=2) == "Available", 10,
                  "connector 2's status did not arrive")  # fmt: skip
        page.wait(lambda: "connector 2: Available" in page.text("point-charger"), 5,
                  "no charger line in the status bar")  # fmt: skip

        page.wait(lambda: page.element("start").is_enabled(), 5 * SLACK, "Start not enabled again after a refusal")
        Select(page.element("connectorId")).select_by_value("2")
        page.click("start")
        shown = wait_error(page, "ChargerRejected", "409", 5 * SLACK)
        assert "refused" in shown, shown
        assert charger.wait_call("RemoteStartTransaction")["connectorId"] == 2, "the chosen connector was not sent"

        with charger.lock:
            del charger.answers["RemoteStartTransaction"]  # the charger now never answers
        page.wait(lambda: page.element("start").is_enabled(), 5 * SLACK, "Start not enabled again after a refusal")
        page.click("start")
        shown = wait_error(page, "ChargerTimeout", "504", 30 + 5 * SLACK)
        assert "did not answer in time" in shown and "No session was started" in shown, shown
        assert page.text("status") == "Stopped"
    finally:
        charger.close()
    page.wait(lambda: charger_attribute(browser, point, "data-connected") == "false", 15,
              "the disconnected charger is still shown connected")  # fmt: skip


def test_18_driver_sees_the_followed_chargers_connector_status_from_events(browser, runner):
    point = "cp-ocpp-18"
    password = register(runner, point)
    page = Page(browser, runner).open(point, user="driver-18", role="driver")
    page.wait_live()
    assert not page.element("chargers-section").is_displayed(), "a driver has no charger list"
    assert not page.element("connector-field").is_displayed()
    charger = ScriptedCharger(runner, point, password, {"RemoteStartTransaction": {"status": "Rejected"}}).connect()
    try:
        charger.status(1, "Faulted", "GroundFailure")
        page.wait(lambda: "connector 1: Faulted (GroundFailure)" in page.text("point-charger"), 10,
                  "the driver does not see the connector's status")  # fmt: skip
        assert page.attribute("point-charger", "data-connected") == "true"
        charger.status(1, "Available")
        page.wait(lambda: "connector 1: Available" in page.text("point-charger"), 10, "status change not shown")
    finally:
        charger.close()
    page.wait(lambda: page.attribute("point-charger", "data-connected") == "false", 15, "offline not shown")
    assert "offline" in page.text("point-charger")
    asked = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert not [url for url in asked if url.endswith("/chargers")], "a driver's page asked for GET /chargers"


def test_19_remote_start_and_stop_on_the_simulated_ocpp_charger(browser, runner):
    point = "ocpp-1"
    page = Page(browser, runner).open(point)
    page.wait_live()
    page.wait(lambda: charger_attribute(browser, point, "data-connected") == "true", 60,
              "the simulated OCPP charger ocpp-1 is not listed connected")  # fmt: skip
    page.wait(lambda: charger_attribute(browser, point, "data-status", connector=1) == "Available", 30,
              "ocpp-1's connector 1 is not Available")  # fmt: skip
    shown = browser.execute_script("return document.querySelector(arguments[0]).textContent", charger_element(point))
    assert "last heartbeat" in shown or "no heartbeat yet" in shown, shown
    Select(page.element("connectorId")).select_by_value("1")
    page.click("start")
    page.wait_status("Charging", 10 * SLACK)
    session_id = active_session_id(runner, point)
    page.wait(lambda: charger_attribute(browser, point, "data-status", connector=1) == "Charging", 30,
              "connector 1 is not shown Charging")  # fmt: skip
    page.wait(lambda: page.energy() > 0, 30, "no energy from the charger's meter values")
    page.wait(lambda: page.attribute("session-chart", "data-session-id") == session_id
              and int(page.attribute("session-chart", "data-samples")) >= 3, 30,
              "the chart did not plot the OCPP session")  # fmt: skip
    page.click("stop")
    page.wait_status("Stopped", 20 + 5 * SLACK)
    stored = runner.session(session_id)
    assert stored.get("connectorId") == 1 and isinstance(stored.get("transactionId"), int), stored
    assert float(stored["energyConsumed"]) > 0, stored
    page.wait(lambda: charger_attribute(browser, point, "data-status", connector=1) in ("Finishing", "Available"),
              30, "connector 1 did not leave Charging")  # fmt: skip


def test_20_remote_stop_the_charger_does_not_answer_then_it_reports_the_end(browser, runner):
    point = "cp-ocpp-20"
    password = register(runner, point)
    charger = ScriptedCharger(runner, point, password, {"RemoteStartTransaction": {"status": "Accepted"}}).connect()
    try:
        charger.status(1, "Available")
        page = Page(browser, runner).open(point)
        page.wait_live()
        page.wait(lambda: charger_attribute(browser, point, "data-status", connector=1) == "Available", 20,
                  "connector 1 is not listed Available")  # fmt: skip
        page.click("start")
        page.wait_status("Charging", 5 * SLACK)
        id_tag = charger.wait_call("RemoteStartTransaction")["idTag"]
        started = charger.call("StartTransaction", {"connectorId": 1, "idTag": id_tag, "meterStart": 1000,
                                                    "timestamp": now()})  # fmt: skip
        transaction = started["transactionId"]
        charger.status(1, "Charging")
        session_id = active_session_id(runner, point)
        for wh in (1050, 1100):  # slow enough for the plausibility check (at most 22 kW since the start)
            charger.call("MeterValues", {"connectorId": 1, "transactionId": transaction, "meterValue": [
                {"timestamp": now(), "sampledValue": [{"value": str(wh), "unit": "Wh"}]}]})  # fmt: skip
        # At least the charger's 0.100 kWh: the runner's MQTT simulator may meter this session too (it follows
        # every session's session/updates), so the exact figure is the store's, checked after the stop.
        page.wait(lambda: page.energy() >= 0.1, 10, "the charger's meter values are not shown")

        page.click("stop")  # RemoteStopTransaction is never answered
        page.wait(lambda: page.attribute("error", "data-code") == "ChargerTimeout", 30 + 5 * SLACK,
                  "ChargerTimeout not shown next to Stop")  # fmt: skip
        shown = page.text("error")
        assert page.attribute("error", "data-action") == "stop" and "goes on until the charger reports" in shown, shown
        assert charger.wait_call("RemoteStopTransaction")["transactionId"] == transaction
        assert page.text("status") == "Charging", "the session must go on after a stop the charger did not answer"
        # After the refusal the page re-reads the point (GET /status): the session now names its transaction.
        page.wait(lambda: f"OCPP transaction {transaction}" in page.text("session-info"), 10, "no transaction shown")
        charger.call("StopTransaction", {"transactionId": transaction, "meterStop": 1150, "timestamp": now(),
                                         "reason": "Remote"})  # fmt: skip
        page.wait_status("Stopped", 10 * SLACK)
        stored = runner.session(session_id)
        assert stored.get("transactionId") == transaction and stored.get("stopReason") == "Remote", stored
        energy = f"{float(stored['energyConsumed']):.3f}"
        page.wait(lambda: page.text("energy") == energy, 10, f"the final energy is not the stored {energy} kWh")
    finally:
        charger.close()
