"""Resident memory (VmRSS): evcsm-local idle, right after it started, and its warm workers after the load.

`idle` runs first, on the fresh `small` runner; `warm` last, on the same runner after every other section
sent it requests, so each function that served something has warm workers. The figure is the largest warm
worker (each function's largest is printed).
"""

from __future__ import annotations

import os
import time

import processes
from table import Row, failed_row

MB = 1_000_000


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MB:.1f} MB"


def _detail(pid: int) -> str:
    """` (PSS x MB, anonymous y MB)`, or '' when smaps_rollup cannot be read."""
    figures = processes.pss_and_anonymous(pid)
    return "" if figures is None else f" (PSS {_mb(figures[0])}, anonymous {_mb(figures[1])})"


def idle(bench) -> list[Row]:
    runner = bench.runner("small")
    time.sleep(1.0)
    rss = processes.rss_bytes(runner.pid)
    children = [(os.path.basename(processes.executable(p)) or str(p), processes.rss_bytes(p))
                for p in processes.descendants(runner.pid)]
    others = ", ".join(f"{name} {_mb(value)}" for name, value in children) or "none"
    bench.say(f"  evcsm-local idle: {_mb(rss)}{_detail(runner.pid)} (its child processes: {others})")
    return [Row("evcsm-local idle RSS (process itself, after start)", _mb(rss) + _detail(runner.pid), target="≤ 40 MB",
                met=rss is not None and rss <= 40 * MB)]


def warm(bench) -> list[Row]:
    runner = bench.runner("small")
    largest: dict[str, int] = {}
    pids: dict[str, int] = {}
    for name, pid in runner.workers():
        rss = processes.rss_bytes(pid)
        if rss is not None and rss > largest.get(name, 0):
            largest[name], pids[name] = rss, pid
    if not largest:
        return [failed_row("one warm worker's RSS", "≤ 15 MB", "no live worker found")]
    bench.say("  warm workers (largest per function): "
              + ", ".join(f"{name} {_mb(v)}" for name, v in sorted(largest.items())))
    name, rss = max(largest.items(), key=lambda item: item[1])
    return [Row(f"one warm worker's RSS (largest: {name})", _mb(rss) + _detail(pids[name]), target="≤ 15 MB",
                met=rss <= 15 * MB)]
