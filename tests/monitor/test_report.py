"""A monitoring run: empty state, status cards in plain words, notes, and an HTML export."""

import pytest

from opml_core.monitor.export import monitor_html
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


@pytest.fixture(scope="module")
def with_a_lone_request(spark, skewed):
    """'lonely': a busy afternoon, then one ad hoc request of one row the next day."""
    pairs = table_rows(skewed, "bank_train")
    write_usage(skewed, "lonely", [pairs[:300], pairs[300:301]], rows_per_request=5)
    collect_usage(spark, skewed)
    return skewed


def test_hour_windows_with_a_one_row_window_say_too_little_data_and_break_nothing(
        spark, with_a_lone_request):
    from opml_core.monitor.methods import TOO_LITTLE

    report = run_monitor(spark, with_a_lone_request, "lonely", "1h", classifier=True)
    assert report.problems == {}
    lone = report.drift.windows[-1]
    assert report.drift.rows[lone] == 1 and lone in report.drift.too_little()
    assert report.drift.value("age", "psi", lone).status == TOO_LITTLE
    assert report.drift.value("job", "unseen", lone).status != TOO_LITTLE  # one row is enough
    assert list(report.classifier.too_little.values()) == [1]
    assert report.classifier.windows and all(v.rows >= 50 for v in report.classifier.windows)
    assert report.performance.per_window[-1]["too_little"]
    assert report.performance.per_window[-1]["estimated"] is None
    assert {c.title for c in report.cards} >= {"Usage", "Drift", "Performance", "Drift classifier"}
    page = monitor_html(report)
    assert "1 window(s) had too little data for some statistics" in page  # the Drift card
    assert "1 window(s) had too little data for the classifier" in page


def test_a_section_that_fails_says_so_and_leaves_the_others(spark, skewed, monkeypatch):
    from opml_core.monitor import performance

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(performance, "performance_over_time", broken)
    report = run_monitor(spark, skewed, "skewed", "1d")
    assert "disk on fire" in report.problems["performance"]
    assert "rest of the report is unaffected" in report.problems["performance"]
    assert report.performance is None and report.drift is not None
    cards = {c.title: c for c in report.cards}
    assert cards["Performance"].level == "info" and cards["Drift"].level == "alert"


def test_a_deployment_without_usage_is_an_empty_state(spark, trained_settings, skewed):
    assert run_monitor(spark, trained_settings, "nobody-called-yet") is None  # no tables yet
    assert run_monitor(spark, skewed, "nobody-called-yet") is None  # tables, but not its rows


def test_the_drift_card_names_the_shifted_feature(spark, skewed):
    report = run_monitor(spark, skewed, "skewed", "1d")
    cards = {card.title: card for card in report.cards}
    drift = cards["Drift"]
    assert drift.level == "alert" and "Shifted segments: age above" in drift.sentence
    assert "in training (" in drift.sentence and "× as common)" in drift.sentence
    assert [i.feature for i in drift.items if i.group == "Shifted segments"][0] == "age"
    assert drift.items[0].anchor == "drift-age"
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
    from opml_core.monitor.cards import performance_card as _performance_card

    metrics = {"roc_auc": 0.7, "accuracy": 0.9, "precision": 0.5, "recall": 0.2, "f1": 0.3}
    band = {m: (0.1, 0.9) for m in metrics}
    result = PerformanceResult([{"window": None, "rows": 10, "labelled": 10, "realized": metrics,
                                 "estimated": metrics, "realized_band": band, "estimated_band": band,
                                 "unreliable": None, "too_little": False}], reference={})
    assert "(training n/a)" in _performance_card(result).sentence


def test_a_run_during_a_collect_says_so_and_uses_the_collected_rows(spark, skewed):
    with _exclusive(skewed.workspace.usage / STATE_DIR):
        report = run_monitor(spark, skewed, "skewed", "1d")
    assert "A collect is running" in report.notes[0]
    assert report.usage.requests > 0


def test_the_report_exports_as_one_html_page(spark, skewed):
    report = run_monitor(spark, skewed, "skewed", "1d", classifier=True)
    page = monitor_html(report)
    assert page.startswith("<html>") and "Monitoring report — skewed" in page
    assert "<a href='#drift-age'>age above" in page and "<h3 id='drift-age'>age</h3>" in page
    for method in report.drift.methods:  # a heatmap per statistic, and every one in the table
        assert f"Drift by feature and window: {method.name}" in page
        assert f"<th>{method.name}</th>" in page
    assert "Kolmogorov–Smirnov p-value" in page and "Chi-squared p-value" in page
    assert page.count("plotly-graph-div") >= 2 + 5 + len(report.drift.methods) + 2
    assert "<script src=" not in page and "plotly.js v" in page  # embedded: opens offline
    assert "had too little data" not in page  # every day holds hundreds of rows


def test_an_unknown_window_is_refused(spark, skewed):
    from opml_core.errors import MonitorError

    with pytest.raises(MonitorError, match="Unknown window '5d'"):
        run_monitor(spark, skewed, "skewed", "5d")
