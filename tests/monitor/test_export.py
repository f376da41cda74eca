"""The HTML export says what the page says: why a cell is empty, and when the estimate is unsure."""

from datetime import datetime, timezone

import pandas as pd
import pytest

from opml_core.monitor.activity import UsageSummary
from opml_core.monitor.calculator import DriftCalculator, FeatureSpec
from opml_core.monitor.cards import status_cards
from opml_core.monitor.export import monitor_html
from opml_core.monitor.methods import NOT_FOR_KIND, TOO_LITTLE, blank_reason
from opml_core.monitor.performance import METRICS, PerformanceResult
from opml_core.monitor.report import MonitorReport

MONDAY = datetime(2026, 3, 2, tzinfo=timezone.utc)
UNSURE = "62% of its rows have scores where the model's calibration saw almost no test rows"


@pytest.fixture(scope="module")
def report(spark) -> MonitorReport:
    """Ten production rows (too few for KS and χ²) of a number and a category, and an estimate
    that failed its check."""
    reference = pd.DataFrame({"age": [float(a) for a in range(20, 80)] * 5,
                              "job": ["admin.", "student", "retired"] * 100})
    current = pd.DataFrame({"age": [30.0, 41.0] * 5, "job": ["admin.", "pilot"] * 5,
                            "window": [MONDAY] * 10})
    features = [FeatureSpec("age", "numeric"), FeatureSpec("job", "categorical",
                                                           ("admin.", "student", "retired"))]
    drift = DriftCalculator(features).fit(spark.createDataFrame(reference)).calculate(
        spark.createDataFrame(current), "window", "1d")
    metrics = {m: 0.8 for m in METRICS}
    window = {"window": MONDAY, "rows": 10, "labelled": 0, "realized": None, "estimated": metrics,
              "realized_band": None, "estimated_band": {m: (0.7, 0.9) for m in METRICS},
              "unreliable": UNSURE, "too_little": False}
    usage = UsageSummary([{"window": MONDAY, "version": "1", "requests": 2, "rows": 10, "errors": 0,
                           "error_rate": 0.0, "p50_ms": 0.3, "p95_ms": 0.5}], [],
                         2, 10, 0, MONDAY, MONDAY, ["1"])
    report = MonitorReport("watched", "1d", "2026-03-03T00:00:00+00:00", usage, drift=drift,
                           performance=PerformanceResult([window], {m: 0.85 for m in METRICS}))
    report.cards = status_cards(report)
    return report


def table_row(page: str, feature: str) -> list[str]:
    """The cells of a feature's row in the whole-period table."""
    row = page[page.index(f"<tr><td>{feature}</td>"):]
    return row[:row.index("</tr>")].replace("</td>", "").split("<td>")[2:]


def test_a_statistic_not_for_a_feature_s_kind_says_so_and_one_short_of_rows_says_too_little(report):
    page = monitor_html(report)
    header = page[page.index("<th>feature</th>"):]
    header = header[:header.index("</tr>")].replace("</th>", "").split("<th>")[2:]
    age, job = dict(zip(header, table_row(page, "age"))), dict(zip(header, table_row(page, "job")))
    assert age["Chi-squared p-value"] == job["Kolmogorov–Smirnov distance"] == NOT_FOR_KIND
    assert age["Kolmogorov–Smirnov distance"] == job["Chi-squared p-value"] == TOO_LITTLE
    assert job["Share of unseen categories"] == "0.5"  # one row is enough for it


def test_the_page_and_the_export_explain_an_empty_cell_with_the_same_words():
    assert blank_reason("ks", "categorical") == blank_reason("chi2_p", "numeric") == NOT_FOR_KIND
    assert blank_reason("ks", "numeric") == blank_reason("chi2_p", "categorical") == TOO_LITTLE


def test_the_export_warns_that_the_estimate_is_unreliable_as_the_page_does(report):
    warning = report.performance.unreliable_warning()
    assert warning == (f"The estimate is unreliable in 1 of 1 windows (crosses), e.g. "
                       f"2026-03-02 00:00: {UNSURE}.")
    assert warning.replace("'", "&#x27;") in monitor_html(report)
