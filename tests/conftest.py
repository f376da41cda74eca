"""Shared fixtures: one local Spark per test run, a fresh workspace and MLflow store per test,
a small seeded sample of the bundled data, and prepared tables built from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opml_core import config
from opml_core.config import Settings, Workspace, load_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_FRACTION = 0.08  # about 3,300 of the 41,188 bundled rows


@pytest.fixture(autouse=True, scope="session")
def _no_developer_secrets(tmp_path_factory):
    """Tests never read a developer's own .streamlit/secrets.toml."""
    original = config.SECRETS_FILE
    config.SECRETS_FILE = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    yield
    config.SECRETS_FILE = original


AZUREML_ENV = ROOT / ".venv-azureml"  # built by `make test` (the Azure package's environment)


@pytest.fixture(autouse=True, scope="session")
def _azure_package_environment():
    """azureml-local serves from the environment `make test` built, not one per workspace."""
    import os

    previous = os.environ.get("OPML_AZUREML_LOCAL_ENV")
    os.environ["OPML_AZUREML_LOCAL_ENV"] = str(AZUREML_ENV)
    yield
    if previous is None:
        os.environ.pop("OPML_AZUREML_LOCAL_ENV", None)
    else:
        os.environ["OPML_AZUREML_LOCAL_ENV"] = previous


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The test run's one SparkSession (local[2], few shuffle partitions)."""
    from opml_core.spark import get_spark

    settings = load_settings(home=tmp_path_factory.mktemp("spark-home"), spark_master="local[2]",
                             spark_shuffle_partitions=4)
    session = get_spark(settings)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory) -> Path:
    """An empty, already-migrated MLflow SQLite store, copied for each test (migrating is slow)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    store = SqlAlchemyStore(f"sqlite:///{path}", (path.parent / "artifacts").as_uri())
    store.engine.dispose()
    return path


def make_settings(home: Path, template: Path) -> Settings:
    workspace = Workspace(home).ensure()
    shutil.copy(template, workspace.mlflow_db)
    return load_settings(home=home, spark_master="local[2]")


@pytest.fixture
def settings(tmp_path, monkeypatch, mlflow_template) -> Settings:
    """Settings for a fresh workspace, also exported as OPML_* for pages and the CLI."""
    home = tmp_path / "workspace"
    monkeypatch.setenv("OPML_HOME", str(home))
    monkeypatch.setenv("OPML_SPARK_MASTER", "local[2]")
    for name in ("OPML_MLFLOW_TRACKING_URI", "OPML_MODEL_NAME", "OPML_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    return make_settings(home, mlflow_template)


@pytest.fixture(scope="session")
def bank(spark):
    """The full bundled dataset, loaded once."""
    from opml_core.data import load_bundled

    return load_bundled(spark)


@pytest.fixture(scope="session")
def bank_small(bank):
    """A seeded ~8% sample of the bundled data, in file order, with the same names."""
    from dataclasses import replace

    return replace(bank, df=bank.df.sample(fraction=SAMPLE_FRACTION, seed=7).cache())


def bank_spec(**changes):
    """The usual choices for the bank data: temporal 80/20 split, `duration` left out."""
    from opml_core.data import PrepareSpec, SplitSpec

    features = ["age", "job", "marital", "education", "default", "housing", "loan", "contact",
                "month", "day_of_week", "campaign", "pdays", "previous", "poutcome",
                "emp_var_rate", "cons_price_idx", "cons_conf_idx", "euribor3m", "nr_employed"]
    values = dict(target="y", positive_class="yes", features=features,
                  training_table="bank_train", operations_table="bank_ops",
                  split=SplitSpec("temporal", 0.2))
    values.update(changes)
    return PrepareSpec(**values)


@pytest.fixture
def prepared(spark, settings, bank_small):
    """bank_train and bank_ops prepared from the small sample in this test's workspace."""
    from opml_core.data import prepare_tables

    return prepare_tables(spark, settings.workspace, bank_small, bank_spec())


TINY_FOREST = {"numTrees": 10, "maxDepth": 5}


@pytest.fixture(scope="module")
def trained_settings(tmp_path_factory, mlflow_template, spark, bank_small):
    """A module's workspace: bank_train/bank_ops prepared and a small forest registered as
    opml-model version 1, aliased champion."""
    from opml_core.data import prepare_tables
    from opml_core.registry import set_alias
    from opml_core.train import TrainSpec, train_and_log

    settings = make_settings(tmp_path_factory.mktemp("trained-ws"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec())
    train_and_log(spark, settings, TrainSpec("bank_train", params=TINY_FOREST))
    set_alias(settings, "opml-model", "1", "champion")
    return settings


def delete_deployments(settings: Settings) -> None:
    """Delete every deployment on this machine of a workspace (a fixture's teardown)."""
    from opml_core.deploy import get_target

    for key in ("local", "azureml-local"):
        target = get_target(key, settings)
        for info in target.list():
            target.delete(info.name)


@pytest.fixture
def in_workspace(monkeypatch):
    """Point the OPML_* environment (pages, CLI) at a given settings' workspace."""
    def point(settings: Settings) -> Settings:
        monkeypatch.setenv("OPML_HOME", str(settings.home))
        monkeypatch.setenv("OPML_SPARK_MASTER", "local[2]")
        monkeypatch.delenv("OPML_MLFLOW_TRACKING_URI", raising=False)
        return settings
    return point


@pytest.fixture(autouse=True, scope="session")
def _no_endpoint_outlives_the_tests(tmp_path_factory):
    """Endpoints run in their own sessions (they outlive the app by design); stop the tests' ones."""
    yield
    import os
    import signal

    marker = str(tmp_path_factory.getbasetemp()).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if (b"opml_core.serve" in cmdline or b"gunicorn" in cmdline) and marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


AZURE_WORKSPACE = {"azure_subscription_id": "11111111-2222-3333-4444-555555555555",
                   "azure_resource_group": "rg-opml", "azure_workspace": "ws-opml"}


@pytest.fixture(scope="module")
def fake_azure(tmp_path_factory):
    """The fake cloud at the Azure seam (tests/azure/fake_cloud.py): every Azure call goes to it,
    and long operations are polled without waiting."""
    from opml_core.azure.connection import use_client
    from opml_core.deploy.cloud import CloudTarget
    from tests.azure.fake_cloud import FakeAzure

    fake = FakeAzure(tmp_path_factory.mktemp("fake-azure"))
    use_client(fake)
    original = CloudTarget.poll_s
    CloudTarget.poll_s = 0.0
    yield fake
    CloudTarget.poll_s = original
    use_client(None)
    fake.shutdown()


@pytest.fixture(scope="module")
def azure_settings(trained_settings, fake_azure):
    """The module's trained workspace, connected to the fake Azure ML workspace."""
    return trained_settings.model_copy(update=AZURE_WORKSPACE)
