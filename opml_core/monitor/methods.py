"""Drift methods registered by key, each with a display name, the feature kinds it applies to,
default warn/alert thresholds, whether higher values are worse and the least data it needs
(``min_rows``): a window holding fewer rows gets the status ``TOO_LITTLE`` ("too little data")
instead of a value. ``blank_reason`` says why a table cell is empty.

``get_method("psi")`` returns one; an unknown key raises ``MonitorError`` listing the valid
keys. Thresholds are defaults: the Monitor page and the CLI may override them per method.
Adding a method is one ``register_method`` call; no page changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from opml_core.errors import MonitorError
from opml_core.monitor import stats
from opml_core.monitor.segments import segment_ratio

OK, WARN, ALERT = "ok", "warn", "alert"
LEVELS = (OK, WARN, ALERT)
TOO_LITTLE = "too little data"  # the window holds fewer rows than the method needs
NOT_FOR_KIND = "— (not for this kind)"  # the method does not apply to the feature's kind
MIN_ROWS = 30  # the default least number of rows a window needs for a statistic


@dataclass(frozen=True)
class DriftMethod:
    """One drift statistic: how to compute it per feature kind and when to worry."""

    key: str
    name: str
    description: str
    compute: dict[str, Callable] = field(repr=False)  # kind -> fn(counts) -> float
    warn: float
    alert: float
    higher_is_worse: bool = True
    primary: bool = False  # drives the feature's status and the status cards
    min_rows: int = MIN_ROWS  # fewer rows in a window: "too little data"

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.compute)

    def status(self, value: float, thresholds: tuple[float, float] | None = None) -> str:
        warn, alert = thresholds or (self.warn, self.alert)
        if value != value:  # NaN: the window had too little data for this method
            return TOO_LITTLE
        if self.higher_is_worse:
            return ALERT if value >= alert else WARN if value >= warn else OK
        return ALERT if value <= alert else WARN if value <= warn else OK


METHODS: dict[str, DriftMethod] = {}


def blank_reason(method_key: str, kind: str) -> str:
    """Why a feature of this kind has no value for this method: the method does not apply to
    it (KS to a category, χ² to a number), or the rows were too few (the page and the export
    both say it this way)."""
    method = METHODS.get(method_key)
    return TOO_LITTLE if method is not None and kind in method.kinds else NOT_FOR_KIND


def register_method(method: DriftMethod) -> DriftMethod:
    METHODS[method.key] = method
    return method


def get_method(key: str) -> DriftMethod:
    if key not in METHODS:
        raise MonitorError(f"Unknown drift method {key!r}; choose among {', '.join(METHODS)}.")
    return METHODS[key]


SCORE = "jensen_shannon"  # the bounded drift score that ranks features of both kinds (see stats)

register_method(DriftMethod(
    "psi", "Population stability (PSI)",
    "How much the shares of bins (deciles of training, a bin of its own for a value holding more "
    "than a tenth of it, and bins beyond the training range) or categories moved; 0.1 is a "
    "noticeable shift, 0.25 a large one. It keeps growing the further values move.",
    {"numeric": stats.psi_numeric, "categorical": stats.psi_categorical}, 0.1, 0.25, primary=True))
register_method(DriftMethod(
    "segment", "Largest segment shift (× as common)",
    "How many times as common the most over-represented segment is: a category, a decile of "
    "training, or a tail (the oldest 1–5%, say); segments with under 2% of the rows are ignored.",
    {"numeric": segment_ratio, "categorical": segment_ratio}, 2.0, 3.0, primary=True))
register_method(DriftMethod(
    "ks", "Kolmogorov–Smirnov distance",
    "The largest gap between the training and window cumulative distributions (0 to 1).",
    {"numeric": lambda c: stats.ks_test(c).statistic}, 0.1, 0.2))
register_method(DriftMethod(
    "ks_p", "Kolmogorov–Smirnov p-value",
    "The chance of cumulative distributions this far apart if nothing changed; tiny values mean "
    "a real change (with many rows, even small changes get tiny p-values).",
    {"numeric": lambda c: stats.ks_test(c).p_value}, 0.01, 0.001, higher_is_worse=False))
register_method(DriftMethod(
    "wasserstein", "Wasserstein distance (in training std)",
    "How far values moved on average, in training standard deviations.",
    {"numeric": stats.wasserstein_normalised}, 0.1, 0.2))
register_method(DriftMethod(
    "chi2_p", "Chi-squared p-value",
    "The chance of category shares this different if nothing changed; tiny values mean a real "
    "change (with many rows, even small changes get tiny p-values).",
    {"categorical": lambda c: stats.chi_squared(c).p_value}, 0.01, 0.001, higher_is_worse=False))
register_method(DriftMethod(
    SCORE, "Drift score (Jensen–Shannon distance)",
    "How different the shares of the categories or of the PSI bins are, from 0 (same) to 1 (no "
    "overlap): bounded and alike for numbers and categories, so it ranks every feature.",
    {"numeric": stats.jensen_shannon, "categorical": stats.jensen_shannon}, 0.1, 0.2))
register_method(DriftMethod(
    "unseen", "Share of unseen categories",
    "Rows whose category never appeared in training; the model treats them all alike.",
    {"categorical": stats.unseen_share}, 0.01, 0.05, primary=True, min_rows=1))
