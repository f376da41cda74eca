"""What the drift calculator returns: values per feature, window and method, with statuses.

``DriftResult.to_df()`` gives the long table; ``feature_status`` and ``ranking`` summarise by
the primary methods (PSI, and the unseen-category share); ``plot(kind)`` draws a heatmap
(feature × window) or a training-vs-window distribution overlay.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from opml_core.monitor.methods import ALERT, LEVELS, OK, SCORE, TOO_LITTLE, WARN, DriftMethod

RANK = {TOO_LITTLE: -1, OK: 0, WARN: 1, ALERT: 2}


def _number(value: float) -> float:
    return value if value == value else -1.0  # NaN (too little data) ranks last


@dataclass(frozen=True)
class DriftValue:
    feature: str
    kind: str
    window: datetime | None  # None: the whole period
    method: str
    value: float
    status: str


@dataclass
class DriftResult:
    windows: list[datetime]
    window_size: str
    values: list[DriftValue]
    segments: dict = field(repr=False)  # (feature, window) -> SegmentShift | None
    shares: dict = field(repr=False)  # (feature, window) -> (labels, reference shares, current shares)
    methods: list[DriftMethod] = field(repr=False)
    thresholds: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)  # window -> rows

    def with_thresholds(self, thresholds: dict[str, tuple[float, float]]) -> "DriftResult":
        """The same values with statuses judged by other thresholds (no Spark work)."""
        by_key = {m.key: m for m in self.methods}
        values = [replace(v, status=by_key[v.method].status(v.value, thresholds.get(v.method)))
                  for v in self.values]
        return replace(self, values=values, thresholds=dict(thresholds))

    def to_df(self):
        import pandas as pd

        return pd.DataFrame([vars(v) for v in self.values])

    def table(self):
        """Whole-period values: one row per feature (worst status first, then drift score), one
        column per method, plus the feature's status."""
        table = self.to_df()
        whole = table[table["window"].isna()].pivot(index="feature", columns="method", values="value")
        whole = whole[[m.key for m in self.methods if m.key in whole.columns]]
        status = self.feature_status()
        whole.insert(0, "status", [status.get(f, OK) for f in whole.index])
        order = [v.feature for v in self.ranking()]
        order += [f for f in whole.index if f not in order]
        order.sort(key=lambda f: -RANK[whole.at[f, "status"]])
        return whole.loc[order]

    def kinds(self) -> dict[str, str]:
        """Each feature's kind (numeric or categorical)."""
        return {v.feature: v.kind for v in self.values}

    def value(self, feature: str, method: str, window=None) -> DriftValue | None:
        return next((v for v in self.values if v.feature == feature and v.method == method
                     and v.window == window), None)

    def feature_status(self, window=None) -> dict[str, str]:
        """Each feature's worst status over the primary methods, for one window or the period."""
        primary = {m.key for m in self.methods if m.primary}
        status: dict[str, str] = {}
        for v in self.values:
            if v.window == window and v.method in primary:
                current = status.get(v.feature, TOO_LITTLE)
                status[v.feature] = v.status if RANK[v.status] > RANK[current] else current
        return status

    def ranking(self, method: str = SCORE) -> list[DriftValue]:
        """Features by the method's value over the whole period, most drifted first (by default
        the drift score, which compares numbers and categories alike; ties broken by PSI)."""
        chosen = [v for v in self.values if v.window is None and v.method == method]
        psi = {v.feature: v.value for v in self.values if v.window is None and v.method == "psi"}
        return sorted(chosen, key=lambda v: (-_number(v.value), -_number(psi.get(v.feature, 0))))

    def worst(self) -> str:
        levels = [RANK[s] for s in self.feature_status().values()] or [0]
        return LEVELS[max(max(levels), 0)]

    def too_little(self) -> list[datetime]:
        """Windows where some method had too little data (they hold a value for none of it)."""
        return sorted({v.window for v in self.values if v.status == TOO_LITTLE and v.window is not None})

    def plot(self, kind: str = "heatmap", **options):
        from opml_core.monitor import charts

        if kind == "heatmap":
            return charts.drift_heatmap(self, options.get("method", "psi"))
        if kind == "overlay":
            return charts.distribution_overlay(self, options["feature"], options.get("window"))
        raise ValueError(f"Unknown plot kind {kind!r}; use heatmap or overlay.")
