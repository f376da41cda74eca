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


def _evaluation(positives, negatives):
    from opml_core.evaluation import Evaluation

    total = sum(positives) + sum(negatives)
    return Evaluation(0.8, 0.4, ScoreBins(positives, negatives), {}, 100, total, sum(positives) / total)


def _spread(counts: dict[int, int]) -> list[int]:
    values = [0] * BINS
    for b, n in counts.items():
        values[b] = n
    return values


RARE = _evaluation(_spread({100: 2, 300: 3, 600: 5}), _spread({50: 60, 200: 20, 350: 8, 700: 2}))


def test_the_baseline_always_gives_the_most_common_answer():
    baseline = RARE.baseline()
    assert (baseline.tp, baseline.fp, baseline.tn, baseline.fn) == (0, 0, 90, 10)
    assert baseline.accuracy == pytest.approx(0.9) and baseline.recall == 0.0


def test_the_suggested_threshold_has_the_best_f1_of_every_cut():
    best = max(range(1, BINS), key=lambda cut: (RARE.bins.at(cut / BINS).f1, -cut))
    assert RARE.suggested_threshold() == best / BINS
    assert RARE.bins.at(RARE.suggested_threshold()).f1 >= RARE.bins.at(0.5).f1


def test_a_costly_miss_moves_the_threshold_down_to_the_least_total_cost():
    def cost(cut, missed):
        point = RARE.bins.at(cut / BINS)
        return missed * point.fn + point.fp

    for missed in (1.0, 5.0, 50.0):
        best = min(range(1, BINS), key=lambda cut: (cost(cut, missed), cut))
        assert RARE.suggested_threshold(missed) == best / BINS
    assert RARE.suggested_threshold(50.0) < RARE.suggested_threshold(1.0)


def test_the_verdict_says_in_words_what_the_model_finds_and_how_often_it_is_right():
    from opml_core.evaluation import verdict

    point = RARE.bins.at(0.25)  # tp 8, fn 2, fp 10
    assert verdict(point, "yes", RARE.baseline()) == (
        "Finds about 8 in 10 'yes' cases; about 4 in 10 of its 'yes' answers are right. Its "
        "accuracy (88.0%) is no better than always giving the most common answer (90.0%), so "
        "judge it by these two numbers instead.")
    silent = RARE.bins.at(0.99)
    assert "never says 'yes'" in verdict(silent, "yes", RARE.baseline())
    assert "no better than always answering 'no'" in verdict(silent, "yes", RARE.baseline())
