"""`make test-ocpp`: an independent OCPP 1.6J charge point (PyPI `ocpp` 2.1.0 over `websockets`) against a real
evcsm-local (`--auth jwt`, development tokens) on ephemeral 127.0.0.1 ports.

Every case runs (one failing does not stop the others), each within CASE_TIMEOUT; the suite fails when any case
failed or when none ran. The last line is `ocpp: N passed, N failed`; figures go to test-artifacts/ocpp.txt.
EVCSM_OCPP_CASES=word,word runs only the cases whose name contains one of the words.
Run from Tests/ocpp with EVCSM_BIN_DIR and EVCSM_ROOT set (mk/ocpp.mk does).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import traceback

from importlib import metadata

import cases_flow  # noqa: F401  (registers its cases; in this order)
import cases_errors  # noqa: F401
import cases_remote  # noqa: F401
from ocpp_harness import ARTIFACTS, CASES, RESULTS, Failure, World

CASE_TIMEOUT = 180.0


async def run_case(world: World, name: str, function) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(function(world), CASE_TIMEOUT)
        return True, ""
    except Failure as failure:
        return False, str(failure)
    except asyncio.TimeoutError:
        return False, f"the case did not finish within {CASE_TIMEOUT:.0f} s"
    except Exception as error:  # an OCPPError from the library, a closed socket…: a failure with its trace
        return False, f"{type(error).__name__}: {error}\n" + traceback.format_exc(limit=4)


async def run_all(world: World, chosen: list[str]) -> list[tuple[str, bool, float, str]]:
    results = []
    for name, function in CASES:
        if chosen and not any(word.lower() in name.lower() for word in chosen):
            continue
        started = time.monotonic()
        ok, reason = await run_case(world, name, function)
        seconds = time.monotonic() - started
        results.append((name, ok, seconds, reason))
        print(f"{'PASS' if ok else 'FAIL'} {name} ({seconds:.1f} s)" + (f"\n    {reason}" if reason else ""),
              flush=True)
    return results


def main() -> int:
    logging.getLogger("ocpp").setLevel(logging.ERROR)  # its CALLERROR warnings: the cases check those themselves
    chosen = [w.strip() for w in os.environ.get("EVCSM_OCPP_CASES", "").split(",") if w.strip()]
    versions = f"ocpp {metadata.version('ocpp')}, websockets {metadata.version('websockets')}"
    print(f"OCPP 1.6J suite ({versions}), {len(CASES)} cases", flush=True)
    started = time.monotonic()
    world = None
    results: list[tuple[str, bool, float, str]] = []
    setup_error = ""
    try:
        world = World()
        print(f"evcsm-local at {world.runner.base}, OCPP at {world.ws_base}/<chargePointId>", flush=True)
        results = asyncio.run(run_all(world, chosen))
    except Failure as failure:
        setup_error = str(failure)
        print(f"FAIL setup: {failure}", flush=True)
    finally:
        if world is not None:
            if any(not ok for _, ok, _, _ in results):
                print("runner log (tail):\n" + world.runner.log_tail(40), flush=True)
            world.close()
    passed = sum(1 for _, ok, _, _ in results if ok)
    failed = len(results) - passed + (1 if setup_error else 0)
    total = time.monotonic() - started
    lines = [f"{versions}; {len(results)} cases in {total:.1f} s"]
    lines += [f"{'PASS' if ok else 'FAIL'} {seconds:6.1f} s  {name}" + (f"\n    {reason}" if reason else "")
              for name, ok, seconds, reason in results]
    if setup_error:
        lines.append(f"FAIL setup: {setup_error}")
    lines.append(f"ocpp: {passed} passed, {failed} failed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    if not results and not setup_error:
        print("ocpp: no case ran (EVCSM_OCPP_CASES matched nothing?)", flush=True)
    print(f"figures in {RESULTS}", flush=True)
    print(f"ocpp: {passed} passed, {failed} failed", flush=True)
    return 0 if results and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
