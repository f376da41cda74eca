"""The bins drift statistics count in: PSI's numeric edges and pseudo-counts, categories as bins.

``quantile_edges`` are the reference deciles in exact integer arithmetic; ``numeric_edges`` adds
a bin of its own for each dominant value and widening bins beyond the training range, each with
its pseudo-count (see ``monitor/stats.py`` for why). ``Bins`` holds both samples' counts per bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the counts are defined with the statistics that use them
    from opml_core.monitor.stats import CategoricalCounts, NumericCounts

PSEUDO_COUNT = 0.5  # rows added to each bin of both samples in PSI, so the logarithm stays finite
TAIL_GROWTH = 1.5  # each bin beyond the training range is this much wider than the previous one
TAIL_START = 0.1  # ... the first reaching this many training standard deviations past it
MAX_TAIL_BINS = 80  # beyond ~1e13 standard deviations, one last bin


def quantile_edges(counts: NumericCounts, bins: int = 10) -> np.ndarray:
    """The distinct reference deciles (for ``bins`` = 10): quantiles at shares k/bins, k = 1..bins-1.

    Quantile k is the reference value at 0-based position ``floor(k * (n - 1) / bins)`` of the
    sorted expanded reference sample of n values: numpy's ``method="lower"``, but in integer
    arithmetic (numpy's float ``q * (n - 1)`` can land just below an integer, e.g. 0.7 * 90,
    and pick the value before). Equal edges are kept once.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    n = int(counts.reference.sum())
    positions = np.array([k * (n - 1) // bins for k in range(1, bins)], dtype=np.int64)
    index = np.searchsorted(np.cumsum(counts.reference), positions, side="right")
    return np.unique(counts.values[index])


def numeric_edges(counts: NumericCounts, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """PSI bin edges and each bin's pseudo-count: (edges, pseudo-counts, one per bin).

    Bins are closed on the right: (-inf, e1], (e1, e2], ..., (e_last, +inf). Edges are the
    ``quantile_edges``; each value holding more than 1/bins of the reference gets a bin of its own
    (an edge just below it and one at it); the training minimum and maximum are edges, and beyond
    them bins start TAIL_START training standard deviations out and grow TAIL_GROWTH times wider
    each, as far as the window reaches. Bins inside the training range get PSEUDO_COUNT;
    the k-th bin outside it PSEUDO_COUNT / TAIL_GROWTH**(k + 1).
    """
    seen = counts.values[counts.reference > 0]
    low, high = float(seen[0]), float(seen[-1])
    dominant = counts.values[counts.reference > counts.reference.sum() / bins]
    inner = [quantile_edges(counts, bins), dominant, np.nextafter(dominant, -np.inf),
             [np.nextafter(low, -np.inf), high]]
    scale = reference_std(counts) or max(abs(high - low), abs(high), 1.0)
    steps = TAIL_START * scale * TAIL_GROWTH ** np.arange(MAX_TAIL_BINS)
    reach_low, reach_high = low - float(counts.values[0]), float(counts.values[-1]) - high
    below = np.nextafter(low, -np.inf) - steps[:_steps_to(reach_low, steps)]
    above = high + steps[:_steps_to(reach_high, steps)]
    edges = np.unique(np.concatenate([*map(np.asarray, inner), below, above]).astype(float))
    distance = np.zeros(len(edges) + 1)  # bins beyond the training range: 1, 2, ... steps out
    lower_tail = np.searchsorted(edges, np.nextafter(low, -np.inf), side="left")
    distance[:lower_tail + 1] = np.arange(lower_tail + 1, 0, -1)
    upper_tail = np.searchsorted(edges, high, side="left") + 1
    distance[upper_tail:] = np.arange(1, len(distance) - upper_tail + 1)
    return edges, PSEUDO_COUNT / TAIL_GROWTH ** distance


@dataclass(frozen=True)
class Bins:
    labels: list[str]
    reference: np.ndarray  # counts
    current: np.ndarray
    pseudo: np.ndarray  # pseudo-counts PSI adds to both


def numeric_bins(counts: NumericCounts, bins: int) -> Bins:
    edges, pseudo = numeric_edges(counts, bins)
    bin_of_value = np.searchsorted(edges, counts.values, side="left")
    size = len(edges) + 1
    reference = np.bincount(bin_of_value, weights=counts.reference, minlength=size)
    current = np.bincount(bin_of_value, weights=counts.current, minlength=size)
    used = (reference > 0) | (current > 0)
    labels = []
    for b in np.flatnonzero(used):
        inside = counts.values[bin_of_value == b]
        labels.append(_range_label(inside[0], inside[-1]))
    return Bins(labels, reference[used], current[used], pseudo[used])


def categorical_bins(counts: CategoricalCounts) -> Bins:
    return Bins(counts.categories, counts.reference, counts.current,
                 np.full(len(counts.categories), PSEUDO_COUNT))


def reference_std(counts: NumericCounts) -> float:
    weights = counts.reference / counts.reference.sum()
    mean = np.sum(weights * counts.values)
    return math.sqrt(float(np.sum(weights * (counts.values - mean) ** 2)))


def _steps_to(reach: float, steps: np.ndarray) -> int:
    """How many tail edges are needed for bins to reach ``reach`` past the training range."""
    if reach <= 0:
        return 0
    return min(int(np.searchsorted(steps, reach, side="left")) + 1, len(steps))


def _range_label(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g} – {high:g}"
