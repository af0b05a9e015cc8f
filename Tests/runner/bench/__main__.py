"""`make bench`: every figure of issue 11 with the baseline measured in the same run and the ratio (not a test).

Runs one section per figure (see sections/), prints each as it goes, then one table (also written to
test-artifacts/bench.txt). Exit status 1 only when a section could not run; a target not met is a result.
Run as `BIN_DIR=<release bin dir> python3 -B Tests/runner/bench` (Tests/runner/bench.sh does).
"""

from __future__ import annotations

import datetime
import os
import platform
import signal
import subprocess
import sys
import time
import traceback

from config import Config
from context import Bench
from sections import cold_start, full_path, memory, mqtt_ingest, ocpp_bench, pairs, store_size
from table import Row, failed_row, render

# (title, section): in this order, because `memory.idle` needs the fresh `small` runner and `memory.warm`
# the one every other section loaded. New figures (OCPP, issue 14) add a section here.
# BENCH_SECTIONS=store-size,pairs runs only those (by key).
SECTIONS = [
    ("memory-idle", "Memory, idle", memory.idle),
    ("cold-start", "Cold starts (a runner of its own)", cold_start.run),
    ("store-size", "Stored sessions: 1 vs many", store_size.run),
    ("full-path", "Full path vs bare route", full_path.run),
    ("mqtt", "MQTT meter ingest", mqtt_ingest.run),
    ("pairs", "start+stop pairs and the store's write ceiling", pairs.run),
    ("memory-warm", "Memory, warm workers", memory.warm),
    ("ocpp", "OCPP 1.6J MeterValues, 100 charge points (a runner of its own)", ocpp_bench.run),
]


def machine() -> str:
    memory_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=20).stdout
        swift = next((l.strip() for l in swift.splitlines() if "Swift version" in l), "")
    except (OSError, subprocess.TimeoutExpired):
        swift = ""
    parts = [f"{os.cpu_count()} cores ({model})" if model else f"{os.cpu_count()} cores",
             f"{memory_kb / 1024 / 1024:.0f} GiB", f"Linux {platform.release()}"]
    return ", ".join(parts + ([swift] if swift else []))


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    config = Config.from_environment()
    bench = Bench(config)
    started = time.monotonic()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    header = f"evcsm-local bench — {stamp}, {machine()}"
    bench.say(header)
    bench.say(f"release binaries: {config.bin_dir}; functions: {config.functions_dir}; wrk -t2 -c{config.connections} -d{config.duration:g}s")
    rows: list[Row] = []
    broken = []
    try:
        chosen = {k.strip() for k in os.environ.get("BENCH_SECTIONS", "").split(",") if k.strip()}
        unknown = chosen - {key for key, _, _ in SECTIONS}
        if unknown:
            raise SystemExit(f"BENCH_SECTIONS: unknown {', '.join(sorted(unknown))}")
        for key, title, section in SECTIONS:
            if chosen and key not in chosen:
                continue
            bench.say()
            bench.say(f"== {title}")
            section_started = time.monotonic()
            try:
                rows += section(bench)
            except Exception as error:  # the other figures still get measured
                traceback.print_exc()
                broken.append(title)
                rows.append(failed_row(title, "—", f"{type(error).__name__}: {error}"))
            bench.say(f"   ({time.monotonic() - section_started:.0f} s)")
    finally:
        bench.close()
    table = render(rows)
    notes = "\n".join(f"- {n}" for n in bench.notes)
    footer = f"total {time.monotonic() - started:.0f} s"
    if broken:
        footer += f"; sections that failed: {', '.join(broken)}"
    bench.say()
    bench.say(table)
    bench.say()
    bench.say(notes)
    bench.say(footer)
    os.makedirs(config.artifacts, exist_ok=True)
    with open(os.path.join(config.artifacts, "bench.txt"), "w") as f:
        f.write(f"{header}\n\n{table}\n\n{notes}\n{footer}\n")
    bench.say(f"written to {os.path.join(config.artifacts, 'bench.txt')}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
