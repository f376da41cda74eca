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

Numeric bins (``numeric_edges``) are the reference deciles, plus a bin of its own for any value
holding more than a bin's share of the reference (99.5% of ``pdays`` is 999: deciles alone put
every edge there and PSI cannot see the other values grow), plus bins beyond the training range
whose widths grow geometrically with the distance from it. PSI smooths every share with a
pseudo-count (``bins.PSEUDO_COUNT`` rows in a bin inside the training range, shrinking by
``TAIL_GROWTH`` for each step further outside it) instead of flooring zero shares, so PSI keeps
growing with how far a window moved: all values at −1e6 drift more than all at 50.

**The drift score** that ranks features across kinds is the Jensen–Shannon distance (base 2)
between the training and window shares, of the same bins for numbers and of the categories
for categories: it is bounded (0 = same shares, 1 = no overlap), symmetric, needs no smoothing
(empty bins are fine) and means the same on both kinds, where PSI is unbounded and depends on
its smoothing, KS and Wasserstein exist for numbers only, and p-values rank sample size as
much as drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _distributions

from opml_core.errors import MonitorError
from opml_core.monitor.bins import (Bins, categorical_bins, numeric_bins, numeric_edges,  # noqa: F401
                                     quantile_edges, reference_std)  # the edges are part of this API

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


def psi_numeric(counts: NumericCounts, bins: int = 10) -> float:
    """Population Stability Index on ``numeric_edges`` bins: sum (q - p) ln(q / p).

    p and q are the reference and window shares after adding each bin's pseudo-count to both
    samples' counts; bins empty in both samples are left out.
    """
    return _psi(numeric_bins(counts, bins))


def psi_categorical(counts: CategoricalCounts) -> float:
    """Population Stability Index with each category as a bin (PSEUDO_COUNT added to each)."""
    return _psi(categorical_bins(counts))


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
    std = reference_std(counts)
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


def jensen_shannon(counts: NumericCounts | CategoricalCounts, bins: int = 10) -> float:
    """Jensen–Shannon distance (base 2, so in [0, 1]) between the shares of the categories, or
    of the ``numeric_edges`` bins: the drift score that ranks features of both kinds."""
    found = shares(counts, bins)
    p, q = found.reference, found.current
    m = (p + q) / 2
    divergence = (_kullback_leibler_bits(p, m) + _kullback_leibler_bits(q, m)) / 2
    return math.sqrt(max(divergence, 0.0))


def unseen_share(counts: CategoricalCounts) -> float:
    """Share of the window's rows whose category is not a training level."""
    return float(counts.current[~counts.known].sum() / counts.current.sum())


def shares(counts: NumericCounts | CategoricalCounts, bins: int = 10) -> Shares:
    """Labels and reference/current shares of the PSI bins (numeric; bins empty in both samples
    left out) or the categories."""
    found = numeric_bins(counts, bins) if isinstance(counts, NumericCounts) \
        else categorical_bins(counts)
    return Shares(found.labels, found.reference / found.reference.sum(),
                  found.current / found.current.sum())


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


def _psi(found: Bins) -> float:
    reference = (found.reference + found.pseudo) / (found.reference.sum() + found.pseudo.sum())
    current = (found.current + found.pseudo) / (found.current.sum() + found.pseudo.sum())
    return float(np.sum((current - reference) * np.log(current / reference)))


def _kullback_leibler_bits(p: np.ndarray, m: np.ndarray) -> float:
    """KL(p || m) in bits, with 0 log 0 = 0 (m > 0 wherever p > 0)."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))
