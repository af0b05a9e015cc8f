"""How the page looks and draws, read from the browser itself (issue 14), against the real evcsm-local (speed 60).

15. The History table's status cells wear only their badge (no status-bar pill behind it: the class-name
    collision of `.status`), read from `getComputedStyle`; the status bar's pill keeps its own look.
16. The followed session's power and energy chart (SVG) is drawn from its `session/updates`: energy rises,
    power = Δenergy/Δt is about maxPower × the simulator's speed, and a newly followed session starts a new chart.
"""

from __future__ import annotations

from harness import API
from pages import SLACK, Page, active_session_id
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

SPEED = 60  # conftest's runner: the simulated chargers meter at maxPower × 60

# Computed looks of the elements a selector finds (colours as rgb()/rgba() strings, sizes in px).
LOOKS = """
    return [...document.querySelectorAll(arguments[0])].map((e) => {
        const s = getComputedStyle(e);
        return {background: s.backgroundColor, radius: s.borderTopLeftRadius, fontSize: s.fontSize,
                color: s.color, padding: s.paddingTop, height: e.getBoundingClientRect().height,
                text: e.textContent.trim()};
    });
"""
TRANSPARENT = "rgba(0, 0, 0, 0)"
CHARGING_GREEN, STOPPED_RED, WHITE = "rgb(20, 108, 46)", "rgb(138, 28, 28)", "rgb(255, 255, 255)"
BADGE_ON, BADGE_OFF = "rgb(227, 244, 232)", "rgb(236, 239, 242)"


def looks(browser, selector: str) -> list[dict]:
    return browser.execute_script(LOOKS, selector)


def start(runner, point: str, user: str) -> str:
    body = {"chargingPointId": point, "userId": user, "vehicleId": "v-looks", "maxPower": 11, "targetCharge": 80}
    code, started = runner.request("POST", f"{API}/start", body)
    assert code == 201, f"start on {point}: {code} {started}"
    return started["sessionId"]


def test_15_history_status_cells_wear_only_their_badge(browser, runner):
    point = "cp-e2e-15"
    stopped = start(runner, point, "u-15")
    code, body = runner.request("POST", f"{API}/stop", {"sessionId": stopped})
    assert code == 200, body
    charging = start(runner, point, "u-15")
    try:
        page = Page(browser, runner).open(point)
        Select(page.element("history-point")).select_by_value(point)
        page.wait(lambda: [row.get_attribute("data-session-id") for row in
                           browser.find_elements(By.CSS_SELECTOR, "#history-rows tr")] == [charging, stopped],
                  10, "history does not list the point's two sessions")  # fmt: skip
        table = looks(browser, "#history")[0]
        cells = looks(browser, "#history-rows td.status")
        neighbours = looks(browser, "#history-rows td.point")
        assert [cell["text"] for cell in cells] == ["Charging", "Stopped"]
        for cell, neighbour in zip(cells, neighbours):
            assert cell["background"] == TRANSPARENT, f"a status cell has a background (the pill): {cell}"
            assert cell["radius"] == "0px", f"a status cell is rounded like the pill: {cell}"
            assert cell["fontSize"] == table["fontSize"], f"status cell font {cell['fontSize']} vs table {table}"
            assert cell["color"] == neighbour["color"] and cell["padding"] == neighbour["padding"], (cell, neighbour)
        badges = looks(browser, "#history-rows td.status .badge")
        assert [badge["background"] for badge in badges] == [BADGE_ON, BADGE_OFF], badges
        for badge in badges:
            assert float(badge["fontSize"].removesuffix("px")) < float(table["fontSize"].removesuffix("px"))
            assert badge["radius"] != "0px", f"a badge lost its rounded look: {badge}"
        rows = looks(browser, "#history-rows tr")
        assert all(row["height"] < 3 * float(table["fontSize"].removesuffix("px")) for row in rows), rows

        # The status bar's pill keeps its big coloured look (after its colour transition has ended).
        page.wait_status("Charging", 5 * SLACK)
        page.wait(lambda: looks(browser, "#status")[0]["background"] == CHARGING_GREEN, 5,
                  "the status pill is not green while charging")  # fmt: skip
        pill = looks(browser, "#status")[0]
        assert pill["color"] == WHITE and pill["radius"] == "999px", pill
        assert float(pill["fontSize"].removesuffix("px")) > 1.5 * float(table["fontSize"].removesuffix("px")), pill
    finally:
        runner.request("POST", f"{API}/stop", {"sessionId": charging})
    page.wait_status("Stopped", 10 * SLACK)
    page.wait(lambda: looks(browser, "#status")[0]["background"] == STOPPED_RED, 5, "the pill is not red when stopped")


def chart(page: Page, name: str) -> str:
    return page.attribute("session-chart", f"data-{name}") or ""


def test_16_session_chart_plots_power_and_energy_and_resets_for_a_new_session(browser, runner):
    point = "cp-e2e-16"
    page = Page(browser, runner).open(point)
    page.wait_live()
    assert chart(page, "session-id") == "" and chart(page, "samples") == "0", "a chart without a session"
    page.click("start")
    page.wait_status("Charging", 2 * SLACK)
    first = active_session_id(runner, point)
    page.wait(lambda: chart(page, "session-id") == first and int(chart(page, "samples")) >= 6, 10 * SLACK,
              "the chart did not collect the session's updates")  # fmt: skip
    samples = int(chart(page, "samples"))
    power, energy = float(chart(page, "power-kw")), float(chart(page, "energy-kwh"))
    expected = 11 * SPEED  # kW of wall-clock time: the simulator meters at maxPower × speed
    assert expected / 3 <= power <= expected * 3, f"power {power} kW, expected about {expected} kW"
    assert float(page.text("chart-power")) > 0 and float(page.text("chart-energy")) == energy
    assert 0 < energy <= page.energy() + 1e-9, f"chart energy {energy} vs status bar {page.energy()}"
    lines = browser.execute_script(
        "return [...document.querySelectorAll('#session-chart polyline')].map((p) => ({cls: p.getAttribute('class'),"
        " ys: [...p.points].map((pt) => pt.y), n: p.points.numberOfItems}))"
    )
    by_class = {line["cls"]: line for line in lines}
    assert set(by_class) == {"energy-line", "power-line"}, lines
    assert by_class["energy-line"]["n"] >= samples and by_class["power-line"]["n"] >= samples - 1, lines
    ys = by_class["energy-line"]["ys"]
    assert ys[-1] < ys[0] and all(b <= a + 0.05 for a, b in zip(ys, ys[1:])), f"energy line does not rise: {ys}"

    page.click("stop")
    page.wait_status("Stopped", 10 * SLACK)
    stopped_samples = int(chart(page, "samples"))
    page.wait(lambda: page.element("start").is_enabled(), 5 * SLACK, "Start not enabled after stop")
    page.click("start")
    page.wait_status("Charging", 2 * SLACK)
    second = active_session_id(runner, point)
    assert second != first
    page.wait(lambda: chart(page, "session-id") == second, 5 * SLACK, "the chart does not follow the new session")
    assert int(chart(page, "samples")) < stopped_samples, "the new session's chart kept the old samples"
    page.wait(lambda: int(chart(page, "samples")) >= 3, 10 * SLACK, "the new session's chart gets no updates")
    assert float(chart(page, "energy-kwh")) <= page.energy() + 1e-9, "the new chart holds the old session's energy"

    # Following another point (no session there) empties the chart.
    def follow_cp2() -> bool:  # the overview is redrawn on every update: find and click in one go
        browser.find_element(By.CSS_SELECTOR, '#points [data-point="cp-2"]').click()
        return True

    page.wait(follow_cp2, 5, "could not click cp-2 in the overview")
    page.wait(lambda: chart(page, "session-id") != second, 5, "the chart still shows the other point's session")
    code, body = runner.request("POST", f"{API}/stop", {"sessionId": second})
    assert code == 200, body
