"""The opml loop — prepare, train, register, deploy, simulate, collect, label, monitor with the
drift classifier — runs unchanged on a Spark Connect server and on a standalone cluster, each
with a warehouse outside the app's workspace and with progress to show while it trains, with the
figures it gives on local[2]: the same drift statistics and labels, the model's AUC and the
realized performance within 0.01, and not one file in the workspace's own warehouse folder. The
Settings page's Test connection reaches both servers."""

from importlib import metadata

import pytest

pytestmark = pytest.mark.engines

LOCAL = "local[2]"
AUC_TOLERANCE = 0.01


def assert_same_figures(engine: dict, local: dict, warehouse: str) -> None:
    assert engine["problems"] == {} and engine["failed"] == 0
    assert engine["progress_seen"], "the app's progress bars would show nothing on this engine"
    assert engine["warehouse"] == warehouse.rstrip("/")
    assert engine["local_warehouse_files"] == 0, engine["local_warehouse_examples"]  # nothing by path
    assert engine["roc_auc"] == pytest.approx(local["roc_auc"], abs=AUC_TOLERANCE)
    assert engine["collected"] == local["collected"] == [local["collected"][0], local["simulated_rows"]]
    assert engine["collected_again"] == [0, 0]  # exactly once
    assert engine["labels"] == local["labels"]
    assert [row[:3] for row in engine["drift"]] == [row[:3] for row in local["drift"]]
    assert [row[3] for row in engine["drift"]] == pytest.approx([row[3] for row in local["drift"]],
                                                                rel=1e-9, abs=1e-12, nan_ok=True)
    assert [w[0::2] for w in engine["classifier"]] == [w[0::2] for w in local["classifier"]]
    assert [w[1] for w in engine["classifier"]] == pytest.approx([w[1] for w in local["classifier"]],
                                                                 abs=AUC_TOLERANCE)
    assert [w[:3] for w in engine["performance"]] == [w[:3] for w in local["performance"]]
    assert realized(engine) == pytest.approx(realized(local), abs=AUC_TOLERANCE, nan_ok=True)


def realized(figures: dict) -> list[float]:
    """Every realized metric of every window, in order (windows without them give none)."""
    return [value for *_, metrics in figures["performance"] for _, value in sorted((metrics or {}).items())]


def test_the_journey_on_local_spark_collects_labels_and_measures_every_simulated_row(journey_figures):
    local = journey_figures(LOCAL)
    assert local["problems"] == {} and local["failed"] == 0 and local["progress_seen"]
    assert local["collected"][1] == local["simulated_rows"] > 0
    assert local["drift"] and local["classifier"]
    revealed, corrected, total = local["labels"]
    assert revealed == total == local["simulated_rows"] and 0 < corrected < revealed
    assert len([w for w in local["performance"] if w[3]]) >= 2  # realized where outcomes are known
    assert local["local_warehouse_files"] > 0  # the count sees tables written by path


def test_the_journey_over_spark_connect_gives_the_figures_of_local_spark(connect_server, journey_figures):
    figures = journey_figures(connect_server.url, connect_server.warehouse)
    assert_same_figures(figures, journey_figures(LOCAL), connect_server.warehouse)


def test_the_journey_on_a_standalone_cluster_gives_the_figures_of_local_spark(standalone_cluster,
                                                                            journey_figures):
    figures = journey_figures(standalone_cluster.url, standalone_cluster.warehouse)
    assert_same_figures(figures, journey_figures(LOCAL), standalone_cluster.warehouse)


@pytest.mark.parametrize("server,kind", [("connect_server", "Spark Connect"),
                                         ("standalone_cluster", "a Spark cluster")])
def test_test_connection_reaches_the_server_and_reports_its_version(server, kind, request, spark_check):
    check = spark_check(request.getfixturevalue(server).url)
    version = metadata.version("pyspark")
    assert check == {"ok": True, "message": f"Connected to {kind}: Spark {version}.", "version": version}
