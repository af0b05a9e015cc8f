"""Fault c: the Data API process down under the runner.

Down: SIGKILL while a wrapper (`--data-api-binary`) refuses restarts until the test removes its hold file, so
the gap lasts as long as the test needs: every REST request in it must be a 503 envelope, fast (never a hang,
never a 500); then the runner's supervisor brings it back on the same port without a runner restart and the data
written before is there. Stalled: SIGSTOP (the process accepts connections and never answers): every request
must be answered within a bound with a 5xx envelope (503, or 504 when the function hits its Lambda timeout,
printed), never a 500; after SIGCONT requests succeed again.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import tempfile
from pathlib import Path

from harness import API, Runner, bin_dir, check, start_body, wait_for

# A request in the stall must be answered within this: the functions' Lambda timeouts (10 s, ListSessions 15 s)
# plus waiting for one of the 4 busy workers of its function.
ANSWER_WITHIN = 40.0
# A request while the process is down (connection refused) must be answered within this.
DOWN_ANSWER_WITHIN = 10.0


def data_api_down(lines: list[str]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="evcsm-faults-c-"))
    hold, wrapper = scratch / "hold", scratch / "data-api-wrapper.sh"
    wrapper.write_text(f"#!/bin/sh\nif [ -e '{hold}' ]; then echo 'held by the fault test' >&2; exit 3; fi\n"
                       f"exec '{bin_dir() / 'evcsm-data-api'}' \"$@\"\n")
    wrapper.chmod(0o755)
    runner = Runner(name="faults-c", extra=["--data-api-binary", str(wrapper)])
    try:
        reply = runner.request("POST", f"{API}/start", start_body("fz-c-0"))
        check(reply.status == 201, f"POST /start: {reply.status} {reply.text[:200]}")
        session = reply.json["sessionId"]
        for path in (f"{API}/status?chargingPointId=fz-c-0", f"{API}/sessions?limit=5", f"{API}/sessions/{session}"):
            check(runner.request("GET", path).status == 200, f"GET {path} before the fault")
        first = runner.child("evcsm-data-api")
        check(first is not None, "no evcsm-data-api child of evcsm-local")

        # Down: killed, and not restarted while the hold file exists.
        hold.touch()
        os.kill(first, signal.SIGKILL)
        wait_for("the runner saw the Data API die and could not restart it yet",
                 lambda: "held by the fault test" in runner.log_text(), timeout=60)
        down_requests = [("GET", f"{API}/status?chargingPointId=fz-c-0", None), ("GET", f"{API}/sessions?limit=5", None),
                         ("GET", f"{API}/sessions/{session}", None), ("POST", f"{API}/start", start_body("fz-c-9")),
                         ("POST", f"{API}/stop", {"sessionId": session})]
        with ThreadPoolExecutor(len(down_requests)) as pool:
            down = list(pool.map(lambda r: runner.request(r[0], r[1], r[2], timeout=DOWN_ANSWER_WITHIN), down_requests))
        down_health = runner.request("GET", "/healthz")
        down_bad = [f"{m} {p}: {r.status} {r.text[:160]}" for (m, p, _), r in zip(down_requests, down)
                    if r.status != 503 or not isinstance(r.json, dict) or not isinstance(r.json.get("error"), str)]
        hold.unlink()
        held_at = time.monotonic()
        wait_for("the Data API is back (supervised restart, same port)", lambda: runner.child("evcsm-data-api")
                 not in (None, first) and runner.request("GET", f"{API}/sessions/{session}").status == 200, timeout=90)
        down_back = time.monotonic() - held_at
        check(runner.request("GET", f"{API}/sessions/{session}").json.get("status") == "ACTIVE",
              "the session written before the crash is not ACTIVE after the restart")
        lines += [
            f"c. Data API down (SIGKILL, restarts held): {len(down)} REST requests: codes "
            f"{dict(sorted(Counter(r.status for r in down).items()))}, slowest {max(r.seconds for r in down):.2f} s; "
            f"/healthz {down_health.status}; back {down_back:.1f} s after the hold was lifted",
        ]
        check(not down_bad, "requests while the Data API was down not answered with a 503 envelope:\n" + "\n".join(down_bad))
        first = runner.child("evcsm-data-api")

        requests = [("GET", f"{API}/status?chargingPointId=fz-c-0", None)] * 4 + [
            ("GET", f"{API}/sessions?limit=5", None), ("GET", f"{API}/sessions?limit=5", None),
            ("GET", f"{API}/sessions/{session}", None), ("GET", f"{API}/status", None),
            ("POST", f"{API}/start", start_body("fz-c-1")), ("POST", f"{API}/start", start_body("fz-c-2")),
            ("POST", f"{API}/stop", {"sessionId": session}),
        ]
        os.kill(first, signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:
            with ThreadPoolExecutor(len(requests)) as pool:
                replies = list(pool.map(lambda r: runner.request(r[0], r[1], r[2], timeout=ANSWER_WITHIN), requests))
            health = runner.request("GET", "/healthz", timeout=ANSWER_WITHIN)
        finally:
            os.kill(first, signal.SIGCONT)
        window = time.monotonic() - stopped_at
        codes = Counter(r.status for r in replies)
        slowest = max(r.seconds for r in replies)
        bad = [f"{m} {p}: {r.status} {r.text[:160]}" for (m, p, _), r in zip(requests, replies)
               if r.status not in (503, 504) or not isinstance(r.json, dict) or not isinstance(r.json.get("error"), str)]
        wait_for("requests succeed after SIGCONT",
                 lambda: runner.request("GET", f"{API}/status?chargingPointId=fz-c-0").status == 200, timeout=60)
        # A start or stop answered 503 may still have reached the stopped process and run after SIGCONT.
        late = [p for p in ("fz-c-1", "fz-c-2")
                if runner.request("GET", f"{API}/status?chargingPointId={p}").status == 200]
        stop_state = runner.request("GET", f"{API}/sessions/{session}").json.get("status")

        # SIGKILL: a restart by the runner's supervisor on the same port, without a runner restart.
        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        gap: Counter = Counter()

        def answered_ok() -> bool:
            reply = runner.request("GET", f"{API}/sessions/{session}", timeout=ANSWER_WITHIN)
            gap[reply.status] += 1
            check(reply.status in (200, 503), f"during the restart: {reply.status} {reply.text[:200]}")
            second = runner.child("evcsm-data-api")
            return reply.status == 200 and second not in (None, first)
        wait_for("the Data API is back after SIGKILL", answered_ok, timeout=90, interval=0.02)
        back_after = time.monotonic() - killed_at
        restarts = runner.metrics().get('evcsm_child_restarts_total{child="data-api"}', 0)
        check(restarts >= 2, f"data-api restarts counted: {restarts}, expected 2 (down, then SIGKILL)")
        reply = runner.request("POST", f"{API}/start", start_body("fz-c-3"))
        lines += [
            f"   Data API stalled: SIGSTOP window {window:.1f} s, {len(requests)} REST requests in it: codes "
            f"{dict(sorted(codes.items()))}, slowest answer {slowest:.1f} s (bound {ANSWER_WITHIN:.0f} s); "
            f"/healthz {health.status}" + (f"  << FINDING: {codes[504]} requests got 504 (the function hit its Lambda "
                                          "timeout: read retries x DATA_API_TIMEOUT_MS exceed it), not 503" if codes[504] else ""),
            f"   answered 503 but applied after SIGCONT: starts {late or 'none'}, stop -> {stop_state}",
            f"   SIGKILL: back after {back_after:.2f} s without a runner restart (pid {runner.pid} alive: "
            f"{runner.process.poll() is None}); answers in the gap {dict(sorted(gap.items()))}; data-api restarts "
            f"{int(restarts)}",
        ]
        check(not bad, "requests in the SIGSTOP window not answered with a 503/504 envelope:\n" + "\n".join(bad))
        check(slowest < ANSWER_WITHIN, f"slowest answer {slowest:.1f} s")
        check(health.status == 200, f"/healthz in the window: {health.status} {health.text[:200]}")
        check(runner.process.poll() is None, "evcsm-local exited")
        check(restarts >= 1, "the Data API restart was not counted")
        check(reply.status == 201, f"start after the restart: {reply.status} {reply.text[:200]}")
    finally:
        runner.stop()
        runner.save_log("faults-c-runner")
        shutil.rmtree(scratch, ignore_errors=True)
