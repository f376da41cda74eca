"""The opml loop — prepare, train, register, deploy, simulate, collect, monitor with the drift
classifier — runs unchanged on a Spark Connect server and on a standalone cluster, with the
figures it gives on local[2]: the same drift statistics, the model's AUC within 0.01."""

import pytest

pytestmark = pytest.mark.engines

LOCAL = "local[2]"
AUC_TOLERANCE = 0.01


def assert_same_figures(engine: dict, local: dict) -> None:
    assert engine["problems"] == {} and engine["failed"] == 0
    assert engine["roc_auc"] == pytest.approx(local["roc_auc"], abs=AUC_TOLERANCE)
    assert engine["collected"] == local["collected"] == [local["collected"][0], local["simulated_rows"]]
    assert engine["collected_again"] == [0, 0]  # exactly once
    assert [row[:3] for row in engine["drift"]] == [row[:3] for row in local["drift"]]
    assert [row[3] for row in engine["drift"]] == pytest.approx([row[3] for row in local["drift"]],
                                                                rel=1e-9, abs=1e-12, nan_ok=True)
    assert [w[0::2] for w in engine["classifier"]] == [w[0::2] for w in local["classifier"]]
    assert [w[1] for w in engine["classifier"]] == pytest.approx([w[1] for w in local["classifier"]],
                                                                 abs=AUC_TOLERANCE)


def test_the_journey_on_local_spark_collects_every_simulated_row_and_computes_drift(journey_figures):
    local = journey_figures(LOCAL)
    assert local["problems"] == {} and local["failed"] == 0
    assert local["collected"][1] == local["simulated_rows"] > 0
    assert local["drift"] and local["classifier"]


def test_the_journey_over_spark_connect_gives_the_figures_of_local_spark(connect_server, journey_figures):
    assert_same_figures(journey_figures(connect_server.url), journey_figures(LOCAL))


def test_the_journey_on_a_standalone_cluster_gives_the_figures_of_local_spark(standalone_cluster,
                                                                            journey_figures):
    assert_same_figures(journey_figures(standalone_cluster.url), journey_figures(LOCAL))
