"""A monitoring run: empty state, status cards in plain words, notes, and an HTML export."""

import pytest

from opml_core.monitor.charts import monitor_html
from opml_core.monitor.report import run_monitor
from opml_core.usage import STATE_DIR, collect_usage
from opml_core.usage.collect import _exclusive
from tests.monitor.conftest import copy_workspace, days_of, table_rows, write_usage


@pytest.fixture(scope="module")
def skewed(spark, trained_settings, tmp_path_factory):
    """Training rows replayed over 3 days, clients 25 years older from the second day on."""
    settings = copy_workspace(trained_settings, tmp_path_factory.mktemp("report") / "ws")
    days = days_of(table_rows(settings, "bank_train"), 3)
    days[1:] = [[(i, {**row, "age": row["age"] + 25}) for i, row in day] for day in days[1:]]
    write_usage(settings, "skewed", days)
    collect_usage(spark, settings)
    return settings


def test_a_deployment_without_usage_is_an_empty_state(spark, trained_settings, skewed):
    assert run_monitor(spark, trained_settings, "nobody-called-yet") is None  # no tables yet
    assert run_monitor(spark, skewed, "nobody-called-yet") is None  # tables, but not its rows


def test_the_drift_card_names_the_shifted_feature(spark, skewed):
    report = run_monitor(spark, skewed, "skewed", "1d")
    cards = {card.title: card for card in report.cards}
    assert cards["Drift"].level == "alert" and cards["Drift"].sentence.startswith("age drifted most")
    assert "as common as in training" in cards["Drift"].sentence
    assert cards["Usage"].level == "ok" and "0.0% failed" in cards["Usage"].sentence
    assert cards["Performance"].sentence.startswith("No outcomes yet")
    assert report.worst == "alert" and len(report.drift.windows) == 3


def test_windows_are_utc_times_whatever_the_machine_s_zone(spark, skewed):
    from datetime import timezone

    report = run_monitor(spark, skewed, "skewed", "1d")
    assert [w.tzinfo for w in report.drift.windows] == [timezone.utc] * 3
    assert report.drift.windows[0].isoformat() == "2026-03-02T00:00:00+00:00"


def test_lenient_thresholds_turn_the_drift_card_green_without_recomputing(spark, skewed):
    from opml_core.monitor.methods import METHODS
    from opml_core.monitor.report import with_thresholds

    report = run_monitor(spark, skewed, "skewed", "1d")
    lenient = {key: (1e9, 2e9) if m.higher_is_worse else (-1e9, -2e9) for key, m in METHODS.items()}
    calm = with_thresholds(report, lenient)
    assert {c.title: c.level for c in calm.cards}["Drift"] == "ok"
    assert {c.title: c.level for c in report.cards}["Drift"] == "alert"  # the cached one is kept


def test_a_model_without_training_metrics_still_gets_its_cards():
    from opml_core.monitor.performance import PerformanceResult
    from opml_core.monitor.report import _performance_card

    metrics = {"roc_auc": 0.7, "accuracy": 0.9, "precision": 0.5, "recall": 0.2, "f1": 0.3}
    result = PerformanceResult([{"window": None, "rows": 10, "labelled": 10, "realized": metrics,
                                 "estimated": metrics}], reference={})
    assert "(training n/a)" in _performance_card(result).sentence


def test_a_run_during_a_collect_says_so_and_uses_the_collected_rows(spark, skewed):
    with _exclusive(skewed.workspace.usage / STATE_DIR):
        report = run_monitor(spark, skewed, "skewed", "1d")
    assert "A collect is running" in report.notes[0]
    assert report.usage.requests > 0


def test_the_report_exports_as_one_html_page(spark, skewed):
    page = monitor_html(run_monitor(spark, skewed, "skewed", "1d", classifier=True))
    assert page.startswith("<html>") and "Monitoring report — skewed" in page
    assert page.count("plotly-graph-div") >= 6 and "age drifted most" in page


def test_an_unknown_window_is_refused(spark, skewed):
    from opml_core.errors import MonitorError

    with pytest.raises(MonitorError, match="Unknown window '2d'"):
        run_monitor(spark, skewed, "skewed", "2d")
