"""Spark servers on 127.0.0.1 started from PySpark's own jars: a Spark Connect server (with its
own warehouse directory) and a standalone master with one worker (with a warehouse folder of its
own), each warehouse outside any app's workspace.

``start_connect`` and ``start_standalone`` return a ``Server`` (its URL, its warehouse URI and
the processes), once it answers, within a bounded wait; ``Server.stop`` kills every process it started (each runs in
its own process group). The engine tests' fixtures and ``bench/engines.py`` use them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).resolve().parent
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_S = 120.0


@dataclass
class Server:
    """A running Spark server: the master URL to give OPML_SPARK_MASTER, the warehouse URI to
    give OPML_WAREHOUSE_URI, and its processes."""

    url: str
    warehouse: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: Path | None = None

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(folder: Path) -> dict[str, str]:
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_NO_DAEMONIZE": "1", "SPARK_LOG_DIR": str(folder / "logs"),
           "SPARK_PID_DIR": str(folder / "pids"), "SPARK_WORKER_DIR": str(folder / "work"),
           "PYSPARK_PYTHON": sys.executable}
    for name in ("logs", "pids", "work"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return env


def _spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _wait(ready, server: Server, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in server.processes):
            break
        if ready():
            return
        time.sleep(0.5)
    server.stop()
    tail = "".join(path.read_text(errors="replace")[-3000:] for path in sorted(server.logs.glob("*.log")))
    raise RuntimeError(f"The {what} did not start within {timeout:.0f} s; its logs end:\n{tail}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def start_connect(folder: Path, cores: int = 2) -> Server:
    """A Spark Connect server (local[cores]) whose warehouse is its own, not the app's."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = _environment(folder)
    command = [str(SPARK_HOME / "sbin" / "spark-daemon.sh"), "submit", CONNECT_CLASS, "1",
               "--name", "Spark Connect server", "--master", f"local[{cores}]",
               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", f"spark.connect.grpc.binding.port={port}",
               "--conf", f"spark.sql.warehouse.dir={folder / 'server-warehouse'}",
               "--conf", f"spark.local.dir={folder / 'tmp'}",
               "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1"]
    server = Server(f"sc://127.0.0.1:{port}", (folder / "server-warehouse").as_uri(),
                    logs=folder / "logs")
    server.processes.append(_spawn(command, env, folder / "logs" / "connect.log"))
    _wait(lambda: _answers(port), server, "Spark Connect server")
    return server


def start_standalone(folder: Path, cores: int = 2, memory: str = "2g") -> Server:
    """A standalone master and one worker (``cores`` cores), both on 127.0.0.1."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cluster-warehouse").mkdir(exist_ok=True)
    port, ui, worker_ui = free_port(), free_port(), free_port()
    env = _environment(folder)
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    server = Server(f"spark://127.0.0.1:{port}", (folder / "cluster-warehouse").as_uri(),
                    logs=folder / "logs")
    server.processes.append(_spawn(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(ui)], env, folder / "logs" / "master.log"))
    _wait(lambda: _answers(port), server, "standalone master")
    server.processes.append(_spawn(
        [spark_class, "org.apache.spark.deploy.worker.Worker", server.url, "--host", "127.0.0.1",
         "--cores", str(cores), "--memory", memory, "--webui-port", str(worker_ui),
         "--work-dir", str(folder / "work")], env, folder / "logs" / "worker.log"))
    _wait(lambda: _alive_workers(ui) >= 1, server, "standalone worker")
    return server


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as response:
            state = json.load(response)
    except (OSError, ValueError):
        return 0
    return sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE")
