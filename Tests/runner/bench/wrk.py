"""wrk runs and what their output says (req/s, p50/p99, errors)."""

from __future__ import annotations

import re
import statistics
import subprocess
from dataclasses import dataclass

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass
class WrkResult:
    url: str
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int
    non_2xx: int

    timeout_s: float = 0.0

    @property
    def failed(self) -> int:
        """Requests that did not get a 2xx/3xx answer in time (socket errors, timeouts, other statuses); at
        least 1 when nothing at all was answered (wrk then counts no timeouts)."""
        return max(self.errors + self.non_2xx, 1 if self.requests == 0 else 0)

    def summary(self) -> str:
        text = f"{self.rps:10,.0f} req/s  p50 {fmt_ms(self.p50_ms):>9}  p99 {fmt_ms(self.p99_ms):>9}"
        if self.requests == 0:
            text += f"  (no answer within the {self.timeout_s:g} s timeout)"
        elif self.failed:
            text += f"  ({self.non_2xx} non-2xx, {self.errors} socket errors/timeouts of {self.requests})"
        return text


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} ms" if value < 100 else f"{value:,.0f} ms"


def _ms(text: str) -> float | None:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else None


def combine(results: list[WrkResult]) -> WrkResult:
    """Runs of one URL as one result: the mean rate, the median p50 and p99, the counts added up."""
    if len(results) == 1:
        return results[0]

    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    combined = WrkResult(
        url=results[0].url,
        rps=sum(r.rps for r in results) / len(results),
        p50_ms=median(r.p50_ms for r in results),
        p99_ms=median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        non_2xx=sum(r.non_2xx for r in results),
    )
    combined.timeout_s = results[0].timeout_s
    return combined


def parse(url: str, output: str) -> WrkResult:
    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, output, re.MULTILINE)
        return float(match.group(1)) if match else default

    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)", output, re.MULTILINE))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = sum(int(g) for g in socket.groups()) if socket else 0
    requests = int(number(r"^\s+(\d+) requests in"))
    return WrkResult(
        url=url,
        rps=number(r"^Requests/sec:\s+([0-9.]+)"),
        p50_ms=_ms(percentiles["50"]) if requests and "50" in percentiles else None,
        p99_ms=_ms(percentiles["99"]) if requests and "99" in percentiles else None,
        requests=requests,
        errors=errors,
        non_2xx=int(number(r"^\s+Non-2xx or 3xx responses:\s+(\d+)")),
    )


def run(url: str, *, connections: int, duration: float, threads: int = 2, timeout: float = 5.0,
        headers: dict | None = None) -> WrkResult:
    """`wrk -t<threads> -c<connections> -d<duration> --latency --timeout <timeout> [-H 'name: value' ...]`; bounded
    in time."""
    threads = max(1, min(threads, connections))
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", f"--timeout", f"{timeout:g}s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    args.append(url)
    completed = subprocess.run(args, capture_output=True, text=True, timeout=duration + timeout + 30)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout}")
    result = parse(url, completed.stdout)
    result.timeout_s = timeout
    return result
