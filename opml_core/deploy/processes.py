"""Server processes on this machine: the environment they start with, alive or not, whose they
are, stopping a process group, and whether a port is free. The local target builds on these;
they know nothing of MLflow."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

STOP_S = 10.0
# Set by PySpark in a process that has a Spark Connect session (or asked for one): an endpoint
# that inherited them would take Connect's branch when it builds its own local Spark.
SPARK_SESSION_VARIABLES = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE",
                           "SPARK_API_MODE")


def server_environment(env: dict | None = None) -> dict:
    """``env`` (default: this process's environment) without the app's Spark session variables."""
    base = os.environ if env is None else env
    return {k: v for k, v in base.items() if k not in SPARK_SESSION_VARIABLES}


def alive(pid: int | None) -> bool:
    """The process exists (a child of ours that has exited is reaped and counts as gone)."""
    if not pid:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our child that has exited: reaped now
            return False
    except ChildProcessError:
        pass  # not our child (started before an app restart): ask the kernel instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serves_folder(pid: int | None, module: str, folder: Path) -> bool:
    """The process is alive and runs ``python -m <module>`` for this folder."""
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return module.encode() in cmdline and str(folder).encode() in cmdline


def stop_group(pid: int, grace_s: float = STOP_S) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after ``grace_s``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    if alive(pid):
        os.killpg(pid, signal.SIGKILL)


def bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
