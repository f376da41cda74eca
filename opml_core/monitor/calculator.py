"""The drift calculator: ``fit(reference)`` then ``calculate(current)`` (NannyML's shape).

Spark does the heavy part: one job per feature kind counts each (window, feature, value) of the
current data, and the same for the reference once. Only those counts reach the driver — a few
thousand numbers however many rows there are — and ``stats`` turns them into every registered
method's value per feature and window, plus the whole period. A numeric feature with more than
``MAX_DISTINCT`` distinct training values is counted on a grid of that many reference quantiles,
and a window with more categories than that counts its rarest unseen ones as one, so memory
stays bounded. Column names are the readable ones users see, whatever they hold (``col``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from opml_core.errors import MonitorError
from opml_core.monitor import stats
from opml_core.monitor.segments import segment_shift
from opml_core.monitor.methods import METHODS, get_method
from opml_core.monitor.result import DriftResult, DriftValue
from opml_core.monitor.windows import as_time

MAX_DISTINCT = 10_000
MISSING = "(missing)"
OTHER_UNSEEN = "(other unseen values)"


@dataclass(frozen=True)
class FeatureSpec:
    """A monitored feature: readable name, kind and the category levels seen in training."""

    name: str
    kind: str  # numeric | categorical
    levels: tuple[str, ...] = ()


def quoted(name: str) -> str:
    """A column name as a Spark identifier: backquoted, backquotes inside doubled, so dots,
    spaces and backquotes are part of the name."""
    return "`" + name.replace("`", "``") + "`"


def col(name: str):
    """A Spark column by readable name (which may hold dots, backquotes or anything else)."""
    from pyspark.sql import functions as F

    return F.col(quoted(name))


class DriftCalculator:
    def __init__(self, features: list[FeatureSpec], methods: list[str] | None = None,
                 thresholds: dict[str, tuple[float, float]] | None = None):
        if not features:
            raise MonitorError("There are no features to monitor.")
        self.features = features
        self.methods = [get_method(k) for k in (methods or list(METHODS))]
        self.thresholds = thresholds or {}
        self._reference: dict[str, dict] = {}
        self._grids: dict[str, np.ndarray] = {}  # features counted on a grid

    @property
    def numeric(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.kind == "numeric"]

    @property
    def categorical(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.kind == "categorical"]

    def fit(self, reference) -> "DriftCalculator":
        """Count the reference (training) data once."""
        from pyspark.sql import functions as F

        self._reference_frame = reference.withColumn("__window", F.lit(None).cast("long"))
        self._grids = {}  # numbers too varied to count one by one get a grid as they are met
        self._count_reference()
        return self

    def _count_reference(self) -> None:
        counted = self._count(self._reference_frame)
        self._reference = {feature: by_window[None] for feature, by_window in counted.items()}

    def calculate(self, current, window_column: str = "window", window_size: str = "") -> DriftResult:
        """Drift of every feature per window (and over the whole period) against the reference."""
        from pyspark.sql import functions as F

        if not self._reference:
            raise MonitorError("Fit the calculator on the training data first.")
        gridded = set(self._grids)
        counted = self._count(current.withColumn("__window", F.col(window_column)))
        if set(self._grids) != gridded:  # a window was too varied: count training on its grid too
            self._count_reference()
        windows = sorted({w for by_window in counted.values() for w in by_window})
        rows = {w: max(sum(by_window.get(w, {}).values()) for by_window in counted.values())
                for w in windows}
        values, segments, shares = [], {}, {}
        for feature in self.features:
            by_window = counted.get(feature.name, {})
            for window, current_counts in [*by_window.items(), (None, _sum_counts(by_window.values()))]:
                if not current_counts:
                    continue
                counts = self._counts(feature, current_counts)
                values += self._evaluate(feature, window, counts)
                segments[(feature.name, window)] = segment_shift(counts)
                found = stats.shares(counts)
                shares[(feature.name, window)] = (found.labels, found.reference, found.current)
        return DriftResult(windows, window_size, values, segments, shares, self.methods,
                           self.thresholds, rows)

    def _evaluate(self, feature: FeatureSpec, window, counts) -> list[DriftValue]:
        out = []
        rows = counts.current.sum()
        for method in self.methods:
            if feature.kind not in method.kinds:
                continue
            value = float(method.compute[feature.kind](counts)) if rows >= method.min_rows else math.nan
            out.append(DriftValue(feature.name, feature.kind, window, method.key, value,
                                  method.status(value, self.thresholds.get(method.key))))
        return out

    def _counts(self, feature: FeatureSpec, current: dict):
        reference = self._reference.get(feature.name)
        if not reference:
            raise MonitorError(f"The training data has no values for {feature.name}, so its drift "
                               "cannot be measured; leave it out of the features.")
        if feature.kind == "numeric":
            values = np.array(sorted(set(reference) | set(current)), dtype=float)
            return stats.NumericCounts(values, [reference.get(v, 0) for v in values],
                                       [current.get(v, 0) for v in values], feature.name)
        categories = sorted(set(reference) | set(current) | set(feature.levels))
        known = [c in reference or c in feature.levels for c in categories]
        return stats.CategoricalCounts(categories, [reference.get(c, 0) for c in categories],
                                       [current.get(c, 0) for c in categories], known, feature.name)

    def _count(self, frame) -> dict[str, dict]:
        """{feature: {window: {value: count}}} for every feature, in one Spark job: numbers in
        ``n``, categories in ``s``; past MAX_DISTINCT values in a window, a feature's rarest
        ones come back as one row (categories: one unseen category; numbers: counted again on
        a grid of reference quantiles), so the driver never holds more than that."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        raw, frame = frame, self._bucketize(frame)
        numeric = {f.name for f in self.numeric}
        none = {"n": F.lit(None).cast("double"), "s": F.lit(None).cast("string")}
        pairs = F.explode(F.array(*[
            F.struct(F.lit(f.name).alias("f"),
                     (self._value(f) if f.name in numeric else none["n"]).alias("n"),
                     (self._value(f) if f.name not in numeric else none["s"]).alias("s"))
            for f in self.features]))
        known = sorted({level for f in self.categorical for level in f.levels})
        busiest = Window.partitionBy("__window", "f").orderBy(  # training levels always kept
            F.col("s").isin(known).desc_nulls_last(), F.desc("count"), "s", "n")
        kept = F.row_number().over(busiest) <= MAX_DISTINCT
        collected = (frame.select("__window", pairs.alias("p")).select("__window", "p.f", "p.n", "p.s")
                     .where(F.col("n").isNotNull() | F.col("s").isNotNull())
                     .groupBy("__window", "f", "n", "s").count()
                     .select("__window", "f", F.when(kept, F.col("n")).alias("n"),
                             F.when(kept, F.col("s")).otherwise(F.lit(OTHER_UNSEEN)).alias("s"), "count")
                     .groupBy("__window", "f", "n", "s").agg(F.sum("count").alias("count"))
                     .collect())
        crowded = sorted({r["f"] for r in collected if r["f"] in numeric and r["s"] == OTHER_UNSEEN
                          and r["f"] not in self._grids})  # a grid holds at most MAX_DISTINCT cells
        if crowded:  # too many distinct numbers: count them on grids of reference quantiles
            self._grids.update(self._quantile_grids(crowded))
            return self._count(raw)
        result: dict[str, dict] = {f.name: {} for f in self.features}
        for row in collected:
            value = row["n"] if row["f"] in numeric else row["s"]
            grid = self._grids.get(row["f"])
            if grid is not None:
                value = float(grid[int(value)])
            bucket = result[row["f"]].setdefault(as_time(row["__window"]), {})
            bucket[value] = bucket.get(value, 0) + int(row["count"])
        return result

    def _value(self, feature: FeatureSpec):
        from pyspark.sql import functions as F

        if feature.kind == "categorical":
            return F.coalesce(col(feature.name).cast("string"), F.lit(MISSING))
        if feature.name in self._grids:  # missing values are Bucketizer's last bucket: left out
            cell = F.col(_bucket_column(feature.name))
            return F.when(cell < F.lit(len(self._grids[feature.name])), cell)
        return _number(col(feature.name))

    def _bucketize(self, frame):
        """Replace each high-cardinality value by the index of its reference-quantile cell."""
        from pyspark.ml.feature import Bucketizer

        for name, grid in self._grids.items():
            splits = [-float("inf"), *grid[:-1].tolist(), float("inf")]
            plain = f"{_bucket_column(name)}_in"  # ML stages read dotted names as nested fields
            frame = frame.withColumn(plain, _number(col(name)))
            frame = Bucketizer(splits=splits, inputCol=plain, outputCol=_bucket_column(name),
                               handleInvalid="keep").transform(frame)
        return frame

    def _quantile_grids(self, names: list[str]) -> dict[str, np.ndarray]:
        """Grids of MAX_DISTINCT reference quantiles (cell upper edges) for these features."""
        if not names:
            return {}
        points = self._reference_frame.approxQuantile(
            [quoted(n) for n in names], np.linspace(0, 1, MAX_DISTINCT).tolist(), 1e-4)
        return {name: np.unique(p) for name, p in zip(names, points) if p}


def _number(column):
    """A column's finite numbers; text that is no number, NaN and infinities become missing."""
    from pyspark.sql import functions as F

    value = column.try_cast("double")
    return F.when(~F.isnan(value) & (F.abs(value) < F.lit(float("inf"))), value)


def _bucket_column(name: str) -> str:
    return f"__bucket_{abs(hash(name))}"


def _sum_counts(dicts) -> dict:
    total: dict = {}
    for counts in dicts:
        for value, count in counts.items():
            total[value] = total.get(value, 0) + count
    return total
