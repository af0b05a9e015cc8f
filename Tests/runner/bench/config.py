"""Settings from the environment (`make bench` passes them; every one has a default)."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field


def _seconds(text: str) -> float:
    """`10s`, `500ms`, `1m` or a bare number of seconds."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m)?\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match.group(2)]
    return float(match.group(1)) * scale


@dataclass
class Config:
    root: str
    bin_dir: str
    functions_dir: str = ""  # the function binaries (the Lambda bootstraps); bin_dir when unset
    duration: float = 10.0
    warmup: float = 1.0
    rounds: int = 5
    connections: int = 64
    wrk_timeout: float = 5.0
    sessions: int = 100_000
    seed_batch: int = 1_000
    mqtt_messages: int = 10_000
    mqtt_baseline_messages: int = 20_000
    mqtt_timeout: float = 60.0
    pair_clients: int = 8
    ceiling_seconds: float = 3.0
    writes_per_pair: int | None = None
    walk_timeout: float = 60.0
    data_root: str = field(default_factory=tempfile.gettempdir)
    artifacts: str = ""
    keep_data: bool = False

    @staticmethod
    def from_environment() -> "Config":
        env = os.environ
        root = os.path.abspath(env.get("BENCH_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..", ".."))
        bin_dir = env.get("BIN_DIR")
        if not bin_dir:
            raise SystemExit("BIN_DIR (the release bin dir, `swift build -c release --show-bin-path`) is required")
        config = Config(root=root, bin_dir=os.path.abspath(bin_dir),
                        functions_dir=os.path.abspath(env.get("FUNCTIONS_DIR") or bin_dir))
        config.duration = _seconds(env.get("BENCH_DURATION", "10s"))
        config.warmup = _seconds(env.get("BENCH_WARMUP", "1s"))
        config.rounds = int(env.get("BENCH_ROUNDS", "5"))
        config.connections = int(env.get("BENCH_CONNECTIONS", "64"))
        config.wrk_timeout = _seconds(env.get("BENCH_WRK_TIMEOUT", "5s"))
        config.sessions = int(env.get("BENCH_SESSIONS", "100000"))
        config.mqtt_messages = int(env.get("BENCH_MQTT_MESSAGES", "10000"))
        config.mqtt_baseline_messages = int(env.get("BENCH_MQTT_BASELINE_MESSAGES", "20000"))
        config.mqtt_timeout = _seconds(env.get("BENCH_MQTT_TIMEOUT", "60s"))
        config.pair_clients = int(env.get("BENCH_PAIR_CLIENTS", "8"))
        config.ceiling_seconds = _seconds(env.get("BENCH_CEILING_DURATION", "3s"))
        config.writes_per_pair = int(env["BENCH_WRITES_PER_PAIR"]) if env.get("BENCH_WRITES_PER_PAIR") else None
        config.walk_timeout = _seconds(env.get("BENCH_WALK_TIMEOUT", "60s"))
        config.data_root = env.get("BENCH_DATA_ROOT") or tempfile.gettempdir()
        config.artifacts = env.get("BENCH_ARTIFACTS") or os.path.join(root, "test-artifacts")
        config.keep_data = env.get("BENCH_KEEP_DATA", "") not in ("", "0")
        return config
