"""The page's sign-in (issue 13) in a real headless Chromium against a real evcsm-local (development issuer).

11. A driver signs in, starts and stops charging as themselves and sees live energy (SSE read with a bearer header).
12. A driver's history holds only their own sessions; another driver's session on a point shows no owner fields.
13. Sign-out forgets the token: the page is back at its sign-in form and the API refuses calls without one;
    a token the server refuses (wrong signature) sends the page back to sign-in with a clear message.
14. No token in any URL the page requested (the browser's request log and performance entries), in the address
    bar, in the console log or in localStorage; the token goes in the Authorization header, /events included.
"""

from __future__ import annotations

import json

from harness import API
from pages import SLACK, Page, active_session_id
from selenium.webdriver.common.by import By


def start_as(runner, token: str, point: str, user: str) -> str:
    code, started = runner.request(
        "POST", f"{API}/start", {"chargingPointId": point, "userId": user, "vehicleId": "v-si", "maxPower": 11,
                                 "targetCharge": 80}, token=token)  # fmt: skip
    assert code == 201, f"start on {point} as {user}: {code} {started}"
    return started["sessionId"]


def stop_as(runner, token: str, session_id: str) -> None:
    code, stopped = runner.request("POST", f"{API}/stop", {"sessionId": session_id}, token=token)
    assert code == 200, f"stop {session_id}: {code} {stopped}"


def history_ids(browser) -> list[str]:
    return [row.get_attribute("data-session-id") for row in browser.find_elements(By.CSS_SELECTOR, "#history-rows tr")]


def test_11_driver_signs_in_starts_stops_and_sees_live_energy(browser, runner):
    point, driver = "cp-e2e-11", "driver-11"
    page = Page(browser, runner).open(point, user=None)
    assert page.auth_state() == "signed-out"
    assert not page.element("status-bar").is_displayed(), "the app must stay hidden until sign-in"
    page.sign_in(driver, "driver")
    user_field = page.element("userId")
    assert user_field.get_attribute("value") == driver, "a driver's user id comes from the token"
    assert user_field.get_attribute("readonly") is not None, "a driver cannot start as someone else"
    page.wait_live()
    page.click("start")
    page.wait_status("Charging", 2 * SLACK)
    page.wait(lambda: page.energy() > 0, 5 * SLACK, "energy did not rise")
    first = page.energy()
    page.wait(lambda: page.energy() > first, 5 * SLACK, "energy stopped rising (live updates)")
    session_id = active_session_id(runner, point)
    assert runner.session(session_id)["userId"] == driver, "the session belongs to the signed-in driver"
    page.click("stop")
    page.wait_status("Stopped", 10 * SLACK)
    page.wait(lambda: session_id in history_ids(browser), 10, "the driver's own session is not in the history")


def test_12_driver_does_not_see_another_drivers_session(browser, runner):
    other_point, own_point = "cp-e2e-12a", "cp-e2e-12b"
    alice, bob = runner.token("driver-12a", "driver"), runner.token("driver-12b", "driver")
    hers = start_as(runner, alice, other_point, "driver-12a")
    stop_as(runner, alice, hers)
    running = start_as(runner, alice, other_point, "driver-12a")
    own = start_as(runner, bob, own_point, "driver-12b")
    stop_as(runner, bob, own)
    try:
        page = Page(browser, runner).open(other_point, user="driver-12b", role="driver")
        page.wait(lambda: own in history_ids(browser), 10, "the driver's own session is not in the history")
        listed = history_ids(browser)
        assert hers not in listed and running not in listed, f"another driver's sessions listed: {listed}"
        users = {cell.text.strip() for cell in browser.find_elements(By.CSS_SELECTOR, "#history-rows td.user")}
        assert users == {"driver-12b"}, users
        # Any signed-in user sees a point's state, without the owner fields of a session that is not theirs.
        page.wait_status("Charging", 10 * SLACK)
        info = page.text("session-info")
        assert "driver-12a" not in info and "v-si" not in info, f"owner fields of another driver shown: {info!r}"
        assert not page.element("stop").is_enabled(), "a driver cannot stop another driver's session"
        code, body = runner.request("GET", f"{API}/sessions/{hers}", token=bob)
        assert code == 404, f"another driver's session must be a 404: {code} {body}"
    finally:
        stop_as(runner, alice, running)


def test_13_sign_out_and_a_refused_token_return_to_sign_in(browser, runner):
    page = Page(browser, runner).open("cp-e2e-13", user="driver-13", role="driver")
    page.wait_live()
    page.click("signout")
    page.wait(lambda: page.auth_state() == "signed-out", 10, "Sign out did not return to the sign-in form")
    assert page.element("signin-form").is_displayed() and not page.element("status-bar").is_displayed()
    assert "signed out" in page.text("signin-notice")
    assert page.stored_token() is None, "the token is still in sessionStorage after sign-out"
    # Without the token the API and the stream refuse the page's calls, as API Gateway does.
    answers = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Promise.all(['api/ChargingSessionAPI/status?chargingPointId=cp-e2e-13', 'api/ChargingSessionAPI/sessions',
                     'events'].map((path) => fetch(path, {headers: {Accept: 'application/json'}})
            .then(async (r) => [r.status, path === 'events' ? '' : await r.text()])))
            .then(done, (error) => done(String(error)));
    """)
    assert [status for status, _ in answers] == [401, 401, 401], answers
    assert json.loads(answers[0][1]) == {"message": "Unauthorized"}, answers[0]

    # A token the server refuses (its signature changed): the next call is a 401, the page asks to sign in again.
    token = runner.token("driver-13", "driver")
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    browser.execute_script(
        "sessionStorage.setItem('evcsm.auth', JSON.stringify({mode: 'dev', token: arguments[0], expiresAt: 0}))", forged
    )
    browser.refresh()
    page.wait(lambda: page.auth_state() == "signed-out", 15, "a refused token did not return to the sign-in form")
    notice = page.text("signin-notice")
    assert "401" in notice and "sign in again" in notice, notice
    assert page.stored_token() is None
    page.sign_in("driver-13", "driver")
    page.wait_live()


def test_14_no_token_in_urls_logs_or_local_storage(browser, runner):
    point = "cp-e2e-14"
    page = Page(browser, runner).open(point, user="driver-14", role="driver")
    page.wait_live()
    page.click("start")
    page.wait_status("Charging", 2 * SLACK)
    page.wait(lambda: page.element("stop").is_enabled(), 5 * SLACK, "Stop not enabled for the driver's own session")
    page.click("stop")
    page.wait_status("Stopped", 10 * SLACK)
    page.click("history-refresh")
    token = page.stored_token()
    assert token and token.count(".") == 2, f"no JWT kept by the signed-in tab: {token!r}"
    secrets = [token, token.split(".")[2]]

    requested = []
    events_headers = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            request = message["params"]["request"]
            requested.append(request["url"])
            if request["url"].endswith("/events"):
                events_headers.append({k.lower(): v for k, v in request.get("headers", {}).items()})
    requested += browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    requested += [browser.current_url]
    assert any(url.endswith("/dev/token") for url in requested), "the request log saw no sign-in request"
    leaked = [url for url in requested if any(secret in url for secret in secrets)]
    assert leaked == [], f"token in requested URLs: {leaked}"
    assert events_headers, "the page never opened /events"
    assert all(h.get("authorization") == f"Bearer {token}" for h in events_headers), "/events without the bearer"
    local = browser.execute_script("return Object.entries(localStorage)")
    assert not any(any(secret in value for secret in secrets) for _, value in local), "token in localStorage"
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not any(any(secret in line for secret in secrets) for line in console), "token in the console log"
