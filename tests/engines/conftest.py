"""Real Spark servers for the engine tests, shared by the test run: a Spark Connect server with
its own warehouse and a standalone master with one worker, both on 127.0.0.1, started from
PySpark's own jars with bounded waits and killed at the end. ``journey_figures`` runs the opml
loop on an engine (with the engine's warehouse, outside the app's workspace) in a subprocess, and
``spark_check`` the Settings page's Test connection (this process keeps its one local Spark
session, and never becomes a Spark Connect client); both return what they found."""

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
CHECK_TIMEOUT_S = 180
CHECK = ("import json, sys; from opml_core.config import load_settings; "
         "from opml_core.connections import check_spark; "
         "print(json.dumps(vars(check_spark(load_settings(home=sys.argv[1], spark_master=sys.argv[2])))))")
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
    """figures(master, warehouse) → the journey's figures on that engine (``warehouse``: its
    warehouse URI, None for the workspace's folder), each engine run once per session."""
    done: dict[str, dict] = {}

    def figures(master: str, warehouse: str | None = None) -> dict:
        if master not in done:
            done[master] = _run_journey(master, warehouse, tmp_path_factory.mktemp("journey"),
                                        mlflow_template)
        return done[master]
    return figures


@pytest.fixture
def spark_check(tmp_path):
    """check(master) → the Settings page's check_spark against that master, as a dict."""
    def check(master: str) -> dict:
        done = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path / "workspace"), master],
                              cwd=ROOT, env=_environment(), capture_output=True, text=True,
                              timeout=CHECK_TIMEOUT_S)
        assert done.returncode == 0, f"check_spark on {master} failed:\n{done.stderr[-3000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])
    return check


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OPML_") or k in KEPT_VARIABLES}


def _run_journey(master: str, warehouse: str | None, home, template) -> dict:
    command = [sys.executable, "-m", "tests.engines.journey", "--home", str(home / "workspace"),
               "--master", master, "--mlflow-template", str(template)]
    if warehouse:
        command += ["--warehouse", warehouse]
    done = subprocess.run(command, cwd=ROOT, env=_environment(), capture_output=True, text=True,
                          timeout=JOURNEY_TIMEOUT_S)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert done.returncode == 0 and lines, (f"The journey on {master} failed (exit {done.returncode}):"
                                            f"\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return json.loads(lines[-1][len(MARK):])
