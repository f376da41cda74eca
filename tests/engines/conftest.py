"""Real Spark servers for the engine tests, shared by the test run: a Spark Connect server with
its own warehouse and a standalone master with one worker, both on 127.0.0.1, started from
PySpark's own jars with bounded waits and killed at the end. ``journey_figures`` runs the opml
loop on an engine in a subprocess (this process keeps its one local Spark session) and returns
what it measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.engines.journey import MARK
from tests.engines.servers import start_connect, start_standalone

JOURNEY_TIMEOUT_S = 600
KEPT_VARIABLES = ("OPML_DEPLOY_PORT_START",)


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    server = start_connect(tmp_path_factory.mktemp("spark-connect"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def standalone_cluster(tmp_path_factory):
    server = start_standalone(tmp_path_factory.mktemp("spark-standalone"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def journey_figures(tmp_path_factory, mlflow_template):
    """figures(master) → the journey's figures on that engine, each engine run once per session."""
    done: dict[str, dict] = {}

    def figures(master: str) -> dict:
        if master not in done:
            done[master] = _run_journey(master, tmp_path_factory.mktemp("journey"), mlflow_template)
        return done[master]
    return figures


def _run_journey(master: str, home, template) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPML_") or k in KEPT_VARIABLES}
    command = [sys.executable, "-m", "tests.engines.journey", "--home", str(home / "workspace"),
               "--master", master, "--mlflow-template", str(template)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=JOURNEY_TIMEOUT_S)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert done.returncode == 0 and lines, (f"The journey on {master} failed (exit {done.returncode}):"
                                            f"\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return json.loads(lines[-1][len(MARK):])
