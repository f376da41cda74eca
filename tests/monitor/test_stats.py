"""Drift statistics from counts agree with scipy on raw samples and with hand computations."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.spatial.distance import jensenshannon

from opml_core.errors import MonitorError
from opml_core.monitor import stats

_rng = np.random.default_rng(20240611)
NORMAL_REF = _rng.normal(0.0, 1.0, 3000)
NORMAL_CUR = _rng.normal(0.1, 1.0, 2500)
AGES_REF = _rng.integers(18, 90, 2000).astype(float)  # many ties
AGES_CUR = _rng.integers(20, 95, 1500).astype(float)
JOBS = ["admin.", "blue-collar", "retired", "student", "technician"]
JOBS_REF = list(_rng.choice(JOBS, 4000, p=[0.3, 0.25, 0.15, 0.1, 0.2]))
JOBS_CUR = list(_rng.choice(JOBS + ["gig"], 3000, p=[0.25, 0.25, 0.15, 0.15, 0.15, 0.05]))

SAMPLES = {"normal": (NORMAL_REF, NORMAL_CUR), "ages": (AGES_REF, AGES_CUR)}


@pytest.fixture(params=sorted(SAMPLES))
def samples(request):
    return SAMPLES[request.param]


def _jobs():
    return stats.categorical_counts(JOBS_REF, JOBS_CUR)


# Building counts

def test_numeric_counts_drop_missing_values():
    counts = stats.numeric_counts([1.0, np.nan, 2.0, 2.0], [np.nan, 3.0])
    assert counts.values.tolist() == [1.0, 2.0, 3.0]
    assert counts.reference.tolist() == [1, 2, 0] and counts.current.tolist() == [0, 0, 1]


def test_categorical_counts_drop_missing_labels():
    counts = stats.categorical_counts(["a", None, "b"], ["a", float("nan")])
    assert counts.categories == ["a", "b"] and counts.current.tolist() == [1, 0]


def test_counts_from_aggregates_need_sorted_distinct_values():
    with pytest.raises(ValueError, match="sorted"):
        stats.NumericCounts(np.array([2.0, 1.0]), np.array([1, 1]), np.array([1, 1]))


def test_an_empty_window_is_a_monitor_error_naming_the_feature():
    with pytest.raises(MonitorError, match="window has no values for age"):
        stats.numeric_counts([30, 40], [], feature="age")


def test_a_window_of_only_missing_values_is_an_empty_window():
    with pytest.raises(MonitorError, match="window has no values for job"):
        stats.categorical_counts(["admin."], [None, float("nan")], feature="job")


# PSI

def test_quantile_edges_are_numpys_lower_quantiles_of_the_reference(samples):
    reference, current = samples
    counts = stats.numeric_counts(reference, current)
    expected = np.unique(np.quantile(reference, np.arange(1, 10) / 10, method="lower"))
    np.testing.assert_array_equal(stats.quantile_edges(counts), expected)


def _psi(reference, current):
    p, q = np.asarray(reference) / np.sum(reference), np.asarray(current) / np.sum(current)
    return float(np.sum((q - p) * np.log(q / p)))


def test_psi_numeric_matches_a_hand_computation():
    # Reference 1..8 (n = 8, std sqrt(5.25)), 4 bins: deciles at sorted positions floor(k * 7 / 4)
    # = 1, 3, 5, i.e. values 2, 4, 6, so (.., 2], (2, 4], (4, 6], (6, 8] hold 2 reference rows each.
    # Current [1, 1, 1, 5, 9, 9, 9, 9] puts 3, 0, 1, 0 rows in them; 9 lies 1 past the training
    # maximum, in the 5th bin beyond it: (8 + 0.1 std 1.5^3, 8 + 0.1 std 1.5^4] = (8.77, 9.16].
    # Pseudo-counts: 0.5 inside the range, 0.5 / 1.5^5 in that bin; other bins are empty in both.
    counts = stats.numeric_counts(np.arange(1, 9), [1, 1, 1, 5, 9, 9, 9, 9])
    assert stats.quantile_edges(counts, bins=4).tolist() == [2.0, 4.0, 6.0]
    tail = 0.5 / 1.5 ** 5
    expected = _psi([2.5, 2.5, 2.5, 2.5, tail], [3.5, 0.5, 1.5, 0.5, 4 + tail])
    assert stats.psi_numeric(counts, bins=4) == pytest.approx(expected, abs=1e-12)
    assert stats.shares(counts, bins=4).labels == ["1 – 2", "3 – 4", "5 – 6", "7 – 8", "9"]


def test_psi_categorical_matches_a_hand_computation():
    # Reference a a b b, current a a a c, 0.5 added to each category's count in both samples.
    counts = stats.categorical_counts(list("aabb"), list("aaac"))
    assert stats.psi_categorical(counts) == pytest.approx(_psi([2.5, 2.5, 0.5], [3.5, 0.5, 1.5]),
                                                          abs=1e-12)


def test_a_value_that_dominates_training_gets_a_bin_of_its_own():
    # pdays: 99.5% of training is 999, so every decile edge is 999; the share of other values
    # rising from 0.5% to 33% must show (KS sees it: 0.325).
    counts = stats.numeric_counts([999] * 995 + [5] * 5, [999] * 67 + [5] * 33)
    assert stats.ks_test(counts).statistic == pytest.approx(0.325)
    assert stats.psi_numeric(counts) > 0.25  # an alert
    assert stats.shares(counts).labels == ["5", "999"]
    assert stats.psi_numeric(stats.numeric_counts([999] * 995 + [5] * 5, [999] * 995 + [5] * 5)) == 0


def test_psi_keeps_growing_with_the_size_of_the_shift_instead_of_hitting_a_floor():
    reference = np.arange(18, 90, dtype=float).repeat(10)
    psi = {v: stats.psi_numeric(stats.numeric_counts(reference, np.full(500, v)))
           for v in (50.0, 100.0, 1e3, -1e6)}
    assert psi[50.0] < psi[100.0] < psi[1e3] < psi[-1e6]
    farther = stats.psi_numeric(stats.numeric_counts(reference, reference + 30))
    nearer = stats.psi_numeric(stats.numeric_counts(reference, reference + 20))
    assert nearer < farther


def test_the_drift_score_is_bounded_and_comparable_across_kinds():
    numeric = stats.numeric_counts(AGES_REF, AGES_REF + 100)  # no overlap left
    categorical = stats.categorical_counts(["a", "b"], ["c", "d"])
    assert stats.jensen_shannon(numeric) == pytest.approx(1.0, abs=0.05)
    assert stats.jensen_shannon(categorical) == pytest.approx(1.0, abs=1e-12)
    assert stats.jensen_shannon(stats.numeric_counts(AGES_REF, AGES_REF)) == 0.0
    found = stats.shares(stats.numeric_counts(NORMAL_REF, NORMAL_CUR))
    assert stats.jensen_shannon(stats.numeric_counts(NORMAL_REF, NORMAL_CUR)) == pytest.approx(
        jensenshannon(found.reference, found.current, base=2), rel=1e-12)


def test_psi_of_identical_numeric_distributions_is_zero():
    assert stats.psi_numeric(stats.numeric_counts(AGES_REF, AGES_REF)) == 0.0


def test_psi_of_identical_categorical_distributions_is_zero():
    assert stats.psi_categorical(stats.categorical_counts(JOBS_REF, JOBS_REF)) == 0.0


def test_psi_grows_with_the_shift():
    small = stats.psi_numeric(stats.numeric_counts(NORMAL_REF, NORMAL_CUR))
    big = stats.psi_numeric(stats.numeric_counts(NORMAL_REF, NORMAL_CUR + 0.9))
    assert 0 < small < 0.1 < big


def test_psi_of_a_constant_reference_is_finite():
    psi = stats.psi_numeric(stats.numeric_counts([5.0] * 10, [7.0] * 4))
    assert math.isfinite(psi) and psi > 2.5  # ten times the alert threshold


# Kolmogorov–Smirnov and Wasserstein

def test_ks_matches_scipy_asymptotic_test(samples):
    reference, current = samples
    result = stats.ks_test(stats.numeric_counts(reference, current))
    expected = scipy_stats.ks_2samp(reference, current, method="asymp")
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_ks_p_value_is_small_for_a_big_shift():
    result = stats.ks_test(stats.numeric_counts(NORMAL_REF, NORMAL_CUR + 0.9))
    assert result.p_value < 1e-10 < result.statistic


def test_ks_of_identical_distributions_is_zero_with_p_one():
    assert stats.ks_test(stats.numeric_counts(AGES_REF, AGES_REF)) == stats.StatResult(0.0, 1.0)


def test_wasserstein_is_scipys_distance_in_reference_standard_deviations(samples):
    reference, current = samples
    expected = scipy_stats.wasserstein_distance(reference, current) / np.std(reference)
    result = stats.wasserstein_normalised(stats.numeric_counts(reference, current))
    assert result == pytest.approx(expected, rel=1e-12)


def test_wasserstein_of_identical_distributions_is_zero():
    assert stats.wasserstein_normalised(stats.numeric_counts(AGES_REF, AGES_REF)) == 0.0


def test_wasserstein_of_a_constant_reference_is_in_feature_units():
    assert stats.wasserstein_normalised(stats.numeric_counts([5.0] * 10, [7.0] * 4)) == 2.0


# Categorical tests

def test_chi_squared_matches_scipy_without_correction():
    counts = _jobs()
    expected = scipy_stats.chi2_contingency(np.vstack([counts.reference, counts.current]),
                                            correction=False)
    result = stats.chi_squared(counts)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_chi_squared_ignores_training_levels_absent_from_both_samples():
    counts = stats.categorical_counts(list("aabb"), list("abbb"), training_levels=list("abz"))
    expected = scipy_stats.chi2_contingency([[2, 2], [1, 3]], correction=False)
    assert stats.chi_squared(counts).statistic == pytest.approx(expected.statistic, rel=1e-12)


def test_chi_squared_of_identical_distributions_is_zero_with_p_one():
    result = stats.chi_squared(stats.categorical_counts(JOBS_REF, JOBS_REF))
    assert result.statistic == pytest.approx(0.0, abs=1e-12) and result.p_value == 1.0


def test_chi_squared_of_a_single_category_is_zero_with_p_one():
    counts = stats.categorical_counts(["a"] * 5, ["a"] * 3)
    assert stats.chi_squared(counts) == stats.StatResult(0.0, 1.0)


def test_jensen_shannon_matches_scipys_base_two_distance():
    counts = _jobs()
    p, q = counts.reference / counts.reference.sum(), counts.current / counts.current.sum()
    assert stats.jensen_shannon(counts) == pytest.approx(jensenshannon(p, q, base=2), rel=1e-12)


def test_jensen_shannon_of_identical_distributions_is_zero():
    assert stats.jensen_shannon(stats.categorical_counts(JOBS_REF, JOBS_REF)) == 0.0


def test_jensen_shannon_of_disjoint_categories_is_one():
    counts = stats.categorical_counts(["a", "b"], ["c", "d"])
    assert stats.jensen_shannon(counts) == pytest.approx(1.0, abs=1e-12)


def test_unseen_share_counts_window_rows_outside_the_reference_categories():
    assert stats.unseen_share(stats.categorical_counts(list("ab"), list("accd"))) == 0.75


def test_unseen_share_respects_explicit_training_levels():
    counts = stats.categorical_counts(list("ab"), list("accd"), training_levels=list("abc"))
    assert stats.unseen_share(counts) == 0.25


# Segment shift
