"""start+stop pairs/s through the REST API, and the store's own write ceiling measured in the same run.

Ceiling: bare SQLite commits/s on a scratch file next to the `small` runner's store (same file system), with
the store's schema and page size (copied from the store file), its `journal_mode` (read from the file) and
its `synchronous` (a per-connection setting the file does not keep: seen with strace as one WAL sync per
commit or none; else read from the Data API server's source), one INSERT of a stored session's row per
transaction. Also reported: the same file replaying a pair's own writes as the store commits them (a start's
bulkWrite: UPDATE the lock + INSERT the session in one transaction; a stop's: UPDATE the session + UPDATE the lock
in one), since a commit that grows the file and one that rewrites pages in place cost differently. Writes per
pair: the documents a start and a stop write.
"""

from __future__ import annotations

import concurrent.futures
import glob
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.parse

import processes
from runner import API_PATH
from table import Row, fmt_rate, fmt_ratio, ratio

# DataAPISessionStore: start = claim (conditional upsert on ChargingPoints) + insertOne, one bulkWrite; stop = the
# compare-and-set updateOne + the lock release updateOne, one bulkWrite. Reads (the stop's findOne) are not writes.
WRITES_PER_PAIR_FROM_CODE = 4
SYNCHRONOUS_NAMES = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}


def _client(base: str, point: str, seconds: float, auth: dict) -> tuple[int, str]:
    """One keep-alive client (its own process): start+stop pairs on its own charging point until the deadline."""
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"content-type": "application/json", **auth}
    start = json.dumps({"userId": "bench", "vehicleId": "bench", "chargingPointId": point, "maxPower": 11,
                        "targetCharge": 80})
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("POST", API_PATH + "/start", start, headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 201:
            return done, f"start: HTTP {response.status} {body[:200]!r}"
        stop = json.dumps({"sessionId": json.loads(body)["sessionId"]})
        conn.request("POST", API_PATH + "/stop", stop, headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            return done, f"stop: HTTP {response.status} {body[:200]!r}"
        done += 1
    return done, ""


def _pairs(bench, runner) -> tuple[float, str, dict[str, float]]:
    """(pairs/s, the first client error, CPU seconds each process of the runner used over the loop)."""
    clients, seconds = bench.config.pair_clients, bench.config.duration
    context = multiprocessing.get_context("fork")
    before = _cpu_by_process(runner)
    with concurrent.futures.ProcessPoolExecutor(clients, mp_context=context) as pool:
        futures = [pool.submit(_client, runner.base, f"bench-pair-{i}", seconds, runner.auth_headers)
                   for i in range(clients)]
        results = [f.result(timeout=seconds + 120) for f in futures]
    after = _cpu_by_process(runner)
    cpu = {name: after[name] - before.get(name, 0.0) for name in after}
    errors = [e for _, e in results if e]
    return sum(d for d, _ in results) / seconds, errors[0] if errors else "", cpu


def _cpu_by_process(runner) -> dict[str, float]:
    """CPU seconds (user + system) of the runner and its live descendants, summed by command name (the worker
    processes of one function share theirs)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for pid in [runner.pid] + processes.descendants(runner.pid):
        found = processes.stat(pid)
        if found is None:
            continue
        name, fields = found
        # utime and stime: fields 14 and 15 of /proc/<pid>/stat, 12 and 13 after the name.
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def _synchronous(root: str) -> tuple[str, str]:
    """The `PRAGMA synchronous` the Data API server sets, and where that was read."""
    for path in sorted(glob.glob(os.path.join(root, "Runtime", "DataAPIServer", "**", "*.swift"), recursive=True)):
        match = re.search(r"PRAGMA synchronous\s*=\s*(\w+)", open(path).read(), re.IGNORECASE)
        if match:
            value = match.group(1).upper()
            return SYNCHRONOUS_NAMES.get(value, value), os.path.relpath(path, root)
    return "FULL", "SQLite's default (no PRAGMA synchronous in Runtime/DataAPIServer)"


def _store_owner(runner, store_path: str) -> int | None:
    """The process that has the store file open (the Data API server: a child of the runner, or the runner)."""
    target = os.path.realpath(store_path)
    for pid in [runner.pid] + processes.descendants(runner.pid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


def _observed_synchronous(runner, store_path: str, writes: int = 20) -> tuple[str | None, str]:
    """What the store's connection does, seen from outside: strace counts the fsync/fdatasync calls on the
    store's files while `writes` single-document inserts go through the Data API. One sync (of the WAL) per
    commit is FULL; none is NORMAL (WAL mode syncs only at checkpoints). (None, why) when it cannot look."""
    strace = shutil.which("strace")
    owner = _store_owner(runner, store_path)
    if not strace or owner is None:
        return None, "strace is not installed" if not strace else "no process has the store file open"
    log = store_path + ".strace"
    tracer = processes.spawn([strace, "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", log, "-p", str(owner)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # attaching to every thread
        stamp = time.time_ns()
        for i in range(writes):
            runner.data_api("insertOne", "BenchSyncProbe", document={"_id": f"probe-{stamp}-{i}", "n": i})
        time.sleep(0.3)
    finally:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            processes.stop(tracer)
    try:
        lines = open(log).read().splitlines()
    finally:
        if os.path.exists(log):
            os.remove(log)
    base = os.path.realpath(store_path)
    syncs = sum(1 for line in lines if re.search(r"\b(fsync|fdatasync)\(\d+<" + re.escape(base), line))
    detail = f"strace: {syncs} fsync/fdatasync of the store's files over {writes} single-insert commits (pid {owner})"
    return ("FULL" if syncs >= writes * 0.9 else "NORMAL"), detail


def _json_id(value) -> str:
    if isinstance(value, str) and value.startswith("{"):
        try:
            found = json.loads(value).get("_id")
        except (ValueError, AttributeError):
            return ""
        return found if isinstance(found, str) else ""
    return ""


class _Table:
    """The store's document table as the scratch copy sees it: columns, the integer key, a stored session's row
    (with its id) and a charging point lock's row."""

    def __init__(self, store: sqlite3.Connection):
        tables = [r[0] for r in store.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        self.name = max(tables, key=lambda t: store.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        info = list(store.execute(f'PRAGMA table_info("{self.name}")'))
        self.columns = [r[1] for r in info]
        self.integer_key = {r[1] for r in info if r[5] == 1 and r[2].upper() == "INTEGER"}
        rows = [list(r) for r in store.execute(f'SELECT * FROM "{self.name}" ORDER BY rowid DESC LIMIT 500')]

        def holding(key: str) -> list:
            return [r for r in rows if any(isinstance(v, str) and f'"{key}"' in v for v in r)] or rows

        def size(row) -> int:
            return sum(len(v) for v in row if isinstance(v, (str, bytes)))

        self.session = max(holding("chargingPointId"), key=size)
        self.lock = max(holding("activeSessionId"), key=size)
        self.session_id = next((i for i in map(_json_id, self.session) if i), "")
        self.lock_id = next((i for i in map(_json_id, self.lock) if i), "")
        body = max((i for i, v in enumerate(self.session) if isinstance(v, str)),
                   key=lambda i: len(self.session[i]))
        self.body_column = self.columns[body]

    def values(self, row: list, identifier: str, n: int) -> list:
        """`row` with a new id of the same length wherever the old one is (keys and body); a fresh integer key."""
        fresh = f"{n:0{max(len(identifier), 12)}d}"[-len(identifier):] if identifier else ""
        values = []
        for name, value in zip(self.columns, row):
            if name in self.integer_key:
                values.append(None)
            elif isinstance(value, str) and identifier and identifier in value:
                values.append(value.replace(identifier, fresh))
            elif isinstance(value, str) and not identifier:
                values.append(f"{value}-{n}")
            else:
                values.append(value)
        return values


def _scratch(store_path: str, synchronous: str):
    """A scratch database next to the store with its page size, journal mode and schema, `synchronous` set."""
    store = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    journal = store.execute("PRAGMA journal_mode").fetchone()[0]
    page_size = store.execute("PRAGMA page_size").fetchone()[0]
    schema = store.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END").fetchall()
    table = _Table(store)
    store.close()
    path = store_path + ".ceiling"
    _remove(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA page_size = {page_size}")
    db.execute(f"PRAGMA journal_mode = {journal}")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    for (sql,) in schema:
        db.execute(sql)
    return db, path, journal, table


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def _commit(db: sqlite3.Connection, sql: str, values) -> int:
    db.execute("BEGIN")
    cursor = db.execute(sql, values)
    db.execute("COMMIT")
    return cursor.lastrowid


def _ceilings(store_path: str, synchronous: str, seconds: float) -> tuple[float, float, str]:
    """(INSERT commits/s, bare start+stop write sequences/s, journal mode), each measured for `seconds`.

    The sequence is a pair's writes on the same rows in two transactions, as a start's and a stop's bulkWrite
    commit them: UPDATE the lock (claim) + INSERT the session; UPDATE the session (stop) + UPDATE the lock
    (release)."""
    db, path, journal, table = _scratch(store_path, synchronous)
    try:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        insert = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(table.columns))})'
        update = f'UPDATE "{table.name}" SET "{table.body_column}" = ? WHERE rowid = ?'
        body = table.columns.index(table.body_column)
        commits, started = 0, time.monotonic()
        while time.monotonic() - started < seconds and commits < 1_000_000:
            _commit(db, insert, table.values(table.session, table.session_id, commits))
            commits += 1
        inserts = commits / (time.monotonic() - started)
        lock = _commit(db, insert, table.values(table.lock, table.lock_id, 10 ** 9))
        lock_body = table.lock[table.columns.index(table.body_column)] or ""
        pairs, started = 0, time.monotonic()
        while time.monotonic() - started < seconds and pairs < 1_000_000:
            row = table.values(table.session, table.session_id, commits + pairs)
            db.execute("BEGIN")
            db.execute(update, (lock_body + " ", lock))
            session = db.execute(insert, row).lastrowid
            db.execute("COMMIT")
            db.execute("BEGIN")
            db.execute(update, ((row[body] or "") + " ", session))
            db.execute(update, (lock_body, lock))
            db.execute("COMMIT")
            pairs += 1
        return inserts, pairs / (time.monotonic() - started), journal
    finally:
        db.close()
        _remove(path)


def run(bench) -> list[Row]:
    config = bench.config
    runner = bench.runner("small")
    pairs, error, cpu = _pairs(bench, runner)
    bench.say(f"  start+stop pairs: {pairs:,.1f} pairs/s ({config.pair_clients} keep-alive clients, "
              f"{config.duration:g} s){'; stopped early: ' + error if error else ''}")
    done = pairs * config.duration
    if done > 0:
        busy = sorted(((seconds, name) for name, seconds in cpu.items() if seconds > 0), reverse=True)
        parts = ", ".join(f"{name} {seconds / done * 1e6:,.0f}" for seconds, name in busy)
        total = sum(cpu.values()) / done * 1e6
        bench.say(f"  CPU per pair (µs, from /proc over the loop): {parts}; all {total:,.0f}")
    declared, declared_in = _synchronous(config.root)
    store = os.path.join(runner.data_dir, "evcsm.sqlite")
    observed, detail = _observed_synchronous(runner, store)
    bench.say(f"  synchronous: {declared} asked for in {declared_in}; in use: {observed or 'unknown'} ({detail})")
    synchronous, source = (observed, detail) if observed else (declared, declared_in)
    if observed and observed != declared:
        bench.note(f"The store asks for synchronous={declared} ({declared_in}) but its connection syncs like "
                   f"{observed} ({detail}); the ceiling uses what is in use.")
    ceiling, sequences, journal = _ceilings(store, synchronous, config.ceiling_seconds)
    bench.say(f"  store write ceiling: {ceiling:,.0f} commits/s (bare SQLite, journal_mode={journal} from the store "
              f"file, synchronous={synchronous} ({source}), store schema, one session row INSERT per transaction)")
    bench.say(f"  bare SQLite, a pair's own writes (UPDATE + INSERT, then 2 UPDATEs, of the same rows; two "
              f"transactions, as the start's and the stop's bulkWrite): "
              f"{sequences:,.0f} sequences/s")
    writes = config.writes_per_pair or WRITES_PER_PAIR_FROM_CODE
    writes_source = "BENCH_WRITES_PER_PAIR" if config.writes_per_pair else (
        "DataAPISessionStore: claim upsert + insertOne, stop CAS + release: two bulkWrites")
    per_pair = ceiling / writes
    r = ratio(pairs, per_pair)
    bench.say(f"  writes per pair: {writes} ({writes_source}); ceiling ÷ writes: {per_pair:,.0f} pairs/s; "
              f"pairs ÷ that: {fmt_ratio(r)}")
    bench.note(f"Store write ceiling: journal_mode={journal} (the store file), synchronous={synchronous}; "
               f"{writes} writes per start+stop pair ({writes_source}).")
    return [
        Row(f"store write ceiling: bare SQLite commits/s ({journal}, synchronous={synchronous})",
            fmt_rate(ceiling, "commits/s")),
        Row(f"  … bare SQLite, a pair's {writes} writes (UPDATE + INSERT, then 2 UPDATEs: two transactions)",
            fmt_rate(sequences, "sequences/s")),
        Row("start+stop pairs/s", fmt_rate(pairs, "pairs/s") + (" (errors)" if error else ""),
            f"{per_pair:,.0f} (ceiling ÷ {writes} writes)", fmt_ratio(r), "≥ 1,000/s and ≥ 0.5×",
            met=not error and pairs >= 1000 and r is not None and r >= 0.5),
    ]
