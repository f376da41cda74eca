"""Per-feature drift statistics between a reference (training) sample and a current window.

Spark aggregates upstream, so everything here works from count vectors: ``NumericCounts``
(each distinct value and how often it occurs in each sample, which fixes both empirical
distributions exactly) and ``CategoricalCounts`` (each category's counts, and whether it is a
training level). ``numeric_counts`` and ``categorical_counts`` build them from small raw arrays.
Numeric features get the Population Stability Index on reference-quantile bins (``psi_numeric``),
the two-sample Kolmogorov–Smirnov test (``ks_test``) and the Wasserstein distance in reference
standard deviations (``wasserstein_normalised``); categorical features get the PSI over
categories (``psi_categorical``), the chi-squared test of homogeneity (``chi_squared``), the
Jensen–Shannon distance (``jensen_shannon``) and the share of unseen categories
(``unseen_share``). ``shares`` gives the bins' or categories' shares, for overlays and for
``segments.py``. Only numpy and scipy's distributions are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _distributions

from opml_core.errors import MonitorError

EPSILON = 1e-4  # stands in for a zero share in PSI, so the logarithm stays finite
DEFAULT_FEATURE = "this feature"


@dataclass(frozen=True, eq=False)
class NumericCounts:
    """Sorted distinct ``values`` and how often each occurs in the reference and the window."""

    values: np.ndarray
    reference: np.ndarray
    current: np.ndarray
    feature: str = DEFAULT_FEATURE

    def __post_init__(self):
        object.__setattr__(self, "values", np.asarray(self.values, dtype=float))
        _check_counts(self, len(self.values))
        if not np.all(np.isfinite(self.values)) or np.any(np.diff(self.values) <= 0):
            raise ValueError("values must be finite, distinct and sorted ascending")


@dataclass(frozen=True, eq=False)
class CategoricalCounts:
    """Each category's counts in the reference and the window; ``known`` marks training levels."""

    categories: list[str]
    reference: np.ndarray
    current: np.ndarray
    known: np.ndarray
    feature: str = DEFAULT_FEATURE

    def __post_init__(self):
        object.__setattr__(self, "categories", [str(c) for c in self.categories])
        object.__setattr__(self, "known", np.asarray(self.known, dtype=bool))
        _check_counts(self, len(self.categories))
        if self.known.shape != (len(self.categories),):
            raise ValueError("known needs one flag per category")


@dataclass(frozen=True)
class StatResult:
    """A test statistic and its p-value (``None`` when the statistic has none)."""

    statistic: float
    p_value: float | None


@dataclass(frozen=True)
class Shares:
    """Segments (bins or categories) with their share of each sample."""

    labels: list[str]
    reference: np.ndarray
    current: np.ndarray


def numeric_counts(reference_values, current_values, feature: str = DEFAULT_FEATURE):
    """Count raw 1-D samples into ``NumericCounts``; missing (NaN) and infinite values are dropped."""
    reference = _finite(reference_values)
    current = _finite(current_values)
    values = np.unique(np.concatenate([reference, current]))
    return NumericCounts(values, _count_in(values, reference), _count_in(values, current), feature)


def categorical_counts(reference_values, current_values, training_levels=None,
                       feature: str = DEFAULT_FEATURE):
    """Count raw labels into ``CategoricalCounts``; ``None`` and NaN labels are dropped.

    Training levels are ``training_levels`` when given (they are listed even if absent from both
    samples), otherwise the categories seen in the reference sample.
    """
    reference = _labels(reference_values)
    current = _labels(current_values)
    levels = None if training_levels is None else _labels(training_levels)
    categories = np.array(sorted(set(reference) | set(current) | set(levels or ())), dtype=str)
    ref_counts = _count_in(categories, np.array(reference, dtype=str))
    known = ref_counts > 0 if levels is None else np.isin(categories, levels)
    return CategoricalCounts(list(categories), ref_counts,
                             _count_in(categories, np.array(current, dtype=str)), known, feature)


def quantile_edges(counts: NumericCounts, bins: int = 10) -> np.ndarray:
    """The distinct interior PSI bin edges: reference quantiles at shares k/bins, k = 1..bins-1.

    Quantile k is the reference value at 0-based position ``floor(k * (n - 1) / bins)`` of the
    sorted expanded reference sample of n values: numpy's ``method="lower"``, but in integer
    arithmetic (numpy's float ``q * (n - 1)`` can land just below an integer, e.g. 0.7 * 90,
    and pick the value before). Equal edges are kept once. Bins are closed on the right: (-inf, e1], (e1, e2],
    ..., (e_last, +inf), so every value lands in exactly one bin.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    n = int(counts.reference.sum())
    positions = np.array([k * (n - 1) // bins for k in range(1, bins)], dtype=np.int64)
    index = np.searchsorted(np.cumsum(counts.reference), positions, side="right")
    return np.unique(counts.values[index])


def psi_numeric(counts: NumericCounts, bins: int = 10) -> float:
    """Population Stability Index on ``quantile_edges`` bins: sum (cur% - ref%) ln(cur% / ref%).

    A zero share (in either sample) is replaced by ``EPSILON``; shares are not renormalised.
    """
    return _psi(_numeric_segments(counts, bins))


def psi_categorical(counts: CategoricalCounts) -> float:
    """Population Stability Index with each category as a bin (zero shares become ``EPSILON``)."""
    return _psi(_categorical_segments(counts))


def ks_test(counts: NumericCounts) -> StatResult:
    """Two-sample Kolmogorov–Smirnov: D = max |F_ref - F_cur| over the distinct values.

    The two-sided p-value is the asymptotic one of ``scipy.stats.ks_2samp(method="asymp")``:
    the survival function of ``scipy.stats.kstwo`` (the exact one-sample KS distribution) at D
    with the effective sample size n_ref * n_cur / (n_ref + n_cur) rounded to an integer.
    """
    ref_cdf, cur_cdf = _cdfs(counts)
    statistic = float(np.max(np.abs(ref_cdf - cur_cdf)))
    m, n = float(counts.reference.sum()), float(counts.current.sum())
    effective_n = np.round(m * n / (m + n))
    p_value = float(np.clip(_distributions.kstwo.sf(statistic, effective_n), 0.0, 1.0))
    return StatResult(statistic, p_value)


def wasserstein_normalised(counts: NumericCounts) -> float:
    """1-Wasserstein distance (integral of |F_ref - F_cur|) over the reference's population std.

    When the reference is constant (std 0) the distance is returned in the feature's own units.
    """
    ref_cdf, cur_cdf = _cdfs(counts)
    distance = float(np.sum(np.abs(ref_cdf - cur_cdf)[:-1] * np.diff(counts.values)))
    weights = counts.reference / counts.reference.sum()
    mean = np.sum(weights * counts.values)
    std = math.sqrt(float(np.sum(weights * (counts.values - mean) ** 2)))
    return distance / std if std > 0 else distance


def chi_squared(counts: CategoricalCounts) -> StatResult:
    """Chi-squared test of homogeneity on [reference; current] counts, without continuity correction.

    Categories absent from both samples are dropped; with fewer than two left there is nothing
    to compare and the result is statistic 0, p-value 1.
    """
    table = np.vstack([counts.reference, counts.current])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return StatResult(0.0, 1.0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return StatResult(statistic, float(_distributions.chi2.sf(statistic, table.shape[1] - 1)))


def jensen_shannon(counts: CategoricalCounts) -> float:
    """Jensen–Shannon distance (base 2, so in [0, 1]) between the category share vectors."""
    p = counts.reference / counts.reference.sum()
    q = counts.current / counts.current.sum()
    m = (p + q) / 2
    divergence = (_kullback_leibler_bits(p, m) + _kullback_leibler_bits(q, m)) / 2
    return math.sqrt(max(divergence, 0.0))


def unseen_share(counts: CategoricalCounts) -> float:
    """Share of the window's rows whose category is not a training level."""
    return float(counts.current[~counts.known].sum() / counts.current.sum())


def shares(counts: NumericCounts | CategoricalCounts, bins: int = 10) -> Shares:
    """Labels and reference/current shares of the PSI bins (numeric) or the categories."""
    return _numeric_segments(counts, bins) if isinstance(counts, NumericCounts) \
        else _categorical_segments(counts)


def _check_counts(counts, size: int) -> None:
    for name in ("reference", "current"):
        array = np.asarray(getattr(counts, name), dtype=float)
        if array.shape != (size,) or np.any(array < 0) or not np.all(np.isfinite(array)):
            raise ValueError(f"{name} needs one finite, non-negative count per value")
        object.__setattr__(counts, name, array)
    if counts.reference.sum() == 0:
        raise MonitorError(f"The reference data has no values for {counts.feature}; "
                           "check the training table behind this model.")
    if counts.current.sum() == 0:
        raise MonitorError(f"The window has no values for {counts.feature}; choose a wider "
                           "window or check that requests include this feature.")


def _finite(values) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def _labels(values) -> list[str]:
    return [str(v) for v in values if v is not None and not (isinstance(v, float) and v != v)]


def _count_in(universe: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """How often each (sorted) ``universe`` entry occurs in ``sample``."""
    distinct, counts = np.unique(sample, return_counts=True)
    result = np.zeros(len(universe))
    result[np.searchsorted(universe, distinct)] = counts
    return result


def _cdfs(counts: NumericCounts) -> tuple[np.ndarray, np.ndarray]:
    return (np.cumsum(counts.reference) / counts.reference.sum(),
            np.cumsum(counts.current) / counts.current.sum())


def _numeric_segments(counts: NumericCounts, bins: int) -> Shares:
    edges = quantile_edges(counts, bins)
    bin_of_value = np.searchsorted(edges, counts.values, side="left")
    size = len(edges) + 1
    reference = np.bincount(bin_of_value, weights=counts.reference, minlength=size)
    current = np.bincount(bin_of_value, weights=counts.current, minlength=size)
    labels = []
    for b in range(size):
        inside = counts.values[bin_of_value == b]
        labels.append(_range_label(inside[0], inside[-1]) if len(inside) else "")
    return Shares(labels, reference / reference.sum(), current / current.sum())


def _categorical_segments(counts: CategoricalCounts) -> Shares:
    return Shares(counts.categories, counts.reference / counts.reference.sum(),
                     counts.current / counts.current.sum())


def _range_label(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g} – {high:g}"


def _psi(segments: Shares) -> float:
    reference = np.where(segments.reference > 0, segments.reference, EPSILON)
    current = np.where(segments.current > 0, segments.current, EPSILON)
    return float(np.sum((current - reference) * np.log(current / reference)))


def _kullback_leibler_bits(p: np.ndarray, m: np.ndarray) -> float:
    """KL(p || m) in bits, with 0 log 0 = 0 (m > 0 wherever p > 0)."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))
