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
