"""Guard rails for the columns a newcomer is about to train on.

``review_columns`` looks at a loaded dataset once a target is chosen and says, with a reason a
non-data-scientist can act on, which columns to leave out by default and which numbers are codes
rather than quantities:

* **Likely leakage**: a column that on its own tells the outcomes apart almost perfectly (its
  single-column ROC AUC is at least ``LEAK_AUC``), or whose name says it is measured during or
  after the outcome (a call's *duration* is known only once the call is over). A model that
  leans on such a column scores well in testing and cannot work in production.
* **ID-like** columns (almost every row has its own value) and **constant** columns (one value):
  neither can teach a model anything that holds for new rows.
* **Sentinel codes**: a number that holds a large share of a numeric column and sits outside the
  range of the other values, either far away (999 where the rest run 0–27) or as a conventional
  code (-1, 99, 999, …). Such a value means "not applicable"; treated as a quantity it distorts
  means, medians and splits. Prepare offers to treat it as "not applicable" inside the model's
  pipeline (a 0/1 flag plus a missing number, imputed like any other), so serving does the same.

Everything is computed in three Spark jobs over the whole table; only counts come back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opml_core.data.card import CATEGORICAL, NUMERIC
from opml_core.data.profile import DataProfile

LEAK_AUC = 0.95  # one column alone separating outcomes this well is almost surely leakage
ID_SHARE = 0.9  # distinct values per row above which a column identifies rows
SENTINEL_SHARE = 0.05  # a code must hold at least this share of the column's values
CODES = {-1.0, -9.0, -99.0, -999.0, -9999.0, 99.0, 999.0, 9999.0, 99999.0}
AUC_BINS = 256  # numeric columns are ranked in this many equal-width bins
MAX_LEVELS = 1000  # categorical columns with more levels are judged ID-like or left alone
# Words in a column name that say the value is only known during or after the outcome.
AFTER_OUTCOME = {
    "duration": "a duration is known only once the event is over, when its outcome is known too",
    "elapsed": "time elapsed is known only once the event is over",
    "outcome": "its name says it records the outcome itself",
    "result": "its name says it records a result, known only after the outcome",
}
_NOT_AFTER = {"poutcome", "previous", "prior", "prev", "last", "past"}  # earlier events are fine


@dataclass(frozen=True)
class Sentinel:
    """A numeric value that stands for "not applicable" rather than a quantity."""

    column: str
    value: float
    share: float  # of the column's non-missing values
    rest_min: float
    rest_max: float
    rest_mean: float

    def describe(self, display: str) -> str:
        return (f"**{display}** = {self.value:g} in {self.share:.1%} of rows, while its other "
                f"values run {self.rest_min:g} to {self.rest_max:g} (mean {self.rest_mean:.3g}): "
                f"{self.value:g} most likely means 'not applicable' rather than a number.")


@dataclass(frozen=True)
class ColumnReview:
    """What to leave out by default (column → reason) and which numbers are codes."""

    left_out: dict[str, str] = field(default_factory=dict)
    sentinels: dict[str, Sentinel] = field(default_factory=dict)
    single_auc: dict[str, float] = field(default_factory=dict)  # column → one-column ROC AUC


def review_columns(df, profile: DataProfile, target: str, positive_class: str,
                   known_reasons: dict[str, str] | None = None) -> ColumnReview:
    """Review every usable column of ``df`` against ``target``; see the module docstring."""
    usable = [c for c in profile.columns if c.kind in (NUMERIC, CATEGORICAL) and c.name != target]
    left_out = dict(known_reasons or {})
    rows = profile.rows
    for column in usable:
        if column.name in left_out:
            continue
        present = rows - column.missing
        if column.distinct <= 1:
            value = column.levels[0][0] if column.levels else (
                f"{column.minimum:g}" if column.minimum is not None else "nothing")
            left_out[column.name] = (f"every row holds the same value ({value}), so it cannot "
                                     "tell outcomes apart.")
        elif present >= 20 and _id_like(column, present):
            left_out[column.name] = ("almost every row has its own value, like an ID: a model "
                                     "would memorise rows instead of learning patterns.")
        else:
            hint = _after_outcome(column.name)
            if hint:
                left_out[column.name] = f"{hint}; a model using it could not work in production."
    judged = [c for c in usable if c.name not in left_out
              and (c.kind == NUMERIC or c.distinct <= min(MAX_LEVELS, rows / 10))]
    aucs = single_column_auc(df, judged, target, positive_class) if judged else {}
    for name, auc in aucs.items():
        if auc >= LEAK_AUC and name not in left_out:
            left_out[name] = (f"on its own it tells the outcomes apart almost perfectly (ROC AUC "
                              f"{auc:.2f}): it is probably known only after the outcome, and a "
                              "model using it would fail in production.")
    numeric = [c for c in usable if c.kind == NUMERIC and c.name not in left_out]
    return ColumnReview(left_out, find_sentinels(df, numeric, rows), aucs)


def _id_like(column, present: int) -> bool:
    if column.kind == CATEGORICAL:
        return column.distinct >= ID_SHARE * present
    integral = column.spark_type in ("tinyint", "smallint", "int", "bigint")
    return integral and column.distinct >= 0.98 * present and _names_an_id(column.name)


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def _names_an_id(name: str) -> bool:
    return any(t in {"id", "key", "uuid", "index", "no", "number", "row"} for t in _tokens(name))


def _after_outcome(name: str) -> str | None:
    tokens = _tokens(name)
    if any(t in _NOT_AFTER for t in tokens):
        return None
    return next((AFTER_OUTCOME[t] for t in tokens if t in AFTER_OUTCOME), None)


def single_column_auc(df, columns, target: str, positive_class: str) -> dict[str, float]:
    """Each column's ROC AUC as the only input, in one Spark job.

    Numbers are ranked by value (in ``AUC_BINS`` equal-width bins; either direction counts),
    categories by their share of positives. Missing values form their own group.
    """
    from pyspark.sql import functions as F

    label = (F.col(target).cast("string") == F.lit(positive_class)).cast("long")
    keys = []
    for column in columns:
        col = F.col(column.name)
        if column.kind == NUMERIC and column.minimum is not None and column.maximum > column.minimum:
            width = (column.maximum - column.minimum) / AUC_BINS
            key = F.least(F.floor((col - F.lit(column.minimum)) / F.lit(width)),
                          F.lit(AUC_BINS - 1)).cast("string")
        else:
            key = col.cast("string")
        keys.append(F.struct(F.lit(column.name).alias("c"), F.coalesce(key, F.lit("\0")).alias("k")))
    counted = (df.where(F.col(target).isNotNull())
               .select(label.alias("y"), F.explode(F.array(*keys)).alias("p"))
               .groupBy("p.c", "p.k").agg(F.sum("y").alias("pos"), F.count(F.lit(1)).alias("n"))
               .collect())
    groups: dict[str, list[tuple[str, int, int]]] = {}
    for row in counted:
        positives = int(row["pos"])
        groups.setdefault(row["c"], []).append((row["k"], positives, int(row["n"]) - positives))
    kinds = {c.name: c.kind for c in columns}
    result = {}
    for name, cells in groups.items():
        if kinds[name] == NUMERIC:
            ordered = sorted(cells, key=lambda cell: (cell[0] == "\0", float(cell[0]) if cell[0] != "\0" else 0))
            auc = _auc(ordered)
            result[name] = max(auc, 1.0 - auc)
        else:
            result[name] = _auc(sorted(cells, key=lambda cell: cell[1] / (cell[1] + cell[2])))
    return result


def _auc(cells: list[tuple[str, int, int]]) -> float:
    """ROC AUC when groups are ranked in the given order (ties within a group count half)."""
    positives = sum(c[1] for c in cells)
    negatives = sum(c[2] for c in cells)
    if not positives or not negatives:
        return 0.5
    below, area = 0, 0.0
    for _, pos, neg in cells:
        area += pos * (below + neg / 2)
        below += neg
    return area / (positives * negatives)


def find_sentinels(df, numeric, rows: int) -> dict[str, Sentinel]:
    """Numeric columns whose most frequent value is a code for "not applicable"."""
    from pyspark.sql import functions as F

    from opml_core.data.profile import level_counts

    if not numeric or not rows:
        return {}
    tops = level_counts(df, [c.name for c in numeric], top=1)
    candidates = {}
    for column in numeric:
        present = rows - column.missing
        if not tops.get(column.name) or present == 0:
            continue
        text, count = tops[column.name][0]
        value = float(text)
        extreme = value in (column.minimum, column.maximum)
        if count / present >= SENTINEL_SHARE and count < present and extreme:
            candidates[column.name] = (value, count / present)
    if not candidates:
        return {}
    aggs = []
    for i, (name, (value, _)) in enumerate(candidates.items()):
        rest = F.when(F.col(name) != F.lit(value), F.col(name).cast("double"))
        aggs += [F.min(rest).alias(f"lo{i}"), F.max(rest).alias(f"hi{i}"), F.avg(rest).alias(f"m{i}")]
    stats = df.agg(*aggs).first()
    found = {}
    for i, (name, (value, share)) in enumerate(candidates.items()):
        low, high, mean = stats[f"lo{i}"], stats[f"hi{i}"], stats[f"m{i}"]
        if low is None:
            continue
        gap = low - value if value < low else value - high
        if value in CODES or gap > max(high - low, 1.0):
            found[name] = Sentinel(name, value, share, low, high, mean)
    return found
