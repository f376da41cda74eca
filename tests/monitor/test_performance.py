"""Performance over time: realized on labelled rows; estimated from confidence before labels."""

import numpy as np
import pytest

from opml_core.evaluation import BINS, ScoreBins
from opml_core.monitor.performance import calibration, performance_over_time
from tests.monitor.conftest import copy_workspace, days_of, table_rows, write_usage


def test_calibration_is_monotone_and_follows_the_observed_rates():
    rng = np.random.default_rng(2)
    probabilities = rng.random(20_000)
    outcomes = rng.random(20_000) < probabilities ** 2  # the model over-estimates
    positives = np.bincount((probabilities * BINS).astype(int), weights=outcomes, minlength=BINS)
    totals = np.bincount((probabilities * BINS).astype(int), minlength=BINS)
    calibrated = calibration(ScoreBins(positives.tolist(), (totals - positives).tolist()))
    assert np.all(np.diff(calibrated) >= 0) and calibrated.min() >= 0 and calibrated.max() <= 1
    assert calibrated[500] == pytest.approx(0.25, abs=0.05)


@pytest.fixture(scope="module")
def random_split(tmp_path_factory, mlflow_template, spark, bank_small):
    """A model trained on a random split, so its operations rows are undrifted."""
    from opml_core.data import SplitSpec, prepare_tables
    from opml_core.train import TrainSpec, train_and_log
    from tests.conftest import TINY_FOREST, bank_spec, make_settings

    settings = make_settings(tmp_path_factory.mktemp("random-ws"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec(split=SplitSpec("random", 0.5, 3)))
    train_and_log(spark, settings, TrainSpec("bank_train", params=TINY_FOREST))
    return settings


def test_the_estimate_tracks_the_realized_value_on_undrifted_data(spark, random_split, tmp_path):
    from opml_core.monitor.context import model_context, usage_frames
    from opml_core.monitor.labels import labels_frame, reveal_outcomes
    from opml_core.usage import collect_usage

    settings = copy_workspace(random_split, tmp_path / "ws")
    write_usage(settings, "undrifted", days_of(table_rows(settings, "bank_ops"), 2),
                truth_table="bank_ops")
    collect_usage(spark, settings)
    reveal_outcomes(spark, settings, "undrifted")
    model = model_context(settings, "opml-model", "1")
    _, inputs = usage_frames(spark, settings, "undrifted")
    result = performance_over_time(inputs, labels_frame(spark, settings), model.evaluation,
                                   model.training_metrics, "1d", "yes")
    assert len(result.per_window) == 2 and result.labelled == sum(w["rows"] for w in result.per_window)
    for window in result.per_window:
        assert window["estimated"]["accuracy"] == pytest.approx(window["realized"]["accuracy"], abs=0.04)
        assert window["estimated"]["roc_auc"] == pytest.approx(window["realized"]["roc_auc"], abs=0.08)
    for window in result.per_window:  # nothing moved: the estimate is trusted, within its band
        assert window["unreliable"] is None
        low, high = window["estimated_band"]["accuracy"]
        assert low < window["estimated"]["accuracy"] < high and high - low < 0.2
        low, high = window["realized_band"]["roc_auc"]
        assert low <= window["realized"]["roc_auc"] <= high


def test_an_estimate_whose_scores_left_calibration_says_it_is_unreliable(spark, random_split, tmp_path):
    """Only clients whose previous campaign succeeded: the model's scores jump far above what its
    calibration saw, so the card says why the estimate cannot be trusted instead of a number."""
    from opml_core.monitor.cards import performance_card
    from opml_core.monitor.context import model_context, usage_frames
    from opml_core.usage import collect_usage

    settings = copy_workspace(random_split, tmp_path / "ws")
    rows = [pair for table in ("bank_train", "bank_ops") for pair in table_rows(settings, table)
            if pair[1]["poutcome"] == "success"]
    assert len(rows) >= 60
    write_usage(settings, "converted", [rows])
    collect_usage(spark, settings)
    model = model_context(settings, "opml-model", "1")
    _, inputs = usage_frames(spark, settings, "converted")
    result = performance_over_time(inputs, None, model.evaluation, model.training_metrics, "1d", "yes")
    assert "have scores where the model's calibration saw almost no test rows" in result.per_window[0]["unreliable"]
    card = performance_card(result)
    assert card.level == "warn" and "the estimate is unreliable because" in card.sentence
    assert "estimated at" not in card.sentence


RNG_SEED = 11


def scores(rows: int, rng) -> np.ndarray:
    """Positive-class probabilities averaging about 7%, as the bank model's do."""
    return rng.beta(0.8, 10, rows)


@pytest.fixture(scope="module")
def calibrated_evaluation():
    """A test part of 20,000 rows whose outcomes follow the model's probabilities exactly."""
    from opml_core.evaluation import Evaluation

    rng = np.random.default_rng(RNG_SEED)
    probabilities = scores(20_000, rng)
    outcomes = rng.random(len(probabilities)) < probabilities
    slots = np.minimum((probabilities * BINS).astype(int), BINS - 1)
    positives = np.bincount(slots, weights=outcomes, minlength=BINS)
    negatives = np.bincount(slots, minlength=BINS) - positives
    bins = ScoreBins(positives.tolist(), negatives.tolist())
    return Evaluation(bins.auc(), 0.0, bins, {}, 80_000, 20_000, float(outcomes.mean()))


def scored_days(spark, days: list[tuple[np.ndarray, np.ndarray, np.ndarray]]):
    """(inputs, labels) frames for days of (probabilities, outcomes, labelled?) per row."""
    import pandas as pd

    from tests.monitor.conftest import START

    inputs, labels = [], []
    for day, (probabilities, outcomes, known) in enumerate(days):
        when = pd.Timestamp(START) + pd.Timedelta(days=day, hours=12)
        for row, (p, outcome, labelled) in enumerate(zip(probabilities, outcomes, known)):
            inputs.append({"request_id": f"r{day}", "row_index": row, "event_time": when,
                           "probability": float(p)})
            if labelled:
                labels.append({"request_id": f"r{day}", "row_index": row,
                               "actual": "yes" if outcome else "no"})
    return spark.createDataFrame(pd.DataFrame(inputs)), spark.createDataFrame(pd.DataFrame(labels))


def test_outcomes_far_more_often_positive_than_the_estimate_says_make_it_unreliable(
        spark, calibrated_evaluation):
    """The issue's case: the positive rate goes from about 7% to 30–50% while the model's scores
    stay as they were; with outcomes known, the card says why the estimate cannot be trusted."""
    from opml_core.monitor.cards import performance_card

    rng = np.random.default_rng(RNG_SEED + 4)
    days = []
    for rate_boost in (1, 5, 7):  # day 1 as in training; then outcomes 5× and 7× as likely
        probabilities = scores(2_000, rng)
        outcomes = rng.random(len(probabilities)) < np.minimum(probabilities * rate_boost, 0.95)
        days.append((probabilities, outcomes, np.ones(len(probabilities), bool)))
    inputs, labels = scored_days(spark, days)
    result = performance_over_time(inputs, labels, calibrated_evaluation, {"roc_auc": 0.75}, "1d", "yes")
    rates = [np.mean(outcomes) for _, outcomes, _ in days]
    assert rates[0] < 0.1 and all(0.3 <= r <= 0.5 for r in rates[1:]), rates
    first, *later = result.per_window
    assert first["unreliable"] is None
    for window in later:
        assert window["unreliable"].startswith("realized outcomes disagree with it: accuracy measured")
    card = performance_card(result)
    assert "The estimate for it is unreliable because realized outcomes disagree" in card.sentence


def test_realized_figures_on_some_rows_are_compared_with_the_estimate_for_those_rows(
        spark, calibrated_evaluation):
    """Outcomes known only for the rows the model scored highest (the ones followed up): they are
    harder to get right than the window as a whole, which is no reason to distrust the estimate."""
    rng = np.random.default_rng(RNG_SEED + 2)
    probabilities = scores(3_000, rng)
    outcomes = rng.random(len(probabilities)) < probabilities  # as calibration says
    inputs, labels = scored_days(spark, [(probabilities, outcomes, probabilities > 0.15)])
    result = performance_over_time(inputs, labels, calibrated_evaluation, {"roc_auc": 0.75}, "1d", "yes")
    (window,) = result.per_window
    assert 30 <= window["labelled"] < window["rows"] / 3
    assert window["estimated"]["accuracy"] > window["realized"]["accuracy"] + 0.05  # all rows vs some
    assert window["unreliable"] is None
