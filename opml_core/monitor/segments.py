"""Which segment of a feature grew the most: the plain-language side of drift.

Segments are categories, or for numbers the PSI bins plus both tails beyond the training data's
1%, 2.5% and 5% quantiles ("above 70"), so a shift confined to a tail is not diluted in a
decile. ``segment_shift`` finds the most over-represented one ("age above 70 is 3.1× as common
as in training"); ``segment_ratio`` is that ratio as a registered drift method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from opml_core.monitor.stats import CategoricalCounts, NumericCounts, Shares, shares

MIN_SEGMENT_SHARE = 0.02  # segments rarer than this in the window are ignored
MIN_SEGMENT_ROWS = 20  # ... or holding fewer rows than this in the window
MIN_REFERENCE_ROWS = 10  # ... or fewer than this in the reference (ratios would be noise)
TAILS = (0.01, 0.025, 0.05)  # numeric tails: beyond these reference quantiles, at both ends


@dataclass(frozen=True)
class SegmentShift:
    """The segment whose share grew the most: current share over reference share is ``ratio``."""

    segment: str
    reference_share: float
    current_share: float
    ratio: float


def segment_shift(counts: NumericCounts | CategoricalCounts, bins: int = 10,
                  min_share: float = MIN_SEGMENT_SHARE) -> SegmentShift | None:
    """The segment with the largest current / reference share ratio.

    Segments are categories, or for numbers the PSI bins plus both tails beyond the reference's
    1%, 2.5% and 5% quantiles ("above 60"), so a shift confined to a tail is not diluted in a
    decile. Only segments holding at least ``min_share`` and MIN_SEGMENT_ROWS rows of the window
    and MIN_REFERENCE_ROWS rows of the reference qualify; ``None`` when none does. Categories
    absent from training are left to ``unseen_share``. The first of equal ratios wins.
    """
    found = shares(counts, bins)
    if isinstance(counts, NumericCounts):
        found = _concat(found, _tail_segments(counts))
    current_rows = found.current * counts.current.sum()
    reference_rows = found.reference * counts.reference.sum()
    qualifies = ((found.current >= min_share) & (current_rows >= MIN_SEGMENT_ROWS)
                 & (reference_rows >= MIN_REFERENCE_ROWS))
    if not np.any(qualifies):
        return None
    ratios = np.where(qualifies, found.current / np.where(found.reference > 0, found.reference, 1),
                      -math.inf)
    best = int(np.argmax(ratios))
    return SegmentShift(found.labels[best], float(found.reference[best]),
                        float(found.current[best]), float(ratios[best]))


def segment_ratio(counts: NumericCounts | CategoricalCounts) -> float:
    """How many times as common the most over-represented segment is (1 when none qualifies)."""
    shift = segment_shift(counts)
    return shift.ratio if shift is not None else 1.0


def _tail_segments(counts: NumericCounts) -> Shares:
    """Values beyond the reference's low and high quantiles (``TAILS``), labelled 'below x' / 'above x'."""
    n = int(counts.reference.sum())
    cumulative = np.cumsum(counts.reference)
    labels, reference, current = [], [], []
    for share in TAILS:
        for position, side in ((int(share * (n - 1)), "below"), (int((1 - share) * (n - 1)), "above")):
            edge = counts.values[np.searchsorted(cumulative, position, side="right")]
            inside = counts.values < edge if side == "below" else counts.values > edge
            labels.append(f"{side} {edge:g}")
            reference.append(counts.reference[inside].sum() / counts.reference.sum())
            current.append(counts.current[inside].sum() / counts.current.sum())
    return Shares(labels, np.array(reference), np.array(current))


def _concat(first: Shares, second: Shares) -> Shares:
    return Shares(first.labels + second.labels, np.concatenate([first.reference, second.reference]),
                     np.concatenate([first.current, second.current]))
