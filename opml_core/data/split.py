"""Split a dataset into a training part and an operations part, optionally skewed.

The operations part plays the inputs the deployed model will receive later. Random splits are
seeded; temporal splits keep the last rows (by file order or a date column) for operations, so
the bank data's later, economically different months land there. Skew injection makes one
segment (e.g. clients over 60) more common in operations, so drift is surely present; the
added copies are spread at random (seeded) through the operations rows' order, so any stretch
of it (a simulated week, say) carries the skew, not only its end. Making a segment rarer
(factor below 1) removes some of its rows at random (seeded) and leaves the others in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from opml_core.data.columns import ROW_ID
from opml_core.errors import DataError

RANDOM, TEMPORAL = "random", "temporal"
OPERATORS = (">", ">=", "<", "<=", "==", "!=")
MIN_FACTOR, MAX_FACTOR = 0.1, 20.0


@dataclass(frozen=True)
class SplitSpec:
    """How to split: random (seeded) or temporal (by row order or a date/number column)."""

    kind: str = TEMPORAL
    operations_fraction: float = 0.2
    seed: int = 42
    order_column: str | None = None

    def validate(self) -> None:
        if self.kind not in (RANDOM, TEMPORAL):
            raise DataError(f"Unknown split {self.kind!r}; choose {RANDOM!r} or {TEMPORAL!r}.")
        if not 0.0 < self.operations_fraction < 1.0:
            raise DataError(
                f"The operations share must be between 0% and 100% (got "
                f"{self.operations_fraction:.0%}); 20% is a good start."
            )


@dataclass(frozen=True)
class SkewSpec:
    """Over- (factor > 1) or under-represent (factor < 1) one segment of the operations part."""

    column: str
    operator: str
    value: str | float
    factor: float = 3.0

    def validate(self, kinds: dict[str, str]) -> None:
        if self.column not in kinds:
            raise DataError(f"Skew column {self.column!r} is not in the dataset.")
        if self.operator not in OPERATORS:
            raise DataError(f"Unknown comparison {self.operator!r}; use one of {', '.join(OPERATORS)}.")
        if not MIN_FACTOR <= self.factor <= MAX_FACTOR:
            raise DataError(f"The skew factor must be between {MIN_FACTOR} and {MAX_FACTOR}.")
        if kinds[self.column] == "numeric":
            try:
                float(self.value)
            except (TypeError, ValueError) as exc:
                raise DataError(f"{self.column!r} is numeric: compare it with a number.") from exc

    def condition(self, kinds: dict[str, str]):
        from pyspark.sql import functions as F

        col = F.col(self.column)
        value = float(self.value) if kinds[self.column] == "numeric" else str(self.value)
        return {">": col > value, ">=": col >= value, "<": col < value, "<=": col <= value,
                "==": col == value, "!=": col != value}[self.operator]


@dataclass
class SplitParts:
    """The two parts and what happened, in numbers."""

    training: object
    operations: object
    training_rows: int
    operations_rows: int
    segment_before: int = 0
    segment_after: int = 0
    added: int = 0  # copies of segment rows spread through the operations part


def split_frame(df, spec: SplitSpec, skew: SkewSpec | None = None,
                kinds: dict[str, str] | None = None) -> SplitParts:
    """Split ``df`` as specified; raise DataError if a part would be empty."""
    from pyspark.sql import functions as F

    spec.validate()
    if spec.kind == RANDOM:
        draw = F.rand(spec.seed)
        marked = df.withColumn("__ops", draw < F.lit(spec.operations_fraction))
    else:
        order = _order_expression(df, spec.order_column)
        cutoff = _cutoff(df.select(order.alias("__order")), 1.0 - spec.operations_fraction)
        marked = df.withColumn("__ops", order > F.lit(cutoff))
    marked = marked.cache()
    training = marked.where(~F.col("__ops")).drop("__ops")
    operations = marked.where(F.col("__ops")).drop("__ops")
    counts = {r["__ops"]: r["count"] for r in marked.groupBy("__ops").count().collect()}
    parts = SplitParts(training, operations, counts.get(False, 0), counts.get(True, 0))
    if skew is not None:
        skew.validate(kinds or {})
        _inject_skew(parts, skew, kinds or {}, spec.seed)
    _require_rows(parts)
    return parts


def _order_expression(df, column: str | None):
    from pyspark.sql import functions as F

    if column is None:
        return F.col(ROW_ID).cast("double")
    if column not in df.columns:
        raise DataError(f"There is no column {column!r} to order the rows by.")
    kind = dict(df.dtypes)[column]
    if kind in ("date", "timestamp", "timestamp_ntz"):
        return F.unix_timestamp(F.col(column).cast("timestamp")).cast("double")
    if kind in ("string", "boolean"):
        raise DataError(f"{column!r} is text; order a temporal split by a date or number column.")
    return F.col(column).cast("double")


def _cutoff(orders, quantile: float) -> float:
    values = orders.approxQuantile("__order", [quantile], 0.0001)
    if not values:
        raise DataError("The ordering column has no values; choose another column or a random split.")
    return values[0]


def _inject_skew(parts: SplitParts, skew: SkewSpec, kinds: dict[str, str], seed: int) -> None:
    from pyspark.sql import functions as F

    condition = skew.condition(kinds)
    segment = parts.operations.where(condition)
    before = segment.count()
    if skew.factor >= 1.0:
        extra = segment.sample(withReplacement=True, fraction=skew.factor - 1.0, seed=seed)
        operations = _interleave(parts.operations, extra, seed)
    else:  # each segment row stays where it is, or goes (seeded draw): no reordering
        draw = F.rand(seed)
        operations = (parts.operations.withColumn("__keep", draw < F.lit(skew.factor))
                      .where(~condition | F.col(skew.column).isNull() | F.col("__keep"))
                      .drop("__keep"))
    operations = operations.cache()
    after = operations.where(condition).count()
    if before == 0:
        raise DataError(
            f"No operations row has {skew.column} {skew.operator} {skew.value}; choose a segment "
            "that occurs in the operations part."
        )
    parts.operations = operations
    parts.operations_rows = operations.count()
    parts.segment_before, parts.segment_after = before, after
    parts.added = after - before if skew.factor >= 1.0 else 0


def _interleave(operations, extra, seed: int):
    """The operations rows in their order with ``extra`` rows placed at random (seeded) among them.

    Each original row sits at its relative position (0 to 1) in the operations order; each extra
    row at a uniform random one; the frame is sorted by position, so stored order interleaves them.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    placed = operations.withColumn("__pos", F.percent_rank().over(Window.orderBy(ROW_ID)))
    extra = extra.withColumn("__pos", F.rand(seed + 1))
    return placed.unionByName(extra).orderBy("__pos", ROW_ID).drop("__pos")


def _require_rows(parts: SplitParts) -> None:
    for label, rows in (("training", parts.training_rows), ("operations", parts.operations_rows)):
        if rows == 0:
            raise DataError(
                f"This split leaves the {label} part empty. Move the operations share towards "
                "20%, or order a temporal split by a column with more than one value."
            )
