"""The Settings page says which Spark and MLflow the app uses and tests each on a click."""

from tests.app.conftest import open_page, texts


def test_settings_names_spark_and_mlflow_and_tests_both(spark, settings):
    at = open_page("settings")
    assert not at.exception
    at.button(key="settings.mlflow.test").click().run()
    assert "The workspace's own MLflow store (SQLite)" in texts(at.success)
    at.button(key="settings.spark.test").click().run()
    assert f"Spark {spark.version}." in texts(at.success)
