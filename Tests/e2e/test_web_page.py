"""The web page in a real headless Chromium against a real evcsm-local with simulated chargers (speed 60).

Scenarios 1-6 are issue 6's; 7-10 cover the live-feed fallback, the phone layout, history filters/paging/CSV
and a 5xx answer. Every test uses its own charging point, so the tests do not depend on each other's sessions.
Every test signs in first (pages.Page.open: the development issuer's form, as an operator); the sign-in itself,
drivers and tokens are in test_sign_in.py.
Waits are generous polling timeouts; the latencies the issue asks for (2 s to "Charging", 5 s to rising
energy) are measured and printed (see test-artifacts/e2e-timings.json), and fail only past E2E_TIME_SLACK
times those numbers.
"""

from __future__ import annotations

import re
import time

from harness import API, ARTIFACTS, set_viewport
from pages import SLACK, Page, active_session_id, record
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select


def test_1_open_page_shows_stopped_and_zero_energy(browser, runner):
    page = Page(browser, runner).open()
    assert page.text("status") == "Stopped"
    assert page.attribute("status-bar", "data-status") == "Stopped"
    assert page.text("energy") == "0.000"
    assert page.element("chargingPointId").get_attribute("value") == "cp-1"
    assert page.element("maxPower").get_attribute("value") == "11"
    assert page.element("targetCharge").get_attribute("value") == "80"
    page.wait(lambda: page.element("start").is_enabled(), 10, "Start is not enabled on a free point")
    assert not page.element("stop").is_enabled(), "Stop must be disabled without a session"
    assert page.attribute("status", "aria-live") == "polite"
    page.wait_live()
    script_errors = [entry for entry in browser.get_log("browser") if entry.get("source") == "javascript"]
    assert script_errors == [], f"JavaScript errors on the page: {script_errors}"


def test_2_start_shows_charging_and_rising_energy(browser, runner):
    point = "cp-e2e-2"
    page = Page(browser, runner).open(point)
    page.wait_live()
    assert page.text("status") == "Stopped"
    clicked = time.monotonic()
    page.click("start")
    record("start_to_charging", page.wait_status("Charging", 2 * SLACK))
    assert page.attribute("status-bar", "data-status") == "Charging"
    page.wait(lambda: page.energy() > 0, 5 * SLACK, "energy did not rise")
    record("start_to_energy_rising", time.monotonic() - clicked)
    first = page.energy()
    page.wait(lambda: page.energy() > first, 5 * SLACK, "energy stopped rising")
    assert page.element("stop").is_enabled() and not page.element("start").is_enabled()
    assert page.text("estimate") == "2 h 00 min", "11 kW to 80 % is the reference 120 minutes"
    assert re.fullmatch(r"\d+\.\d{2} [A-Z]{3}", page.text("cost")), page.text("cost")
    assert re.fullmatch(r"\d+:\d{2}:\d{2}", page.text("elapsed"))
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "e2e-charging.png"))
    page.click("stop")
    page.wait_status("Stopped", 10 * SLACK)


def test_3_stop_shows_cost_and_history_matches_api(browser, runner):
    point = "cp-e2e-3"
    page = Page(browser, runner).open(point)
    page.wait_live()
    page.click("start")
    page.wait_status("Charging", 2 * SLACK)
    page.wait(lambda: page.energy() > 0, 5 * SLACK, "energy did not rise")
    session_id = active_session_id(runner, point)
    page.click("stop")
    page.wait_status("Stopped", 2 * SLACK)
    cost = page.text("cost")
    assert re.fullmatch(r"\d+\.\d{2} [A-Z]{3}", cost), f"no cost shown after stop: {cost!r}"
    assert not page.element("stop").is_enabled()
    page.wait(lambda: page.element("start").is_enabled(), 5, "Start not enabled again after stop")

    stored = runner.session(session_id)
    energy = f"{float(stored['energyConsumed']):.3f}"
    page.wait(lambda: page.text("energy") == energy, 10, f"status bar energy is not GET /sessions/{{id}}'s {energy}")
    assert cost.startswith(f"{float(stored['cost']):.2f}"), f"page cost {cost} vs stored {stored['cost']}"

    def top_row_matches():
        rows = browser.find_elements(By.CSS_SELECTOR, "#history-rows tr")
        if not rows or rows[0].get_attribute("data-session-id") != session_id:
            return False
        cell = lambda name: rows[0].find_element(By.CSS_SELECTOR, f"td.{name}").text.strip()  # noqa: E731
        return cell("energy") == energy and cell("status") == "Stopped" and cell("point") == point

    page.wait(top_row_matches, 10, f"history's top row is not stopped session {session_id} with {energy} kWh")


def test_4_busy_point_from_second_tab_shows_409_and_keeps_first_session(browser, runner):
    point = "cp-e2e-4"
    first = Page(browser, runner).open(point)
    first.wait_live()
    first.click("start")
    first.wait_status("Charging", 2 * SLACK)
    session_id = active_session_id(runner, point)
    first_tab = browser.current_window_handle

    # The server's own answer for a second start on this point: what the page must show.
    code, envelope = runner.request(
        "POST", f"{API}/start", {"chargingPointId": point, "userId": "u-2", "vehicleId": "v-2", "maxPower": 11,
                                 "targetCharge": 80})  # fmt: skip
    assert code == 409, f"direct second start: {code} {envelope}"
    assert set(envelope) >= {"error", "message", "timestamp"}, envelope

    # The second tab has a stale view, as when two drivers press Start at the same moment: its live feed
    # and status reads are blocked, so it still offers Start. The server must refuse with 409.
    browser.switch_to.new_window("tab")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/events*", "*/status?*"]})
    second = Page(browser, runner).open(point)
    second.wait(lambda: second.attribute("live", "data-state") in ("reconnecting", "offline"), 15,
                "blocked live feed not shown as reconnecting/offline")  # fmt: skip
    assert second.text("status") == "Stopped"
    second.fill("userId", "user-2")
    second.click("start")
    second.wait(lambda: second.element("error").is_displayed() and second.attribute("error", "data-status") == "409",
                5 * SLACK, "409 error not shown next to Start")  # fmt: skip
    shown = second.text("error")
    assert envelope["message"] in shown, f"page shows {shown!r}, server said {envelope['message']!r}"
    assert second.attribute("error", "data-action") == "start"

    browser.switch_to.window(first_tab)
    assert first.text("status") == "Charging"
    assert first.text("error") == ""
    before = first.energy()
    first.wait(lambda: first.energy() > before, 5 * SLACK, "first session's energy stopped rising")
    assert active_session_id(runner, point) == session_id, "the 409 must not replace the first session"
    first.click("stop")
    first.wait_status("Stopped", 10 * SLACK)


def test_5_invalid_max_power_shows_400_naming_the_field(browser, runner):
    point = "cp-e2e-5"
    page = Page(browser, runner).open(point)
    page.fill("maxPower", "-5")
    page.click("start")
    page.wait(lambda: page.element("error").is_displayed() and page.attribute("error", "data-status") == "400",
              5 * SLACK, "400 error not shown")  # fmt: skip
    assert "maxPower" in page.text("error"), page.text("error")
    assert page.attribute("maxPower", "aria-invalid") == "true"
    assert "maxPower" in page.text("maxPower-error")
    assert page.text("status") == "Stopped"
    code, body = runner.status(point)
    assert code == 404, f"a rejected start must write nothing: {code} {body}"


def test_6_target_reached_stops_without_a_click(browser, runner):
    point = "cp-e2e-6"
    page = Page(browser, runner).open(point)
    page.wait_live()
    page.fill("maxPower", "22")
    page.fill("targetCharge", "42")  # 2 % of 55 kWh = 1.1 kWh: about 3 s at 22 kW x 60
    page.click("start")
    page.wait_status("Charging", 2 * SLACK)
    session_id = active_session_id(runner, point)
    started = time.monotonic()
    page.wait_status("Stopped", 60)
    record("target_reached_after", time.monotonic() - started)
    stored = runner.session(session_id)
    assert stored.get("stopReason", "TargetReached") == "TargetReached", stored
    assert float(stored["energyConsumed"]) >= 1.1 - 0.001, stored
    page.wait(lambda: page.text("energy") == f"{float(stored['energyConsumed']):.3f}", 10,
              "final energy not shown")  # fmt: skip
    assert page.element("start").is_enabled() and not page.element("stop").is_enabled()


def test_7_dropped_live_feed_is_shown_and_polling_keeps_state_fresh(browser, runner):
    point = "cp-e2e-7"
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/events*"]})
    page = Page(browser, runner).open(point)
    page.wait(lambda: page.attribute("live", "data-state") == "reconnecting", 15, "no reconnecting indicator")
    assert "reconnecting" in page.text("live")
    code, started = runner.request(
        "POST", f"{API}/start", {"chargingPointId": point, "userId": "u-7", "vehicleId": "v-7", "maxPower": 11,
                                 "targetCharge": 80})  # fmt: skip
    assert code == 201, started
    page.wait_status("Charging", 10 * SLACK)
    page.wait(lambda: page.energy() > 0, 10 * SLACK, "energy not refreshed by polling")
    code, stopped = runner.request("POST", f"{API}/stop", {"sessionId": started["sessionId"]})
    assert code == 200, stopped
    page.wait_status("Stopped", 10 * SLACK)
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    page.wait_live(30)


def test_8_phone_width_layout_and_labels(browser_factory, runner):
    driver = browser_factory(390, 844)
    set_viewport(driver, 390, 844, mobile=True)
    page = Page(driver, runner).open("cp-e2e-8")
    assert driver.execute_script("return window.innerWidth") == 390
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone screen"
    unlabelled = driver.execute_script(
        "return [...document.querySelectorAll('input, select')]"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id)"
    )
    assert unlabelled == [], f"inputs without a label: {unlabelled}"
    for element_id in ["start", "stop", "status", "energy"]:
        assert page.element(element_id).is_displayed()
    # Keyboard: Enter in a form field starts charging.
    page.element("vehicleId").send_keys(Keys.ENTER)
    page.wait_status("Charging", 2 * SLACK)
    page.element("stop").send_keys(Keys.ENTER)
    page.wait_status("Stopped", 2 * SLACK)


def test_9_history_filters_paging_and_csv(browser, runner, tmp_path):
    point = "cp-e2e-9"
    created = []
    for index in range(12):
        code, started = runner.request(
            "POST", f"{API}/start", {"chargingPointId": point, "userId": f"u-{index}", "vehicleId": "v-9",
                                     "maxPower": 11, "targetCharge": 80})  # fmt: skip
        assert code == 201, started
        code, stopped = runner.request("POST", f"{API}/stop", {"sessionId": started["sessionId"]})
        assert code == 200, stopped
        created.append(started["sessionId"])
    newest_first = list(reversed(created))
    page = Page(browser, runner).open(point)

    def rows() -> list[str]:
        found = browser.find_elements(By.CSS_SELECTOR, "#history-rows tr")
        return [row.get_attribute("data-session-id") for row in found]

    Select(page.element("history-point")).select_by_value(point)
    page.wait(lambda: rows() == newest_first[:10], 10, "first page is not the 10 newest sessions of the point")
    assert page.element("history-next").is_enabled() and not page.element("history-prev").is_enabled()
    page.click("history-next")
    page.wait(lambda: rows() == newest_first[10:], 10, "second page (nextCursor) is not the 2 oldest sessions")
    assert not page.element("history-next").is_enabled()
    assert page.text("history-page") == "Page 2"
    page.click("history-prev")
    page.wait(lambda: rows() == newest_first[:10], 10, "Newer did not go back to the first page")

    Select(page.element("history-status")).select_by_value("Charging")
    page.wait(lambda: rows() == [], 10, "status filter Charging still lists stopped sessions")
    assert page.element("history-empty").is_displayed()
    Select(page.element("history-status")).select_by_value("Stopped")
    page.wait(lambda: rows() == newest_first[:10], 10, "status filter Stopped lost the sessions")

    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    page.click("history-csv")
    page.wait(lambda: (tmp_path / "sessions.csv").is_file(), 15, "CSV download did not arrive")
    lines = (tmp_path / "sessions.csv").read_text().strip().splitlines()
    assert lines[0].startswith("sessionId,"), lines[0]
    assert {line.split(",")[0] for line in lines[1:]} == set(created), "CSV is not the filtered sessions"
    assert f"chargingPointId={point}" in page.attribute("history-csv", "href")


def test_10_server_failure_on_start_is_shown_next_to_start(browser, runner):
    """A 5xx envelope (made in the page: the real functions only fail this way when broken) is shown at Start."""
    page = Page(browser, runner).open("cp-e2e-10")
    browser.execute_script("""
        const realFetch = window.fetch;
        window.fetch = (url, init) => String(url).endsWith('/start')
            ? Promise.resolve(new Response(JSON.stringify({error: 'ServiceUnavailable',
                message: 'store is not reachable', timestamp: new Date().toISOString()}),
                {status: 503, headers: {'Content-Type': 'application/json'}}))
            : realFetch(url, init);
    """)
    page.click("start")
    page.wait(lambda: page.attribute("error", "data-status") == "503", 10, "503 not shown")
    shown = page.text("error")
    assert "store is not reachable" in shown and "try again" in shown, shown
    assert page.text("status") == "Stopped"
    page.wait(lambda: page.element("start").is_enabled(), 5, "Start not enabled again after a failure")
