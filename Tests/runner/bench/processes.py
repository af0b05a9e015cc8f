"""Child processes that die with the bench, and what /proc says about a process tree."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM when the bench exits, whatever way it exits."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """Popen that is tied to the bench's life (parent-death signal) and starts its own process group."""
    return subprocess.Popen(args, preexec_fn=_die_with_parent, start_new_session=True, **kwargs)


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; waits for the exit."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def rss_bytes(pid: int) -> int | None:
    """VmRSS of a process (resident set, shared library pages included), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def pss_and_anonymous(pid: int) -> tuple[int, int] | None:
    """(Pss, Anonymous) of a process in bytes from /proc/<pid>/smaps_rollup: its proportional share of the pages
    it maps (shared library pages divided among the processes mapping them) and its private heap/stack pages."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in ("Pss", "Anonymous"):
                    values[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return (values["Pss"], values["Anonymous"]) if len(values) == 2 else None


def stat(pid: int | str) -> tuple[str, list[str]] | None:
    """A process's command name and the fields of /proc/<pid>/stat after it (from `state` on); None when gone.
    The name is in parentheses and may contain spaces: the fields follow its last ')'."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, found through the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        found_stat = stat(entry)
        if found_stat is None:
            continue
        ppid = int(found_stat[1][1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def executable(pid: int) -> str:
    """The path of a process's executable ('' when it cannot be read)."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""
