"""GET /status?chargingPointId= through the full path vs the bare `/_bench/hello` route of the same runner.

Full path: API Gateway emulation -> Lambda worker (Runtime API) -> Data API -> store, and back. The bare
route is a Hummingbird route in the same process (served with `--bench` only). Same wrk settings, back to back.

Between the two, reported without a target: the invocation alone. `GET /sessions?limit=abc` goes the same way
through the API Gateway emulation (JWT check included) to a ListSessions worker and back, but the function
answers 400 before any store call, so it costs what every invocation costs before its own work: the event, the
Runtime API's `/next` and `/response`, the worker's parse and answer (and one info log line of the rejection,
which the worker writes and evcsm-local reads). The full path's ratio cannot be above this row's.
"""

from __future__ import annotations

import seed
import wrk
from table import Row, fmt_rate, fmt_ratio, ratio


def run(bench) -> list[Row]:
    config = bench.config
    small = bench.small()
    hello_url = small.base + "/_bench/hello"
    status_url = small.api + f"/status?chargingPointId={seed.point(0)}"
    floor_url = small.api + "/sessions?limit=abc"
    (bare, floor, full), (_, floor_r, r) = bench.measure_rounds(
        [(small, hello_url), (small, floor_url), (small, status_url)])
    each = max(1, round(config.duration / config.rounds))
    bench.say(f"wrk -t2 -c{config.connections}, {config.rounds} rounds of {each} s side by "
              f"side (ratio: the median round's), same runner, "
              f"{'with' if small.auth_headers else 'without'} an Authorization: Bearer token:")
    if small.auth_headers:
        bench.note("REST figures are authenticated: every wrk request carries a development-issuer operator token "
                   "(POST /dev/token), so the runner's JWT check (ES256 signature, iss/aud/exp) is in the measured "
                   "path; /_bench/hello is open.")
    bench.say(f"  {'GET /_bench/hello (bare route)':<44} {bare.summary()}")
    bench.say(f"  {'GET /sessions?limit=abc (400, no store call)':<44} {floor.summary()}")
    bench.say(f"  {'GET /status?chargingPointId= (full path)':<44} {full.summary()}")
    spread = ratio(full.p99_ms, full.p50_ms)
    bench.say(f"  invocation alone / bare route: {fmt_ratio(floor_r)}")
    bench.say(f"  full path / bare route: {fmt_ratio(r)}; full path p99 / p50: {fmt_ratio(spread)}")
    # Every answer of the invocation row is a 400; anything else (or no answer) means it did not measure that.
    floor_clean = floor.errors == 0 and floor.requests > 0 and floor.non_2xx == floor.requests
    clean = bare.failed == 0 and full.failed == 0
    label = f"GET /status?chargingPointId= full path vs bare route, {config.connections} conns"
    return [
        Row(label, fmt_rate(full.rps, "req/s"), fmt_rate(bare.rps, "req/s"), fmt_ratio(r), "≥ 0.2×",
            met=r is not None and r >= 0.2 and clean),
        Row("  … its latency: p99 vs p50", wrk.fmt_ms(full.p99_ms), wrk.fmt_ms(full.p50_ms), fmt_ratio(spread),
            "p99 ≤ 2× p50", met=spread is not None and spread <= 2.0 and clean),
        Row("  … an invocation alone (a 400 before any store call) vs bare route",
            fmt_rate(floor.rps, "req/s") + ("" if floor_clean else f" ({floor.summary().strip()})"),
            fmt_rate(bare.rps, "req/s"), fmt_ratio(floor_r), "reported", met=None),
    ]
