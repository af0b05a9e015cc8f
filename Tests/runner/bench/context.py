"""What every section gets: the settings, the runners of this run (started on first use), and output."""

from __future__ import annotations

import statistics
import sys
import time
import urllib.parse

import seed
import wrk
from runner import Client, Runner


class Bench:
    """Runners by name: `small` (1 stored session, the baseline runner most sections share) and whatever a
    section asks for. Every runner is stopped by `close()`."""

    def __init__(self, config):
        self.config = config
        self.runners: dict[str, Runner] = {}
        self.notes: list[str] = []

    def runner(self, name: str) -> Runner:
        if name not in self.runners:
            self.runners[name] = Runner(name, self.config).start()
        return self.runners[name]

    def small(self) -> Runner:
        """The `small` runner with its one stored session (the baseline of the store-size rows, and the session
        the full path reads), stored on first use whichever section asks first."""
        small = self.runner("small")
        found = small.data_api("findOne", "ChargingSessions", filter={"chargingPointId": seed.point(0)})
        if found.get("document") is None:
            document = seed.session(0, self.config.sessions, int(time.time() * 1000), False)
            small.data_api("insertOne", "ChargingSessions", document=document)
        return small

    def stop(self, name: str) -> None:
        runner = self.runners.pop(name, None)
        if runner is not None:
            runner.stop()

    def close(self) -> None:
        for name in list(self.runners):
            self.stop(name)

    def measure_side_by_side(self, cases) -> tuple[list[wrk.WrkResult], float | None]:
        """Each (runner, url) of `cases` measured in turn, `config.rounds` times over, each run a `rounds`th of
        the duration (whole seconds): this machine's speed drifts by tens of percent within a minute, so cases
        measured next to each other in every round compare fairly where one long run each would not. Returns each
        case's rounds combined (``wrk.combine``) and the median over the rounds of the last case's rate over the
        first's."""
        results, ratios = self.measure_rounds(cases)
        return results, ratios[-1]

    def measure_rounds(self, cases) -> tuple[list[wrk.WrkResult], list[float | None]]:
        """``measure_side_by_side`` with every case's ratio: the median over the rounds of its rate over the first
        case's (None for the first)."""
        rounds = max(1, self.config.rounds)
        each = max(1, round(self.config.duration / rounds))  # wrk takes whole seconds
        runs = [[] for _ in cases]
        for _ in range(rounds):
            for index, (runner, url) in enumerate(cases):
                runs[index].append(self.measure(runner, url, duration=each))
        ratios: list[float | None] = [None]
        for later in runs[1:]:
            each_round = [last.rps / first.rps for first, last in zip(runs[0], later) if first.rps]
            ratios.append(statistics.median(each_round) if each_round else None)
        return [wrk.combine(results) for results in runs], ratios

    def measure(self, runner: Runner, url: str, duration: float | None = None) -> wrk.WrkResult:
        """A short wrk warm-up with the same connections (spawns every worker the load will use), then the
        measured wrk run, both with the runner's bearer token (the JWT check is in the measured path); each followed by waiting for what wrk left queued in the runner, so the next
        measurement starts on an idle machine."""
        config = self.config
        warm = wrk.run(url, connections=config.connections, duration=config.warmup, timeout=config.wrk_timeout,
                       headers=runner.auth_headers)
        self._settle(runner, warm)
        result = wrk.run(url, connections=config.connections, duration=duration or config.duration,
                         timeout=config.wrk_timeout, headers=runner.auth_headers)
        self._settle(runner, result)
        return result

    def _settle(self, runner: Runner, result: wrk.WrkResult) -> None:
        # One more request to the same URL queues behind whatever wrk left (a function's queue is FIFO), so its
        # answer means that backlog is done; then no invocation may complete for a moment.
        url = urllib.parse.urlparse(result.url)
        probe = Client(runner.base, timeout=20, headers=runner.auth_headers)
        try:
            probe.request("GET", url.path + (f"?{url.query}" if url.query else ""))
            settled = runner.settle(quiet=0.3, timeout=10)
        except OSError:
            settled = False
        finally:
            probe.close()
        if not settled:
            self.say(f"  (the {runner.name} runner was still busy 20 s after wrk on {result.url})")

    @staticmethod
    def say(text: str = "") -> None:
        print(text, flush=True)
        sys.stdout.flush()

    def note(self, text: str) -> None:
        """A line printed under the table (how a figure was obtained, what it assumes)."""
        self.notes.append(text)
