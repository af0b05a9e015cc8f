"""GET /status?chargingPointId= through the full path vs the bare `/_bench/hello` route of the same runner.

Full path: API Gateway emulation -> Lambda worker (Runtime API) -> Data API -> store, and back. The bare
route is a Hummingbird route in the same process (served with `--bench` only). Same wrk settings, back to back.
"""

from __future__ import annotations

import seed
import wrk
from table import Row, fmt_rate, fmt_ratio, ratio


def run(bench) -> list[Row]:
    config = bench.config
    small = bench.runner("small")
    hello_url = small.base + "/_bench/hello"
    status_url = small.api + f"/status?chargingPointId={seed.point(0)}"
    (bare, full), r = bench.measure_side_by_side([(small, hello_url), (small, status_url)])
    each = max(1, round(config.duration / config.rounds))
    bench.say(f"wrk -t2 -c{config.connections}, {config.rounds} rounds of {each} s side by "
              f"side (ratio: the median round's), same runner, "
              f"{'with' if small.auth_headers else 'without'} an Authorization: Bearer token:")
    if small.auth_headers:
        bench.note("REST figures are authenticated: every wrk request carries a development-issuer operator token "
                   "(POST /dev/token), so the runner's JWT check (ES256 signature, iss/aud/exp) is in the measured "
                   "path; /_bench/hello is open.")
    bench.say(f"  {'GET /_bench/hello (bare route)':<44} {bare.summary()}")
    bench.say(f"  {'GET /status?chargingPointId= (full path)':<44} {full.summary()}")
    spread = ratio(full.p99_ms, full.p50_ms)
    bench.say(f"  full path / bare route: {fmt_ratio(r)}; full path p99 / p50: {fmt_ratio(spread)}")
    clean = bare.failed == 0 and full.failed == 0
    label = f"GET /status?chargingPointId= full path vs bare route, {config.connections} conns"
    return [
        Row(label, fmt_rate(full.rps, "req/s"), fmt_rate(bare.rps, "req/s"), fmt_ratio(r), "≥ 0.2×",
            met=r is not None and r >= 0.2 and clean),
        Row("  … its latency: p99 vs p50", wrk.fmt_ms(full.p99_ms), wrk.fmt_ms(full.p50_ms), fmt_ratio(spread),
            "p99 ≤ 2× p50", met=spread is not None and spread <= 2.0 and clean),
    ]
