"""An endpoint that scores through Spark builds its own classic local Spark, whatever Spark
session the app that started it holds."""

import requests

from opml_core.deploy import RUNNING, get_target
from opml_core.scoring.payloads import score_body
from tests.scoring.test_bundle import register_spark_only_model


def test_an_endpoint_started_by_an_app_on_spark_connect_still_scores_through_its_own_spark(
        spark, settings, tmp_path, monkeypatch):
    version = register_spark_only_model(spark, settings, tmp_path)
    target = get_target("local", settings)
    try:
        with monkeypatch.context() as connected:  # what PySpark leaves in an app on Spark Connect
            connected.setenv("SPARK_CONNECT_MODE_ENABLED", "1")
            connected.setenv("SPARK_REMOTE", "sc://127.0.0.1:1")
            info = target.deploy("through-spark", "bucketed", version, auth=False)
        assert (info.status, info.engine) == (RUNNING, "spark")
        response = requests.post(info.scoring_uri, data=score_body([{"x": 3.0}, {"x": 25.0}]),
                                 timeout=60)
        assert response.status_code == 200, response.text
        assert [0 <= p["probability"] <= 1 for p in response.json()["predictions"]] == [True, True]
    finally:
        target.delete("through-spark")
