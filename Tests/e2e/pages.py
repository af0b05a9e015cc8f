"""The evcsm page in a browser tab for the e2e tests: stable element ids, generous polling waits, and the sign-in
every test does first (issue 13: the development issuer's form; operators by default, drivers when asked).
"""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote

import pytest
from harness import ARTIFACTS, OPERATOR, Runner
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

SLACK = float(os.environ.get("E2E_TIME_SLACK", "5"))
TIMINGS: dict[str, float] = {}


def record(name: str, seconds: float) -> None:
    TIMINGS[name] = round(seconds, 3)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "e2e-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
    print(f"timing {name}: {seconds:.3f} s")


class Page:
    """The evcsm page in one browser tab, addressed by its stable element ids."""

    def __init__(self, driver: WebDriver, runner: Runner):
        self.driver = driver
        self.runner = runner

    def open(self, point: str | None = None, user: str | None = OPERATOR, role: str = "operator") -> Page:
        """Loads the page and signs in as `user` (unless the tab is still signed in); `user=None` stops at the form."""
        path = "/" if point is None else f"/?point={quote(point)}"
        self.driver.get(self.runner.url(path))
        state = self.wait(lambda: self.auth_state() not in (None, "loading") and self.auth_state(), 10,
                          "page did not read its sign-in configuration (data-auth)")  # fmt: skip
        if user is None:
            return self
        if state == "signed-out":
            self.sign_in(user, role)
        self.wait(lambda: self.driver.execute_script("return document.documentElement.dataset.ready") == "true",
                  10, "page did not finish loading (data-ready)")  # fmt: skip
        return self

    def auth_state(self) -> str | None:
        return self.driver.execute_script("return document.documentElement.dataset.auth")

    def sign_in(self, user: str, role: str = "operator") -> None:
        """The development sign-in form: user id, role, Sign in; waits until the page is signed in."""
        self.wait(lambda: self.element("signin-form").is_displayed(), 10, "no sign-in form")
        self.fill("signin-user", user)
        Select(self.element("signin-role")).select_by_value(role)
        self.click("signin-submit")
        self.wait(lambda: self.auth_state() == "signed-in", 10, f"sign-in as {user} ({role}) did not finish")
        assert self.text("account-name") == user and self.text("account-role") == role

    def stored_token(self) -> str | None:
        """The token the tab keeps in sessionStorage (issue 13: never in localStorage or a URL)."""
        return self.driver.execute_script(
            "const s = JSON.parse(sessionStorage.getItem('evcsm.auth') || 'null'); return s && s.token"
        )

    def element(self, element_id: str):
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id: str) -> str:
        for _ in range(5):
            try:
                return self.element(element_id).text.strip()
            except StaleElementReferenceException:
                continue
        return self.element(element_id).text.strip()

    def attribute(self, element_id: str, name: str) -> str | None:
        return self.element(element_id).get_attribute(name)

    def energy(self) -> float:
        return float(self.text("energy"))

    def fill(self, element_id: str, value: str) -> None:
        field = self.element(element_id)
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        field.send_keys(value)

    def click(self, element_id: str) -> None:
        button = self.element(element_id)
        assert button.is_enabled(), f"#{element_id} is disabled"
        button.click()

    def wait(self, condition, timeout: float, message: str):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except (StaleElementReferenceException, ValueError, WebDriverException) as error:
                last_error = error
            time.sleep(0.05)
        state = self.driver.execute_script(
            "return {status: document.getElementById('status').textContent,"
            " energy: document.getElementById('energy').textContent,"
            " live: document.getElementById('live').dataset.state,"
            " error: document.getElementById('error').textContent, auth: document.documentElement.dataset.auth,"
            " notice: document.getElementById('signin-notice').textContent}"
        )
        pytest.fail(f"{message} (after {timeout:.0f} s; page: {state}; last error: {last_error})")

    def wait_status(self, word: str, timeout: float) -> float:
        started = time.monotonic()
        self.wait(lambda: self.text("status") == word, timeout, f'status bar never said "{word}"')
        return time.monotonic() - started

    def wait_live(self, timeout: float = 15) -> None:
        self.wait(lambda: self.attribute("live", "data-state") == "live", timeout, "live feed (SSE) never connected")


def active_session_id(runner: Runner, point: str) -> str:
    code, body = runner.status(point)
    assert code == 200, f"GET /status?chargingPointId={point}: {code} {body}"
    return body["sessionId"]
