"""GET /status, /status?chargingPointId=, /sessions?limit=50 and a page 100 deep, at N stored sessions vs at 1.

The `small` runner stores session 0 of the seed (the oldest); the `large` one all N, seeded through the Data
API's insertMany in batches. Both get the same URLs (the deep page's cursor comes from walking the large
store), measured side by side in rounds (``Bench.measure_side_by_side``): the ratio is the median round's.

At 1 stored session `/sessions?limit=50` answers one row, at N fifty: that ratio also holds the cost of 49 more
rows on the wire. A third runner, `page`, stores just the newest PAGE + 1 sessions of the seed (the large
store's first page, locks included), so one more row (reported, no target) shows what the store size alone costs.
"""

from __future__ import annotations

import time
import urllib.parse

import seed
from runner import API_PATH, BenchError
from table import Row, failed_row, fmt_rate, fmt_ratio

TARGET = "≥ 0.8×"
PAGE = 50
DEPTH = 100


def _insert(runner, collection: str, documents: list[dict]) -> int:
    answer = runner.data_api("insertMany", collection, documents=documents)
    return len(answer.get("insertedIds", []))


def _seed_large(bench, runner, n: int, now_ms: int) -> float:
    """Inserts the N sessions (and the locks of the Charging ones); returns the seconds spent in insertMany."""
    batch, charging = bench.config.seed_batch, set(seed.charging_indices(n, 5))
    spent, inserted = 0.0, 0
    for first in range(0, n, batch):
        documents = [seed.session(i, n, now_ms, i in charging) for i in range(first, min(n, first + batch))]
        started = time.monotonic()
        inserted += _insert(runner, "ChargingSessions", documents)
        spent += time.monotonic() - started
    if inserted != n:
        raise BenchError(f"insertMany stored {inserted} of {n} sessions")
    _insert(runner, "ChargingPoints", [seed.lock(i, n, now_ms) for i in sorted(charging)])
    return spent


def _seed_page(runner, n: int, now_ms: int) -> None:
    """The newest PAGE + 1 sessions of the large seed and the locks of its Charging ones."""
    newest, charging = range(max(0, n - PAGE - 1), n), set(seed.charging_indices(n, 5))
    _insert(runner, "ChargingSessions", [seed.session(i, n, now_ms, i in charging) for i in newest])
    _insert(runner, "ChargingPoints", [seed.lock(i, n, now_ms) for i in sorted(charging & set(newest))])


def _deep_cursor(bench, runner) -> str:
    """Walks DEPTH - 1 pages of /sessions?limit=PAGE; the cursor of page DEPTH."""
    deadline = time.monotonic() + bench.config.walk_timeout
    cursor, seen = None, set()
    for page in range(1, DEPTH):
        if time.monotonic() > deadline:
            raise BenchError(f"walking {DEPTH - 1} pages took over {bench.config.walk_timeout:.0f} s (page {page})")
        path = f"{API_PATH}/sessions?limit={PAGE}"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor, safe="")
        answer = runner.client.json("GET", path)
        sessions = answer.get("sessions", [])
        ids = {s["sessionId"] for s in sessions}
        if len(sessions) != PAGE or ids & seen:
            raise BenchError(f"page {page}: {len(sessions)} sessions, {len(ids & seen)} seen before")
        seen |= ids
        cursor = answer.get("nextCursor")
        if not cursor:
            raise BenchError(f"page {page} has no nextCursor")
    return cursor


def _measure(bench, label: str, path: str, runners) -> tuple:
    """`path` measured on each (stored count, runner) side by side in rounds; each printed, then the median ratio
    of the rounds (the last runner's rate over the first's)."""
    results, median = bench.measure_side_by_side([(runner, runner.api + path) for _, runner in runners])
    for (stored, _), result in zip(runners, results):
        bench.say(f"  {label:<36} {stored + ' stored':>16}: {result.summary()}")
    return results[0], results[-1], median


def run(bench) -> list[Row]:
    config = bench.config
    n = config.sessions
    now_ms = int(time.time() * 1000)
    small = bench.small()
    large = bench.runner("large")
    rows = []
    bench.say(f"Seeding {n:,} sessions into the large runner (insertMany, {config.seed_batch:,} per request) ...")
    try:
        seconds = _seed_large(bench, large, n, now_ms)
        bench.say(f"  {n:,} sessions in {seconds:.1f} s ({n / seconds:,.0f} documents/s)")
        rows.append(Row(f"seed {n:,} sessions (insertMany × {n // config.seed_batch})", f"{seconds:.1f} s",
                        target="well under 60 s", met=seconds < 60))
    except Exception as error:  # the rest still measures something; the row says why
        bench.say(f"  seeding failed: {error}")
        rows.append(failed_row(f"seed {n:,} sessions (insertMany)", "well under 60 s", str(error)))
    urls = [
        ("GET /status", "/status"),
        ("GET /status?chargingPointId=", f"/status?chargingPointId={seed.point(0)}"),
        (f"GET /sessions?limit={PAGE}", f"/sessions?limit={PAGE}"),
    ]
    bench.say(f"Walking {DEPTH - 1} pages of /sessions?limit={PAGE} (large runner) for the cursor of page {DEPTH} ...")
    try:
        started = time.monotonic()
        cursor = _deep_cursor(bench, large)
        bench.say(f"  {DEPTH - 1} pages in {time.monotonic() - started:.1f} s")
        urls.append((f"GET /sessions page {DEPTH} (cursor)",
                     f"/sessions?limit={PAGE}&cursor=" + urllib.parse.quote(cursor, safe="")))
    except Exception as error:
        bench.say(f"  walk failed: {error}")
        rows.append(failed_row(f"GET /sessions page {DEPTH} (cursor), {n:,} vs 1 stored", TARGET, str(error)))
    bench.say()
    each = max(1, round(config.duration / config.rounds))
    bench.say(f"wrk -t2 -c{config.connections}, {config.rounds} rounds of {each} s side by "
              f"side (ratio: the median round's), 1 stored session vs {n:,}:")
    for label, path in urls:
        base, big, r = _measure(bench, label, path, (("1", small), (f"{n:,}", large)))
        failed = base.failed + big.failed
        value = fmt_rate(big.rps, "req/s") + (f" ({big.failed} failed)" if big.failed else "")
        baseline = fmt_rate(base.rps, "req/s") + (f" ({base.failed} failed)" if base.failed else "")
        rows.append(Row(f"{label}, {n:,} vs 1 stored", value, baseline, fmt_ratio(r), TARGET,
                        met=r is not None and r >= 0.8 and failed == 0))
    rows.append(_page_row(bench, large, n, now_ms))
    bench.stop("large")
    return rows


def _page_row(bench, large, n: int, now_ms: int) -> Row:
    """`/sessions?limit=PAGE` at N stored vs at PAGE + 1 (the same first page): the store size alone."""
    label = f"GET /sessions?limit={PAGE}, {n:,} vs {PAGE + 1} stored (same page)"
    try:
        page = bench.runner("page")
        _seed_page(page, n, now_ms)
        base, big, r = _measure(bench, f"GET /sessions?limit={PAGE}", f"/sessions?limit={PAGE}",
                                ((str(PAGE + 1), page), (f"{n:,}", large)))
    except Exception as error:
        return failed_row(label, "reported", str(error))
    finally:
        bench.stop("page")
    return Row(label, fmt_rate(big.rps, "req/s"), fmt_rate(base.rps, "req/s"), fmt_ratio(r))
