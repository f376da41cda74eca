"""A human-readable profile of a Spark DataFrame, computed in three Spark jobs.

Row count, each column's kind and type, missing and "unknown" counts, distinct values, numeric
ranges and histograms, and the most frequent categories. Only the aggregates come back to the
driver, so profiling a million rows costs the same memory as profiling a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opml_core.data.card import CATEGORICAL, NUMERIC
from opml_core.data.columns import ROW_ID

DATETIME, OTHER = "datetime", "other"
HISTOGRAM_BINS = 20
TOP_LEVELS = 20
MAX_LEVELS = 1000
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ColumnProfile:
    """One column at a glance."""

    name: str
    display: str
    kind: str  # numeric | categorical | datetime | other
    spark_type: str
    missing: int
    unknown: int
    distinct: int
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    levels: list[tuple[str, int]] = field(default_factory=list)  # most frequent first
    histogram: list[tuple[float, float, int]] = field(default_factory=list)


@dataclass(frozen=True)
class DataProfile:
    """A dataset at a glance: rows and one ColumnProfile per column."""

    rows: int
    columns: list[ColumnProfile]

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def names(self, kind: str | None = None) -> list[str]:
        return [c.name for c in self.columns if kind is None or c.kind == kind]


def column_kind(spark_type: str) -> str:
    """Map a Spark SQL type name to numeric / categorical / datetime / other."""
    if spark_type in ("string", "boolean") or spark_type.startswith("varchar"):
        return CATEGORICAL
    if spark_type in ("date", "timestamp", "timestamp_ntz"):
        return DATETIME
    if spark_type in ("tinyint", "smallint", "int", "bigint", "float", "double") or \
            spark_type.startswith("decimal"):
        return NUMERIC
    return OTHER


def profile_frame(df, display_names: dict[str, str] | None = None,
                  top_levels: int = TOP_LEVELS) -> DataProfile:
    """Profile every column of ``df`` except the row id."""
    display_names = display_names or {}
    types = {name: t for name, t in df.dtypes if name != ROW_ID}
    kinds = {name: column_kind(t) for name, t in types.items()}
    basics, rows = _basics(df, types, kinds)
    few_valued = [c for c in types if kinds[c] == CATEGORICAL
                  or (kinds[c] == NUMERIC and basics[c]["distinct"] <= TOP_LEVELS)]
    levels = level_counts(df, [c for c in few_valued if basics[c]["distinct"] <= MAX_LEVELS],
                          top_levels)
    histograms = _histograms(df, {c: basics[c] for c in types if kinds[c] == NUMERIC}, rows)
    columns = [
        ColumnProfile(
            name=c, display=display_names.get(c, c), kind=kinds[c], spark_type=types[c],
            missing=basics[c]["missing"], unknown=basics[c]["unknown"],
            distinct=basics[c]["distinct"], minimum=basics[c].get("min"),
            maximum=basics[c].get("max"), mean=basics[c].get("mean"),
            levels=levels.get(c, []), histogram=histograms.get(c, []),
        )
        for c in types
    ]
    return DataProfile(rows, columns)


def level_counts(df, columns: list[str], top: int = MAX_LEVELS) -> dict[str, list[tuple[str, int]]]:
    """The ``top`` most frequent values of each column (as strings), in one Spark job."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if not columns:
        return {}
    pairs = F.explode(F.array(*[
        F.struct(F.lit(c).alias("column"), F.col(c).cast("string").alias("value")) for c in columns
    ])).alias("pair")
    counted = (df.select(pairs).select("pair.column", "pair.value")
               .where(F.col("value").isNotNull()).groupBy("column", "value").count())
    rank = F.row_number().over(Window.partitionBy("column").orderBy(F.desc("count"), "value"))
    result: dict[str, list[tuple[str, int]]] = {c: [] for c in columns}
    for row in counted.withColumn("rank", rank).where(F.col("rank") <= top) \
            .orderBy("column", "rank").collect():
        result[row["column"]].append((row["value"], int(row["count"])))
    return result


def _basics(df, types: dict[str, str], kinds: dict[str, str]) -> tuple[dict, int]:
    from pyspark.sql import functions as F

    exprs = [F.count(F.lit(1)).alias("__rows")]
    for i, c in enumerate(types):
        col = F.col(c)
        exprs += [F.sum(col.isNull().cast("long")).alias(f"m{i}"),
                  F.approx_count_distinct(col).alias(f"d{i}")]
        if kinds[c] == CATEGORICAL:
            exprs.append(F.sum((F.lower(col.cast("string")) == UNKNOWN).cast("long")).alias(f"u{i}"))
        if kinds[c] == NUMERIC:
            exprs += [F.min(col).cast("double").alias(f"lo{i}"),
                      F.max(col).cast("double").alias(f"hi{i}"),
                      F.avg(col).alias(f"avg{i}")]
    row = df.agg(*exprs).first().asDict()
    basics = {}
    for i, c in enumerate(types):
        basics[c] = {"missing": int(row[f"m{i}"] or 0), "distinct": int(row[f"d{i}"] or 0),
                     "unknown": int(row.get(f"u{i}") or 0)}
        if kinds[c] == NUMERIC:
            basics[c].update(min=row[f"lo{i}"], max=row[f"hi{i}"], mean=row[f"avg{i}"])
    return basics, int(row["__rows"])


def _histograms(df, numeric: dict[str, dict], rows: int) -> dict[str, list[tuple[float, float, int]]]:
    from pyspark.sql import functions as F

    result: dict[str, list[tuple[float, float, int]]] = {}
    ranged = {}
    for c, b in numeric.items():
        if b.get("min") is None:
            continue
        if b["max"] > b["min"]:
            ranged[c] = (b["min"], (b["max"] - b["min"]) / HISTOGRAM_BINS)
        else:  # a constant column: one bar holding every present value
            result[c] = [(b["min"], b["max"], rows - b["missing"])]
    if not ranged:
        return result
    bins = []
    for c, (low, width) in ranged.items():
        # least() skips nulls, so missing values must be kept out explicitly
        index = F.when(F.col(c).isNotNull(), F.least(
            F.floor((F.col(c) - F.lit(low)) / F.lit(width)), F.lit(HISTOGRAM_BINS - 1)))
        bins.append(F.struct(F.lit(c).alias("column"), index.cast("int").alias("bin")))
    counted = (df.select(F.explode(F.array(*bins)).alias("b")).select("b.column", "b.bin")
               .where(F.col("bin").isNotNull()).groupBy("column", "bin").count().collect())
    counts = {(r["column"], r["bin"]): int(r["count"]) for r in counted}
    for c, (low, width) in ranged.items():
        result[c] = [(low + k * width, low + (k + 1) * width, counts.get((c, k), 0))
                     for k in range(HISTOGRAM_BINS)]
    return result
