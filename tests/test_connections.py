"""Settings' Test connection for Spark and MLflow: what works says so, what does not says why."""

from importlib import metadata

from opml_core import connections
from opml_core.config import load_settings
from tests.browser.conftest import free_port


def test_the_table_names_each_engine_and_never_shows_a_token(tmp_path):
    settings = load_settings(home=tmp_path, spark_master="sc://spark.example:443/;token=dapi-secret",
                             mlflow_tracking_uri="https://user:pw@mlflow.example")
    shown = str(connections.describe(settings))
    assert "Spark Connect (sc://spark.example:443/)" in shown and "a shared server" in shown
    assert "dapi-secret" not in shown and "pw@" not in shown
    assert f"PySpark {metadata.version('pyspark')}" in shown


def test_local_spark_reports_its_version(spark, tmp_path):
    settings = load_settings(home=tmp_path, spark_master="local[2]")
    check = connections.check_spark(settings, session_factory=lambda s: spark)
    assert check.ok and check.version == spark.version
    assert check.message == f"Connected to Spark on this machine: Spark {spark.version}."


def test_an_unreachable_connect_server_or_master_is_named(tmp_path):
    port = free_port()  # nothing listens there
    for master, words in ((f"sc://127.0.0.1:{port}", "Spark Connect at"),
                          (f"spark://127.0.0.1:{port}", "The Spark master at")):
        check = connections.check_spark(load_settings(home=tmp_path, spark_master=master))
        assert not check.ok and words in check.message and "is unreachable" in check.message
        assert f"127.0.0.1:{port}" in check.message


def test_spark_connect_without_the_connect_extra_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(connections, "_missing", lambda module: module == "grpc")
    check = connections.check_spark(load_settings(home=tmp_path, spark_master="sc://127.0.0.1:15002"))
    assert not check.ok and "(grpc missing)" in check.message
    assert f"pip install 'pyspark[connect]=={metadata.version('pyspark')}'" in check.message


def test_a_spark_of_another_version_is_named_with_both_versions(tmp_path):
    class Answering:  # what a session of another Spark release reports
        version = "3.5.1"

    check = connections.check_spark(load_settings(home=tmp_path, spark_master="local[2]"),
                                    session_factory=lambda s: Answering())
    assert not check.ok and "Spark 3.5.1 answered" in check.message
    assert f"PySpark {metadata.version('pyspark')}" in check.message


def test_the_workspace_store_and_an_unreachable_server_are_told_apart(tmp_path):
    assert connections.check_mlflow(load_settings(home=tmp_path)).ok
    check = connections.check_mlflow(load_settings(home=tmp_path,
                                                   mlflow_tracking_uri=f"http://127.0.0.1:{free_port()}"))
    assert not check.ok and "is unreachable" in check.message and "OPML_MLFLOW_TRACKING_URI" in check.message
