"""A team's shared MLflow: an `mlflow server` over HTTP with proxied artifacts, started here.

Train, register, alias, deploy and submit all go through HTTP; the compiled scorer comes back
from the server's artifact store; the app's workspace holds no MLflow files.
"""

import subprocess
import sys
import time
import urllib.request

import pytest
import requests

from opml_core.config import Workspace, load_settings
from tests.browser.conftest import free_port


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    """`mlflow server` on 127.0.0.1 with a SQLite backend and --serve-artifacts."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = open(root / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--serve-artifacts", "--artifacts-destination", str(root / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = (root / "server.log").read_text()[-2000:]
                    raise RuntimeError(f"mlflow server did not start: {tail}")
                time.sleep(0.5)
        yield url, root
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def shared(mlflow_server, tmp_path_factory, spark, bank_small):
    from opml_core.data import prepare_tables
    from tests.conftest import bank_spec

    url, _ = mlflow_server
    home = tmp_path_factory.mktemp("shared-ws")
    settings = load_settings(home=home, spark_master="local[2]", mlflow_tracking_uri=url)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec())
    return settings


def test_train_register_alias_deploy_and_submit_through_a_shared_server(spark, shared, mlflow_server,
                                                                        tmp_path):
    from opml_core.deploy import get_target
    from opml_core.registry import list_versions, set_alias
    from opml_core.submission import submit_model_zip
    from opml_core.train import TrainSpec, train_and_log
    from tests.conftest import TINY_FOREST
    from tests.serve.conftest import bank_row
    from tests.test_submission import pyfunc_zip

    url, server_root = mlflow_server
    result = train_and_log(spark, shared, TrainSpec("bank_train", params=TINY_FOREST))
    set_alias(shared, "opml-model", result.version, "champion")
    assert [v.aliases for v in list_versions(shared)] == [["champion"]]
    compiled = list((server_root / "artifacts").rglob("compiled.npz"))
    assert compiled, "the compiled scorer is kept in the server's artifact store"

    target = get_target("local", shared)
    info = target.deploy("shared-endpoint", "opml-model", "champion")
    try:
        answer = requests.post(info.scoring_uri, json={"data": [bank_row()]}, timeout=30,
                               headers={"Authorization": f"Bearer {target.keys('shared-endpoint').primary}"})
        assert answer.status_code == 200 and 0 <= answer.json()["predictions"][0]["probability"] <= 1
        assert target.get("shared-endpoint").engine == "compiled"
    finally:
        target.delete("shared-endpoint")

    logged = submit_model_zip(shared, pyfunc_zip(tmp_path), "doubler.zip", "doubler")
    assert logged.version == "1"
    registered = requests.get(f"{url}/api/2.0/mlflow/registered-models/search", timeout=10).json()
    assert {m["name"] for m in registered["registered_models"]} == {"opml-model", "doubler"}

    mlflow_files = [p for p in Workspace(shared.home).mlflow_dir.rglob("*") if p.is_file()] \
        if Workspace(shared.home).mlflow_dir.exists() else []
    assert mlflow_files == [], "the workspace holds no MLflow store or artifacts"


def test_test_connection_reports_the_servers_mlflow_version(shared):
    from importlib import metadata

    from opml_core.connections import check_mlflow

    check = check_mlflow(shared)
    assert check.ok and check.version == metadata.version("mlflow")
    assert check.message.startswith("Connected to the MLflow server at http://127.0.0.1:")
