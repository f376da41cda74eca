"""Settings: defaults that work on a fresh machine, OPML_* overrides, clear errors."""

from pathlib import Path

import pytest

from opml_core import config
from opml_core.config import Workspace, load_settings
from opml_core.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("OPML_HOME", "OPML_SPARK_MASTER", "OPML_MLFLOW_TRACKING_URI", "OPML_MODEL_NAME",
                 "OPML_MAX_UPLOAD_MB", "OPML_SPARK_DRIVER_MEMORY", "OPML_WAREHOUSE_URI"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_local_spark_and_sqlite_mlflow_in_the_workspace():
    settings = load_settings()
    assert settings.home == Path(".opml")
    assert settings.spark_master == "local[*]"
    assert settings.tracking_uri == f"sqlite:///{Workspace(Path('.opml')).mlflow_db}"
    assert settings.max_upload_mb == 200


def test_environment_variables_override_the_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("OPML_HOME", str(tmp_path))
    monkeypatch.setenv("OPML_SPARK_MASTER", "sc://spark.example.com:15002")
    monkeypatch.setenv("OPML_MLFLOW_TRACKING_URI", "http://mlflow.example.com:5000")
    monkeypatch.setenv("OPML_MODEL_NAME", "term-deposit")
    settings = load_settings()
    assert settings.home == tmp_path
    assert settings.spark_master == "sc://spark.example.com:15002"
    assert settings.tracking_uri == "http://mlflow.example.com:5000"
    assert settings.model_name == "term-deposit"


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]", "spark://host:7077",
                                    "sc://host:15002", "yarn", "k8s://https://host:6443"])
def test_spark_master_accepts_local_cluster_and_connect_urls(monkeypatch, master):
    monkeypatch.setenv("OPML_SPARK_MASTER", master)
    assert load_settings().spark_master == master


@pytest.mark.parametrize("variable,value", [
    ("OPML_SPARK_MASTER", "localhost"),
    ("OPML_SPARK_DRIVER_MEMORY", "lots"),
    ("OPML_MLFLOW_TRACKING_URI", "not a uri"),
    ("OPML_MODEL_NAME", "has spaces in it"),
    ("OPML_MAX_UPLOAD_MB", "0"),
    ("OPML_MAX_UPLOAD_MB", "two hundred"),
])
def test_a_bad_value_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert variable in str(error.value)
    assert repr(value) in str(error.value) or value in str(error.value)


def test_secrets_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[opml]\nmodel_name = "from-secrets"\nmax_upload_mb = 50\n')
    monkeypatch.setattr(config, "SECRETS_FILE", secrets)
    monkeypatch.setenv("OPML_MAX_UPLOAD_MB", "75")
    settings = load_settings()
    assert settings.model_name == "from-secrets"
    assert settings.max_upload_mb == 75


def test_a_broken_secrets_file_says_which_file(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[opml\nmodel_name = ")
    monkeypatch.setattr(config, "SECRETS_FILE", secrets)
    with pytest.raises(ConfigError, match="secrets.toml is not valid TOML"):
        load_settings()


def test_workspace_keeps_every_kind_of_state_under_its_root(tmp_path):
    workspace = Workspace(tmp_path / "ws").ensure()
    for path in (workspace.warehouse, workspace.mlflow_db.parent, workspace.uploads,
                 workspace.deployments, workspace.usage):
        assert path.is_dir() and workspace.root in path.parents


def test_streamlit_refuses_uploads_over_opmls_own_limit_before_buffering_them():
    import tomllib

    streamlit = tomllib.loads((Path(__file__).parents[1] / ".streamlit/config.toml").read_text())
    assert streamlit["server"]["maxUploadSize"] == config.Settings.model_fields["max_upload_mb"].default


def test_the_app_listens_on_this_machine_only_by_default():
    import tomllib

    from opml_core.access import is_loopback

    streamlit = tomllib.loads((Path(__file__).parents[1] / ".streamlit/config.toml").read_text())
    assert streamlit["server"]["address"] == "127.0.0.1" and is_loopback(streamlit["server"]["address"])


def test_the_warehouse_defaults_to_the_workspace_folder_as_a_file_uri(monkeypatch, tmp_path):
    monkeypatch.setenv("OPML_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.warehouse == (tmp_path / "warehouse").resolve().as_uri()


@pytest.mark.parametrize("value,expected", [
    ("hdfs://namenode:8020/opml/", "hdfs://namenode:8020/opml"),
    ("abfss://data@acct.dfs.core.windows.net/opml", "abfss://data@acct.dfs.core.windows.net/opml"),
    ("dbfs:/opml", "dbfs:/opml"),
    ("/srv/shared/warehouse", "file:///srv/shared/warehouse"),
])
def test_the_warehouse_uri_setting_takes_uris_and_absolute_paths(monkeypatch, value, expected):
    monkeypatch.setenv("OPML_WAREHOUSE_URI", value)
    assert load_settings().warehouse == expected


def test_a_warehouse_that_is_not_a_uri_names_the_variable(monkeypatch):
    monkeypatch.setenv("OPML_WAREHOUSE_URI", "relative/folder")
    with pytest.raises(ConfigError, match="OPML_WAREHOUSE_URI"):
        load_settings()
