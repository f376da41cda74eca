"""The drift calculator aggregates in Spark and agrees with the statistics on raw data."""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from opml_core.errors import MonitorError
from opml_core.monitor import calculator, stats
from opml_core.monitor.calculator import DriftCalculator, FeatureSpec

MONDAY, TUESDAY = datetime(2026, 3, 2), datetime(2026, 3, 3)
FEATURES = [FeatureSpec("age", "numeric"), FeatureSpec("emp.var.rate", "numeric"),
            FeatureSpec("job", "categorical", ("admin.", "student", "retired"))]


@pytest.fixture(scope="module")
def frames(spark):
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"age": rng.integers(18, 70, 2000).astype(float),
                              "emp.var.rate": rng.normal(0, 1, 2000).round(1),
                              "job": rng.choice(["admin.", "student", "retired"], 2000, p=[.6, .3, .1])})
    monday = reference.sample(800, random_state=1).assign(window=MONDAY)
    tuesday = pd.DataFrame({"age": rng.integers(40, 90, 800).astype(float),  # older
                            "emp.var.rate": rng.normal(0, 1, 800).round(1),
                            "job": rng.choice(["admin.", "student", "pilot"], 800, p=[.5, .3, .2]),
                            "window": TUESDAY})
    current = pd.concat([monday, tuesday])
    return reference, current, spark.createDataFrame(reference), spark.createDataFrame(current)


def test_each_value_equals_the_statistic_on_the_raw_rows(frames):
    reference, current, ref_frame, cur_frame = frames
    result = DriftCalculator(FEATURES).fit(ref_frame).calculate(cur_frame, "window")
    tuesday = current[current.window == TUESDAY]
    age = stats.numeric_counts(reference["age"], tuesday["age"])
    assert result.value("age", "psi", TUESDAY).value == pytest.approx(stats.psi_numeric(age))
    assert result.value("age", "ks", TUESDAY).value == pytest.approx(stats.ks_test(age).statistic)
    rate = stats.numeric_counts(reference["emp.var.rate"], current["emp.var.rate"])
    assert result.value("emp.var.rate", "wasserstein").value == pytest.approx(
        stats.wasserstein_normalised(rate))
    job = stats.categorical_counts(reference["job"], tuesday["job"], ["admin.", "student", "retired"])
    assert result.value("job", "jensen_shannon", TUESDAY).value == pytest.approx(stats.jensen_shannon(job))
    assert result.value("job", "unseen", TUESDAY).value == pytest.approx(0.2, abs=0.04)


def test_the_shifted_window_is_flagged_and_the_copied_one_is_not(frames):
    _, _, ref_frame, cur_frame = frames
    result = DriftCalculator(FEATURES).fit(ref_frame).calculate(cur_frame, "window")
    assert result.feature_status(MONDAY) == {"age": "ok", "emp.var.rate": "ok", "job": "ok"}
    assert result.feature_status(TUESDAY)["age"] == "alert"
    assert {v.feature for v in result.ranking()[:2]} == {"age", "job"}
    assert result.ranking()[-1].feature == "emp.var.rate"
    shift = result.segments[("age", TUESDAY)]
    assert shift.ratio > 2 and shift.current_share > shift.reference_share


def test_thresholds_can_be_changed(frames):
    _, _, ref_frame, cur_frame = frames
    lenient = DriftCalculator(FEATURES, thresholds={"psi": (50, 100), "unseen": (0.5, 0.9),
                                                    "segment": (50, 100)})
    result = lenient.fit(ref_frame).calculate(cur_frame, "window")
    assert result.feature_status(TUESDAY)["age"] == "ok"


def test_other_thresholds_rejudge_the_values_as_a_fresh_calculation_would(frames):
    _, _, ref_frame, cur_frame = frames
    lenient = {"psi": (50, 100), "unseen": (0.5, 0.9), "segment": (50, 100)}
    strict = DriftCalculator(FEATURES).fit(ref_frame).calculate(cur_frame, "window")
    rejudged = strict.with_thresholds(lenient)
    fresh = DriftCalculator(FEATURES, thresholds=lenient).fit(ref_frame).calculate(cur_frame, "window")
    assert strict.feature_status(TUESDAY)["age"] != "ok"
    assert rejudged.values == fresh.values and rejudged.thresholds == lenient


def test_many_distinct_values_are_counted_on_a_quantile_grid(spark, monkeypatch):
    monkeypatch.setattr(calculator, "MAX_DISTINCT", 50)
    rng = np.random.default_rng(9)
    reference = pd.DataFrame({"balance": rng.normal(1000, 200, 3000)})
    current = pd.DataFrame({"balance": rng.normal(1100, 200, 1000), "window": MONDAY})
    result = DriftCalculator([FeatureSpec("balance", "numeric")]).fit(
        spark.createDataFrame(reference)).calculate(spark.createDataFrame(current), "window")
    exact = stats.psi_numeric(stats.numeric_counts(reference["balance"], current["balance"]))
    assert result.value("balance", "psi", MONDAY).value == pytest.approx(exact, abs=0.05)
    assert len(result.shares[("balance", MONDAY)][0]) <= 10


def test_an_unknown_method_lists_the_valid_ones():
    with pytest.raises(MonitorError, match="Unknown drift method 'entropy'; choose among psi, segment, ks"):
        DriftCalculator(FEATURES, methods=["entropy"])


def test_calculating_before_fitting_is_refused(frames):
    with pytest.raises(MonitorError, match="Fit the calculator"):
        DriftCalculator(FEATURES).calculate(frames[3], "window")


def test_the_result_reads_as_a_table_and_plots(frames):
    _, _, ref_frame, cur_frame = frames
    result = DriftCalculator(FEATURES).fit(ref_frame).calculate(cur_frame, "window")
    table = result.to_df()
    assert {"feature", "window", "method", "value", "status"} <= set(table.columns)
    assert result.plot("heatmap").data[0].type == "heatmap"
    assert len(result.plot("overlay", feature="job", window=TUESDAY).data) == 2


def test_a_window_with_too_many_distinct_values_is_counted_on_a_grid_too(spark, monkeypatch):
    monkeypatch.setattr(calculator, "MAX_DISTINCT", 50)
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"score": rng.integers(0, 40, 3000).astype(float)})  # 40 values
    current = pd.DataFrame({"score": rng.uniform(0, 60, 2000), "window": MONDAY})  # all distinct
    calc = DriftCalculator([FeatureSpec("score", "numeric")]).fit(spark.createDataFrame(reference))
    result = calc.calculate(spark.createDataFrame(current), "window")
    assert "score" in calc._grids
    counts = len(calc._reference["score"])
    assert counts <= 50 and result.value("score", "psi", MONDAY).value > 0.1


def test_a_window_crowding_one_feature_while_another_is_already_on_a_grid(spark, monkeypatch):
    monkeypatch.setattr(calculator, "MAX_DISTINCT", 50)
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"balance": rng.normal(1000, 200, 3000),  # on a grid from the start
                              "score": rng.integers(0, 40, 3000).astype(float)})
    current = pd.DataFrame({"balance": rng.normal(1000, 200, 2000),
                            "score": rng.uniform(0, 60, 2000), "window": MONDAY})  # crowded here
    calc = DriftCalculator([FeatureSpec("balance", "numeric"), FeatureSpec("score", "numeric")])
    result = calc.fit(spark.createDataFrame(reference)).calculate(spark.createDataFrame(current),
                                                                  "window")
    assert set(calc._grids) == {"balance", "score"}
    assert result.value("score", "psi", MONDAY).value > 0.1
    assert result.value("balance", "psi", MONDAY).value < 0.1


def test_a_flood_of_unseen_categories_is_counted_as_one_and_the_unseen_share_stays_exact(
        spark, monkeypatch):
    monkeypatch.setattr(calculator, "MAX_DISTINCT", 5)
    reference = pd.DataFrame({"job": ["admin.", "student", "retired"] * 100})
    ids = [f"client-{i}" for i in range(60)]  # someone sent ids where jobs belong
    current = pd.DataFrame({"job": ["admin.", "retired"] * 20 + ids, "window": MONDAY})
    feature = FeatureSpec("job", "categorical", ("admin.", "student", "retired"))
    result = DriftCalculator([feature]).fit(spark.createDataFrame(reference)).calculate(
        spark.createDataFrame(current), "window")
    labels = result.shares[("job", MONDAY)][0]
    assert len(labels) <= 5 + 2 and calculator.OTHER_UNSEEN in labels  # + the level not sent
    assert {"admin.", "student", "retired"} <= set(labels)
    assert result.value("job", "unseen", MONDAY).value == pytest.approx(60 / 100)


def test_missing_and_infinite_numbers_are_left_out(spark):
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 50})
    current = pd.DataFrame({"x": [1.0, float("nan"), float("inf"), 2.0] * 50, "window": MONDAY})
    result = DriftCalculator([FeatureSpec("x", "numeric")]).fit(
        spark.createDataFrame(reference)).calculate(spark.createDataFrame(current), "window")
    assert result.rows[MONDAY] == 100


def test_columns_named_with_a_backquote_or_a_dot_are_measured_like_any_other(spark, monkeypatch):
    monkeypatch.setattr(calculator, "MAX_DISTINCT", 50)  # "a`b" goes on a quantile grid too
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"a`b": rng.normal(0, 1, 2000), "x.y": rng.choice(["u", "v"], 2000)})
    current = pd.DataFrame({"a`b": rng.normal(1, 1, 500), "x.y": rng.choice(["u", "v", "w"], 500),
                            "window": MONDAY})
    features = [FeatureSpec("a`b", "numeric"), FeatureSpec("x.y", "categorical", ("u", "v"))]
    result = DriftCalculator(features).fit(spark.createDataFrame(reference)).calculate(
        spark.createDataFrame(current), "window")
    exact = stats.psi_numeric(stats.numeric_counts(reference["a`b"], current["a`b"]))
    assert result.value("a`b", "psi", MONDAY).value == pytest.approx(exact, abs=0.1) and exact > 0.25
    assert result.value("x.y", "unseen", MONDAY).value == pytest.approx((current["x.y"] == "w").mean())
    assert result.rows[MONDAY] == 500


def test_numbers_sent_as_text_are_counted_and_text_that_is_no_number_is_left_out(spark):
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 50})
    current = pd.DataFrame({"x": ["1", "n/a", "2.5", "4"] * 50, "window": MONDAY})
    result = DriftCalculator([FeatureSpec("x", "numeric")]).fit(
        spark.createDataFrame(reference)).calculate(spark.createDataFrame(current), "window")
    assert result.rows[MONDAY] == 150
    assert result.value("x", "psi", MONDAY).value > 0.1  # 2.5 sits where training had none


def test_nan_and_infinite_numbers_sent_as_text_on_a_grid_are_left_out_and_counting_ends(
        spark, monkeypatch):
    monkeypatch.setattr(calculator, "MAX_DISTINCT", 5)  # 0..99 and -5..99 both crowd a grid
    reference = pd.DataFrame({"x": [float(v) for v in range(100)] + [float("nan")] * 10})
    current = pd.DataFrame({"x": [str(float(v)) for v in range(-5, 100)] + ["NaN", "Infinity"] * 5,
                            "window": MONDAY})
    calc = DriftCalculator([FeatureSpec("x", "numeric")]).fit(spark.createDataFrame(reference))
    result = calc.calculate(spark.createDataFrame(current), "window")
    assert "x" in calc._grids and result.rows[MONDAY] == 105
    assert result.value("x", "psi", MONDAY).value < 0.25  # the same spread, five values lower
