"""Watch a sandboxed child from the parent: the memory its whole process tree holds, and every
process it started.

``ProcessTree(pid)`` reads ``/proc`` only: ``scan()`` finds the child, every process in its
session and every descendant (so a JVM that Python started counts too), remembers each one and
returns the bytes they hold resident; ``kill()`` kills the session and every process ever seen
that is still the same process (same start time), even one that left the session. Nothing the
child declares changes what is counted, Spark or not; what a scan never saw (a process that
left the session and the tree between two scans) is neither counted nor killed.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
PROC = Path("/proc")


@dataclass(frozen=True)
class Process:
    """One line of ``/proc/<pid>/stat``, the fields the watch needs."""

    pid: int
    ppid: int
    session: int
    start: int  # clock ticks after boot: tells a process from a later one given the same pid
    resident: int  # bytes


def read_process(pid: int) -> Process | None:
    """The process ``pid`` now, or None when it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the name in brackets may hold spaces
    return Process(pid, int(fields[1]), int(fields[3]), int(fields[19]), int(fields[21]) * PAGE_BYTES)


def _all_processes() -> list[Process]:
    found = (read_process(int(entry.name)) for entry in PROC.iterdir() if entry.name.isdigit())
    return [p for p in found if p is not None]


class ProcessTree:
    """The processes a child started, found from ``/proc`` each time ``scan`` is called."""

    def __init__(self, root: int):
        self.root = root
        self.seen: dict[int, int] = {}  # pid -> start time, of every member ever found

    def scan(self) -> int:
        """Bytes resident in the tree now (shared pages counted in each process: an upper bound)."""
        processes = _all_processes()
        members = {p.pid: p for p in processes
                   if p.pid == self.root or p.session == self.root or self.seen.get(p.pid) == p.start}
        children: dict[int, list[Process]] = {}
        for process in processes:
            children.setdefault(process.ppid, []).append(process)
        stack = list(members)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child.pid not in members:
                    members[child.pid] = child
                    stack.append(child.pid)
        self.seen.update({pid: p.start for pid, p in members.items()})
        return sum(p.resident for p in members.values())

    def kill(self) -> None:
        """Kill the child's session and every member ever seen that is still running."""
        try:
            os.killpg(self.root, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid, start in self.seen.items():
            current = read_process(pid)
            if current is not None and current.start == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
