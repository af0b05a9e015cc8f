"""Faults under load (issue 12), from the outside: a real evcsm-local and real clients (HTTP, paho-mqtt).

  a. SIGKILL of StartSession/StopSession workers during 1,000 start/stop pairs from concurrent clients
  b. SIGKILL of the broker during meter ingest (QoS 1)
  c. the Data API process stopped (SIGSTOP) and killed (SIGKILL)
  d. SIGKILL of the runner during concurrent writes, then a restart on the same data directory

    python faults.py [a b c d]     (default: all four)

Prints the figures, saves them in test-artifacts/faults.txt, exits non-zero when a case fails.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from harness import API, Failure, Runner, alive, check, start_body, wait_for, write_results
from pair_client import RETRYABLE, PairClient
from scenario_broker import broker_kill
from scenario_dataapi import data_api_down

PAIRS = int(os.environ.get("EVCSM_FAULTS_PAIRS", "1000"))
CLIENTS = 8
WORKER_KILLS = 8


def worker_kill(lines: list[str]) -> None:
    runner = Runner(name="faults-a")
    try:
        stats: Counter = Counter()
        lock = threading.Lock()
        done = [0]
        clients = [PairClient(runner, i, stats, lock) for i in range(CLIENTS)]
        kills: list[str] = []
        finished = threading.Event()

        def killer() -> None:
            for k in range(WORKER_KILLS):
                target = PAIRS * (k + 1) // (WORKER_KILLS + 1)
                while done[0] < target and not finished.is_set():
                    time.sleep(0.01)
                if finished.is_set():
                    return
                name = "StartSession" if k % 2 == 0 else "StopSession"
                pids = runner.children(f"/{name}")
                if not pids:
                    continue
                os.kill(pids[0], signal.SIGKILL)
                kills.append(f"{name}:{pids[0]}@pair{done[0]}")

        started = time.monotonic()
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            share = [PAIRS // CLIENTS + (1 if i < PAIRS % CLIENTS else 0) for i in range(CLIENTS)]
            for future in [pool.submit(c.run, share[i], done) for i, c in enumerate(clients)]:
                future.result()
        finished.set()
        thread.join(timeout=10)
        seconds = time.monotonic() - started
        failures = [f for c in clients for f in c.failures]
        check(not failures, "clients failed:\n" + "\n".join(failures[:20]))

        known = {s: p for c in clients for s, p in {**c.acked_starts, **c.adopted}.items()}
        acked_stops = set().union(*(c.acked_stops for c in clients))
        acked_starts = {s for c in clients for s in c.acked_starts}
        store = runner.sessions_by_id()
        listed = runner.rest_sessions()
        lost = sorted(s for s in acked_starts if s not in store)
        not_stopped = sorted(s for s in acked_stops if store.get(s, {}).get("status") != "Stopped")
        ghosts = sorted(s for s, d in store.items() if s not in known)
        per_point = Counter(d["chargingPointId"] for d in store.values())
        fives = {k: v for k, v in stats.items() if k.startswith("5xx")}
        lines += [
            f"a. SIGKILL of workers during {PAIRS} start/stop pairs ({CLIENTS} clients, {seconds:.1f} s):",
            f"   pairs completed {done[0]}; workers killed {len(kills)} ({', '.join(kills)})",
            f"   5xx answers (retried): {sum(fives.values())} {dict(sorted(fives.items()))}",
            *(f"   {k}: {v}" for k, v in sorted(stats.items()) if not k.startswith("5xx")),
            f"   store: {len(store)} sessions (GET /sessions paged: {len(listed)}); lost acknowledged starts {len(lost)}, "
            f"acknowledged stops not Stopped {len(not_stopped)}, sessions no client knows (duplicates) {len(ghosts)}",
        ]
        check(len(kills) >= WORKER_KILLS // 2, f"only {len(kills)} workers could be killed")
        check(done[0] == PAIRS, f"only {done[0]} of {PAIRS} pairs completed")
        check(not lost, f"acknowledged starts missing from the store: {lost[:10]}")
        check(not not_stopped, f"acknowledged stops not stored as Stopped: {not_stopped[:10]}")
        check(not ghosts, f"sessions that no client started (duplicates): {ghosts[:10]}")
        check(all(d["status"] == "Stopped" for d in store.values()), "a session is still Charging")
        check(len(store) == len(known) == PAIRS, f"store {len(store)}, known {len(known)}, pairs {PAIRS}")
        check(len(listed) == len(store), f"GET /sessions listed {len(listed)} of {len(store)} sessions")
        check(runner.healthy(), "/healthz failed after the worker kills")
    finally:
        runner.stop()
        runner.save_log("faults-a-runner")


def runner_kill(lines: list[str]) -> None:
    first = Runner(name="faults-d1")
    data_dir = first.data_dir
    stats: Counter = Counter()
    lock = threading.Lock()
    acked_starts: dict[str, str] = {}
    acked_stops: set[str] = set()
    failures: list[str] = []
    stop_at = 200
    acks = [0]

    def client(index: int) -> None:
        for n in range(10_000):
            point = f"fz-d-{index}-{n}"
            reply = first.request("POST", f"{API}/start", start_body(point))
            if reply.status == 0:
                return  # the runner is gone
            if reply.status != 201:
                with lock:
                    stats[f"start {reply.status}"] += 1
                if reply.status not in RETRYABLE:
                    failures.append(f"start {point}: {reply.status} {reply.text[:200]}")
                    return
                continue
            session = reply.json["sessionId"]
            with lock:
                acked_starts[session] = point
                acks[0] += 1
            reply = first.request("POST", f"{API}/stop", {"sessionId": session})
            if reply.status == 0:
                return
            if reply.status == 200:
                with lock:
                    acked_stops.add(session)
                    acks[0] += 1
            else:
                with lock:
                    stats[f"stop {reply.status}"] += 1

    try:
        children = [p for p in first.children("") if alive(p)]
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client, i) for i in range(CLIENTS)]
            wait_for(f"{stop_at} acknowledged writes", lambda: acks[0] >= stop_at or failures, timeout=120)
            before = runner_children = [p for p in first.children("") if alive(p)]
            first.kill()
            for future in futures:
                future.result()
        check(not failures, "clients failed before the kill:\n" + "\n".join(failures[:10]))
        watched = set(children + before)
        wait_for("every child of the killed runner is gone (parent-death signal)",
                 lambda: not any(alive(p) for p in watched), timeout=30)
        orphans = [p for p in watched if alive(p)]
        with lock:
            starts, stops = dict(acked_starts), set(acked_stops)
        second = Runner(data_dir=data_dir, name="faults-d2")
        try:
            store = second.sessions_by_id()
            missing = sorted(s for s in starts if s not in store)
            wrong = sorted(s for s in stops if store.get(s, {}).get("status") != "Stopped")
            unacked = sorted(s for s in store if s not in starts)
            late_stops = sorted(s for s in starts if s not in stops and store.get(s, {}).get("status") == "Stopped")
            # After the restart the points work again: a new pair on a point used before the kill.
            reply = second.request("POST", f"{API}/start", start_body("fz-d-0-0"))
            lines += [
                f"d. SIGKILL of the runner during writes ({CLIENTS} clients), restart on the same data dir:",
                f"   acknowledged: {len(starts)} starts (201), {len(stops)} stops (200); runner children at the kill "
                f"{len(runner_children)}, left alive {len(orphans)}",
                f"   after the restart: lost acknowledged starts {len(missing)}, acknowledged stops not Stopped "
                f"{len(wrong)}; writes applied without an acknowledgement: {len(unacked)} starts, {len(late_stops)} stops",
                f"   other answers before the kill: {dict(stats) or 'none'}",
            ]
            check(not missing, f"acknowledged starts lost: {missing[:10]}")
            check(not wrong, f"acknowledged stops not Stopped after the restart: {wrong[:10]}")
            check(reply.status in (201, 409), f"start after the restart: {reply.status} {reply.text[:200]}")
        finally:
            second.stop()
            second.save_log("faults-d2-runner")
    finally:
        first.stop()
        first.save_log("faults-d1-runner")


SCENARIOS = {"a": worker_kill, "b": broker_kill, "c": data_api_down, "d": runner_kill}


def main(argv: list[str]) -> int:
    chosen = argv or list(SCENARIOS)
    passed, failed = 0, 0
    lines: list[str] = []
    started = time.monotonic()
    for name in chosen:
        t0 = time.monotonic()
        shown = len(lines)
        print(f"faults: scenario {name} ...", flush=True)
        try:
            SCENARIOS[name](lines)
            passed += 1
            lines.append(f"   {name}: PASS ({time.monotonic() - t0:.1f} s)")
        except (Failure, OSError, AssertionError, KeyError, TypeError) as failure:
            failed += 1
            lines.append(f"   {name}: FAIL ({time.monotonic() - t0:.1f} s): {failure}")
        print("\n".join(lines[shown:]), flush=True)
        write_results("faults", lines + [f"total {time.monotonic() - started:.1f} s"])
        lines.append("")
    check(passed + failed > 0, "no scenario ran")
    print(f"faults: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
