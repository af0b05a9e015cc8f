"""pytest fixtures for the browser end-to-end tests (see harness.py). A missing prerequisite fails, never skips."""

from __future__ import annotations

import contextlib

import pytest
from harness import ARTIFACTS, HarnessError, Runner, new_chrome, running_runner


@pytest.fixture(scope="session")
def runner():
    stack = contextlib.ExitStack()
    try:
        running = stack.enter_context(running_runner(speed=60))
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)
    with stack:
        yield running


@pytest.fixture
def browser_factory():
    """Starts headless Chromium sessions (window size as asked) and quits them after the test."""
    drivers = []

    def start(width: int = 1000, height: int = 900):
        try:
            driver = new_chrome(width, height)
        except HarnessError as error:
            pytest.fail(str(error), pytrace=False)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


@pytest.fixture
def browser(browser_factory):
    return browser_factory()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the runner's log tail and save a screenshot of every open tab."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    running = item.funcargs.get("runner")
    if isinstance(running, Runner):
        report.sections.append(("evcsm-local log (tail)", running.log_tail()))
    driver = item.funcargs.get("browser")
    if driver is None:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for index, handle in enumerate(driver.window_handles):
            driver.switch_to.window(handle)
            driver.save_screenshot(str(ARTIFACTS / f"failed-{item.name}-tab{index}.png"))
    except Exception as error:  # noqa: BLE001 - diagnostics are best effort
        report.sections.append(("screenshot", f"could not save: {error}"))
