"""The page's own modules, run in the real browser (no page state is replaced; plain functions on plain data).

21. Power from energy samples (chart.js): Δenergy/Δt over the window, in kW, for steady and changing rates;
    a GET /chargers answer older than a `chargepoint/status` message does not undo it (chargers.js).
"""

from __future__ import annotations

from pages import Page

RUN = """
    const done = arguments[arguments.length - 1];
    Promise.all([import(new URL('js/chart.js', document.baseURI)), import(new URL('js/chargers.js', document.baseURI))])
        .then(([chart, chargers]) => done((%s)(chart, chargers)), (error) => done({error: String(error)}));
"""


def run(browser, body: str):
    result = browser.execute_async_script(RUN % body)
    assert not (isinstance(result, dict) and "error" in result), result
    return result


def test_21_power_series_and_charger_directory_ordering(browser, runner):
    Page(browser, runner).open()
    # 11 kW for 20 s, then 22 kW: samples every second (energy in kWh).
    powers = run(browser, """(chart) => {
        const samples = [];
        for (let s = 0; s <= 40; s++) {
            const kWh = s <= 20 ? 11 * s / 3600 : (11 * 20 + 22 * (s - 20)) / 3600;
            samples.push({t: 1e12 + s * 1000, energy: kWh});
        }
        return chart.powerSeries(samples);
    }""")
    assert powers[0] is None
    assert all(abs(p - 11) < 1e-6 for p in powers[1:21]), powers[:21]
    assert all(abs(p - 22) < 1e-6 for p in powers[26:]), powers[26:]
    assert all(11 - 1e-6 <= p <= 22 + 1e-6 for p in powers[21:26]), powers[21:26]
    assert run(browser, "(chart) => [chart.niceMax(0), chart.niceMax(0.7), chart.niceMax(3), chart.niceMax(660)]") == [
        1, 1, 5, 1000]  # fmt: skip

    seen = run(browser, """(chart, { ChargerDirectory }) => {
        const directory = new ChargerDirectory();
        const mark = directory.mark();  // GET /chargers asked for here ...
        directory.applyStatus({chargePointId: 'c1', connected: true, connectorId: 1, status: 'Charging',
            errorCode: 'NoError', timestamp: '2026-12-01T10:00:01Z'});  // ... a message arrives meanwhile ...
        directory.applyList({chargers: [{chargePointId: 'c1', ocpp: true, connected: false,
            connectors: [{connectorId: 1, maxPower: 11, status: 'Available'}]}]}, mark);  // ... then the old list
        const older = directory.get('c1');
        const fresh = directory.mark();
        directory.applyList({chargers: [{chargePointId: 'c1', ocpp: true, connected: false,
            connectors: [{connectorId: 1, maxPower: 11, status: 'Unavailable'}]}]}, fresh);  // a newer list wins
        const newer = directory.get('c1');
        const bad = directory.applyStatus({chargePointId: 'c1'});
        return {older: [older.connected, older.connectors.get(1).status, older.connectors.get(1).maxPower],
                newer: [newer.connected, newer.connectors.get(1).status], bad, ids: directory.connectorIds('c1')};
    }""")
    assert seen == {"older": [True, "Charging", 11], "newer": [False, "Unavailable"], "bad": None, "ids": [1]}, seen
