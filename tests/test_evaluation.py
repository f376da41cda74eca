"""Threshold metrics and curves come from probability bins; importances sum back to columns."""

import pytest

from opml_core.evaluation import BINS, ScoreBins, importances_by_column


def bins_with(positives: dict[float, int], negatives: dict[float, int]) -> ScoreBins:
    pos, neg = [0] * BINS, [0] * BINS
    for probability, count in positives.items():
        pos[int(probability * BINS)] += count
    for probability, count in negatives.items():
        neg[int(probability * BINS)] += count
    return ScoreBins(pos, neg)


def test_metrics_at_a_threshold_match_a_hand_count():
    bins = bins_with({0.9: 3, 0.4: 1}, {0.8: 1, 0.2: 5})
    at_half = bins.at(0.5)
    assert (at_half.tp, at_half.fn, at_half.fp, at_half.tn) == (3, 1, 1, 5)
    assert at_half.precision == pytest.approx(0.75)
    assert at_half.recall == pytest.approx(0.75)
    assert at_half.accuracy == pytest.approx(0.8)
    assert at_half.f1 == pytest.approx(0.75)


def test_a_lower_threshold_trades_precision_for_recall():
    bins = bins_with({0.9: 3, 0.4: 1}, {0.8: 1, 0.2: 5})
    assert bins.at(0.3).recall == 1.0 and bins.at(0.3).precision == pytest.approx(4 / 5)


def test_the_roc_curve_runs_from_zero_to_one():
    fpr, tpr = bins_with({0.9: 3, 0.4: 1}, {0.8: 1, 0.2: 5}).roc_curve()
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert fpr == sorted(fpr) and tpr == sorted(tpr)


def test_importances_are_summed_per_column_and_normalised():
    result = importances_by_column(["job", "job", "age", "job"], [0.1, 0.2, 1.2, -0.1])
    assert list(result) == ["age", "job"]
    assert result["age"] == pytest.approx(0.75) and sum(result.values()) == pytest.approx(1.0)
